//! The fake's request handling: record, count, inject faults, check the token, route, answer.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use http::{Method, StatusCode};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::faults::{AfterStore, Failure, FailureBody, Fault};
use super::state::{RecordedRequest, State, key};
use crate::ids::{InvoiceNumber, SalesPersonNumber};
use crate::models::{
    Customer, CustomerWrite, Product, ProductCreate, ProductUpdate, Project, ProjectCreate,
    SaleType, SalesInvoice, SalesInvoiceCreate, SalesInvoiceLine,
};
use crate::wire::dates::{parse_date, parse_timestamp};

/// The wiremock responder behind [`super::FakeDkPlus`].
pub(crate) struct Router {
    state: Arc<Mutex<State>>,
    expected_auth: String,
}

impl Router {
    pub(crate) fn new(state: Arc<Mutex<State>>, token: String) -> Self {
        Self {
            state,
            expected_auth: format!("bearer {token}"),
        }
    }
}

/// A recognised DK+ endpoint with its path parameters.
#[derive(Debug)]
enum Route {
    CompanyConnection,
    CustomerPage(String, String),
    CustomerSearch(String, Option<String>),
    CustomerCreate,
    CustomerGet(String),
    CustomerUpdate(String),
    CustomerDelete(String),
    ProjectPage(String, String),
    ProjectCreate,
    ProjectGet(String),
    ProductPage(String, String),
    ProductCreate,
    ProductGet(String),
    ProductUpdate(String),
    ProductDelete(String),
    SalesPersonPage(String, String),
    SalesPersonGet(String),
    InvoiceCreate,
    InvoicePage(String, String),
    InvoiceByReference(String),
    InvoiceGet(String),
    Unknown,
}

impl Route {
    fn parse(method: &Method, segments: &[String]) -> Self {
        let lower: Vec<String> = segments.iter().map(|s| s.to_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let arg = |i: usize| segments.get(i).cloned().unwrap_or_default();
        match (method.as_str(), lower.as_slice()) {
            ("GET", ["company", "connection"]) => Self::CompanyConnection,
            ("GET", ["customer", "page", _, _]) => Self::CustomerPage(arg(2), arg(3)),
            ("GET", ["customer", "search", _]) => Self::CustomerSearch(arg(2), None),
            ("GET", ["customer", "search", _, _]) => Self::CustomerSearch(arg(2), Some(arg(3))),
            ("POST", ["customer"]) => Self::CustomerCreate,
            ("GET", ["customer", _]) => Self::CustomerGet(arg(1)),
            ("PUT", ["customer", _]) => Self::CustomerUpdate(arg(1)),
            ("DELETE", ["customer", _]) => Self::CustomerDelete(arg(1)),
            ("GET", ["project", "page", _, _]) => Self::ProjectPage(arg(2), arg(3)),
            ("POST", ["project"]) => Self::ProjectCreate,
            ("GET", ["project", _]) => Self::ProjectGet(arg(1)),
            ("GET", ["product", "page", _, _]) => Self::ProductPage(arg(2), arg(3)),
            ("POST", ["product"]) => Self::ProductCreate,
            ("GET", ["product", _]) => Self::ProductGet(arg(1)),
            ("PUT", ["product", _]) => Self::ProductUpdate(arg(1)),
            ("DELETE", ["product", _]) => Self::ProductDelete(arg(1)),
            ("GET", ["sales", "person", "page", _, _]) => Self::SalesPersonPage(arg(3), arg(4)),
            ("GET", ["sales", "person", _]) => Self::SalesPersonGet(arg(2)),
            ("POST", ["sales", "invoice"]) => Self::InvoiceCreate,
            ("GET", ["sales", "invoice", "page", _, _]) => Self::InvoicePage(arg(3), arg(4)),
            ("GET", ["sales", "invoice", "reference", _]) => Self::InvoiceByReference(arg(3)),
            ("GET", ["sales", "invoice", _]) => Self::InvoiceGet(arg(2)),
            _ => Self::Unknown,
        }
    }

    /// The route template used for counters.
    fn template(&self) -> &'static str {
        match self {
            Self::CompanyConnection => "/company/connection",
            Self::CustomerPage(..) => "/Customer/page/{page}/{count}",
            Self::CustomerSearch(..) => "/Customer/search/{value}/{max}",
            Self::CustomerCreate => "/Customer",
            Self::CustomerGet(_) | Self::CustomerUpdate(_) | Self::CustomerDelete(_) => {
                "/Customer/{number}"
            }
            Self::ProjectPage(..) => "/project/page/{page}/{count}",
            Self::ProjectCreate => "/project",
            Self::ProjectGet(_) => "/project/{number}",
            Self::ProductPage(..) => "/Product/page/{page}/{count}",
            Self::ProductCreate => "/Product",
            Self::ProductGet(_) | Self::ProductUpdate(_) | Self::ProductDelete(_) => {
                "/Product/{itemcode}"
            }
            Self::SalesPersonPage(..) => "/sales/person/page/{page}/{count}",
            Self::SalesPersonGet(_) => "/sales/person/{number}",
            Self::InvoiceCreate => "/sales/invoice",
            Self::InvoicePage(..) => "/sales/invoice/page/{page}/{count}",
            Self::InvoiceByReference(_) => "/sales/invoice/reference/{reference}",
            Self::InvoiceGet(_) => "/sales/invoice/{number}",
            Self::Unknown => "(unknown)",
        }
    }
}

/// One incoming call, decoded.
struct Call<'a> {
    query: &'a [(String, String)],
    body: &'a [u8],
    path: &'a str,
}

impl Call<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.query(name).map(|v| v.eq_ignore_ascii_case("true"))
    }
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let path = request.url.path().to_owned();
        let segments = relative_segments(&path);
        let route = match &segments {
            Some(segments) => Route::parse(&request.method, segments),
            None => Route::Unknown,
        };
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let authorized = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(&self.expected_auth));

        *state
            .counts
            .entry(format!("{} {}", request.method, route.template()))
            .or_insert(0) += 1;
        if state.recording {
            state.requests.push(RecordedRequest {
                method: request.method.clone(),
                path: path.clone(),
                query: query.clone(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
                authorized,
            });
        }

        let mut delay = state.latency;
        if let Some(fault) = state.faults.pop_front() {
            match fault {
                Fault::Fail(failure) => return with_delay(failure_response(&failure), delay),
                Fault::Delay(extra) => delay = Some(delay.unwrap_or_default() + extra),
            }
        }
        if !authorized {
            return with_delay(
                message(
                    StatusCode::UNAUTHORIZED,
                    "Authorization has been denied for this request.",
                ),
                delay,
            );
        }
        let call = Call {
            query: &query,
            body: &request.body,
            path: &path,
        };
        let (response, extra_delay) = dispatch(&mut state, route, &call);
        if let Some(extra) = extra_delay {
            delay = Some(delay.unwrap_or_default() + extra);
        }
        with_delay(response, delay)
    }
}

fn with_delay(response: ResponseTemplate, delay: Option<Duration>) -> ResponseTemplate {
    match delay {
        Some(d) if !d.is_zero() => response.set_delay(d),
        _ => response,
    }
}

/// The decoded path segments below `/api/v1`, or `None` for paths outside it.
fn relative_segments(path: &str) -> Option<Vec<String>> {
    const ROOT: &str = "/api/v1";
    let head = path.get(..ROOT.len())?;
    if !head.eq_ignore_ascii_case(ROOT) {
        return None;
    }
    let rest = path.get(ROOT.len()..)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(
        rest.split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect(),
    )
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(h), Some(l)) if hex(*h).is_some() && hex(*l).is_some() => {
                let value = hex(*h).unwrap_or(0) * 16 + hex(*l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (Some(b), _, _) => {
                out.push(*b);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> ResponseTemplate {
    ResponseTemplate::new(status.as_u16()).set_body_json(body)
}

fn message(status: StatusCode, text: &str) -> ResponseTemplate {
    json(status, &json!({ "Message": text }))
}

fn empty_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
}

fn failure_response(failure: &Failure) -> ResponseTemplate {
    let mut response = match &failure.body {
        FailureBody::Message(text) => message(failure.status, text),
        FailureBody::Html => ResponseTemplate::new(failure.status.as_u16()).set_body_raw(
            format!(
                "<!DOCTYPE html><html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>",
                failure.status
            ),
            "text/html",
        ),
        FailureBody::Empty => ResponseTemplate::new(failure.status.as_u16()),
    };
    if let Some(retry_after) = &failure.retry_after {
        response = response.insert_header("Retry-After", retry_after.as_str());
    }
    response
}

fn route_miss(path: &str) -> ResponseTemplate {
    message(
        StatusCode::NOT_FOUND,
        &format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<ResponseTemplate>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(json(
            StatusCode::BAD_REQUEST,
            &json!({ "Message": "The request is invalid.", "ModelState": { "model": [e.to_string()] } }),
        ))
    })
}

/// Slices out one 1-based page.
fn page_of<T: Serialize>(items: Vec<T>, page: &str, count: &str) -> ResponseTemplate {
    let (Ok(page), Ok(count)) = (page.parse::<usize>(), count.parse::<usize>()) else {
        return message(StatusCode::BAD_REQUEST, "The request is invalid.");
    };
    if page == 0 || count == 0 {
        return message(
            StatusCode::BAD_REQUEST,
            "Page and count must be 1 or higher.",
        );
    }
    let start = (page - 1).saturating_mul(count);
    let slice: Vec<T> = items.into_iter().skip(start).take(count).collect();
    json(StatusCode::OK, &slice)
}

fn eq_ci(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()))
}

/// Handles one authorised call; may ask for an extra delay.
fn dispatch(
    state: &mut State,
    route: Route,
    call: &Call<'_>,
) -> (ResponseTemplate, Option<Duration>) {
    let response = match route {
        Route::CompanyConnection => json(StatusCode::OK, &true),
        Route::CustomerPage(page, count) => customer_page(state, call, &page, &count),
        Route::CustomerSearch(value, max) => {
            let max = max.and_then(|m| m.parse::<usize>().ok()).unwrap_or(100);
            let needle = value.to_lowercase();
            let found: Vec<&Customer> = state
                .customers
                .values()
                .filter(|c| {
                    [
                        c.number.as_ref().map(|n| n.as_str()),
                        c.name.as_deref(),
                        c.email.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|field| field.to_lowercase().contains(&needle))
                })
                .take(max)
                .collect();
            json(StatusCode::OK, &found)
        }
        Route::CustomerCreate => customer_create(state, call),
        Route::CustomerGet(number) => match state.customers.get(&key(&number)) {
            Some(customer) => json(StatusCode::OK, customer),
            None => message(
                StatusCode::NOT_FOUND,
                &format!("Customer '{number}' not found."),
            ),
        },
        Route::CustomerUpdate(number) => customer_update(state, call, &number),
        Route::CustomerDelete(number) => match state.customers.remove(&key(&number)) {
            Some(_) => empty_ok(),
            None => message(
                StatusCode::NOT_FOUND,
                &format!("Customer '{number}' not found."),
            ),
        },
        Route::ProjectPage(page, count) => project_page(state, call, &page, &count),
        Route::ProjectCreate => project_create(state, call),
        Route::ProjectGet(number) => match state.projects.get(&key(&number)) {
            Some(project) => json(StatusCode::OK, project),
            None => message(
                StatusCode::NOT_FOUND,
                &format!("Project '{number}' not found."),
            ),
        },
        Route::ProductPage(page, count) => product_page(state, call, &page, &count),
        Route::ProductCreate => product_create(state, call),
        Route::ProductGet(code) => match product_code(call, &code) {
            Ok(code) => match state.products.get(&key(&code)) {
                Some(product) => json(StatusCode::OK, product),
                None => message(
                    StatusCode::NOT_FOUND,
                    &format!("Product '{code}' not found."),
                ),
            },
            Err(response) => *response,
        },
        Route::ProductUpdate(code) => match product_code(call, &code) {
            Ok(code) => product_update(state, call, &code),
            Err(response) => *response,
        },
        Route::ProductDelete(code) => match product_code(call, &code) {
            Ok(code) => match state.products.remove(&key(&code)) {
                Some(_) => empty_ok(),
                None => message(
                    StatusCode::NOT_FOUND,
                    &format!("Product '{code}' not found."),
                ),
            },
            Err(response) => *response,
        },
        Route::SalesPersonPage(page, count) => {
            let all: Vec<_> = state.sales_persons.values().cloned().collect();
            page_of(all, &page, &count)
        }
        Route::SalesPersonGet(number) => match state.sales_persons.get(&key(&number)) {
            Some(sp) => json(StatusCode::OK, sp),
            None => message(
                StatusCode::NOT_FOUND,
                &format!("Sales person '{number}' not found."),
            ),
        },
        Route::InvoiceCreate => return invoice_create(state, call),
        Route::InvoicePage(page, count) => invoice_page(state, call, &page, &count),
        Route::InvoiceByReference(reference) => {
            let found: Vec<&SalesInvoice> = state
                .invoices
                .iter()
                .filter(|i| eq_ci(i.reference.as_deref(), &reference))
                .collect();
            json(StatusCode::OK, &found)
        }
        Route::InvoiceGet(number) => match state
            .invoices
            .iter()
            .find(|i| eq_ci(i.number.as_ref().map(|n| n.as_str()), &number))
        {
            Some(invoice) => json(StatusCode::OK, invoice),
            None => message(
                StatusCode::NOT_FOUND,
                &format!("Invoice '{number}' not found."),
            ),
        },
        Route::Unknown => route_miss(call.path),
    };
    (response, None)
}

fn product_code(call: &Call<'_>, raw: &str) -> Result<String, Box<ResponseTemplate>> {
    if call.flag("isBase64") != Some(true) {
        return Ok(raw.to_owned());
    }
    base64::engine::general_purpose::STANDARD
        .decode(raw.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            Box::new(message(
                StatusCode::BAD_REQUEST,
                "The item code is not valid base64.",
            ))
        })
}

fn customer_page(state: &State, call: &Call<'_>, page: &str, count: &str) -> ResponseTemplate {
    let modified_after = call
        .query("modifiedAfter")
        .and_then(|v| parse_timestamp(v).ok().flatten());
    let all: Vec<Customer> = state
        .customers
        .values()
        .filter(|c| {
            call.query("group")
                .is_none_or(|g| eq_ci(c.group.as_deref(), g))
        })
        .filter(|c| {
            call.query("email")
                .is_none_or(|e| eq_ci(c.email.as_deref(), e))
        })
        .filter(|c| {
            call.flag("blocked")
                .is_none_or(|b| c.blocked.unwrap_or(false) == b)
        })
        .filter(|c| {
            call.flag("deleted")
                .is_none_or(|d| c.deleted.unwrap_or(false) == d)
        })
        .filter(|c| {
            call.flag("novat")
                .is_none_or(|n| c.no_vat.unwrap_or(false) == n)
        })
        .filter(|c| modified_after.is_none_or(|after| c.modified.is_some_and(|m| m > after)))
        .cloned()
        .collect();
    page_of(all, page, count)
}

fn apply_customer_write(customer: &mut Customer, write: &CustomerWrite) {
    macro_rules! copy {
        ($($field:ident),+) => { $( if write.$field.is_some() { customer.$field = write.$field.clone(); } )+ };
    }
    copy!(
        name,
        ss_number,
        alias,
        address1,
        address2,
        address3,
        zip_code,
        city,
        country_code,
        phone,
        phone_local,
        phone_mobile,
        email,
        blocked,
        payment_term,
        payment_mode,
        sales_person,
        no_vat,
        group,
        currency_code,
        ledger_code,
        discount
    );
    customer.modified = Some(Utc::now());
}

fn customer_create(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let write: CustomerWrite = match parse_body(call.body) {
        Ok(w) => w,
        Err(response) => return *response,
    };
    let Some(number) = write
        .number
        .clone()
        .filter(|n| !n.as_str().trim().is_empty())
    else {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({"Message": "The request is invalid.", "ModelState": {"model.Number": ["The Number field is required."]}}),
        );
    };
    if state.customers.contains_key(&key(number.as_str())) {
        return message(StatusCode::CONFLICT, "Customer exists with this Number.");
    }
    let mut customer = Customer {
        number: Some(number.clone()),
        record_id: Some(state.record_id()),
        ..Default::default()
    };
    apply_customer_write(&mut customer, &write);
    state.customers.insert(key(number.as_str()), customer);
    empty_ok()
}

fn customer_update(state: &mut State, call: &Call<'_>, number: &str) -> ResponseTemplate {
    let write: CustomerWrite = match parse_body(call.body) {
        Ok(w) => w,
        Err(response) => return *response,
    };
    match state.customers.get_mut(&key(number)) {
        Some(customer) => {
            apply_customer_write(customer, &write);
            empty_ok()
        }
        None => message(
            StatusCode::NOT_FOUND,
            &format!("Customer '{number}' not found."),
        ),
    }
}

fn project_page(state: &State, call: &Call<'_>, page: &str, count: &str) -> ResponseTemplate {
    let all: Vec<Project> = state
        .projects
        .values()
        .filter(|p| {
            call.query("customer")
                .is_none_or(|c| eq_ci(p.customer_to_bill.as_ref().map(|n| n.as_str()), c))
        })
        .filter(|p| {
            call.query("group")
                .is_none_or(|g| eq_ci(p.group.as_deref(), g))
        })
        .filter(|p| {
            call.query("status").is_none_or(|s| {
                p.job_status
                    .as_ref()
                    .and_then(|st| st.as_int())
                    .is_some_and(|i| i.to_string() == s)
            })
        })
        .cloned()
        .collect();
    page_of(all, page, count)
}

fn project_create(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let create: ProjectCreate = match parse_body(call.body) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    let number = create.number.clone();
    if number.as_str().trim().is_empty() {
        return message(StatusCode::BAD_REQUEST, "The Number field is required.");
    }
    if state.projects.contains_key(&key(number.as_str())) {
        return message(StatusCode::CONFLICT, "Project exists with this Number.");
    }
    if let Some(customer) = &create.customer_to_bill
        && !state.customers.contains_key(&key(customer.as_str()))
    {
        return message(
            StatusCode::BAD_REQUEST,
            &format!("Customer '{customer}' not found."),
        );
    }
    let customer_name = create
        .customer_to_bill
        .as_ref()
        .and_then(|c| state.customers.get(&key(c.as_str())))
        .and_then(|c| c.name.clone());
    let project = Project {
        number: Some(number.clone()),
        record_id: Some(state.record_id()),
        name: create.name,
        group: create.group,
        master_job_number: create.master_job_number,
        customer_to_bill: create.customer_to_bill,
        customer_name_to_bill: customer_name,
        founder: create.founder,
        owner: create.owner,
        supervisor: create.supervisor,
        job_contact_name: create.job_contact_name,
        foreign_name: create.foreign_name,
        dim1: create.dim1,
        dim2: create.dim2,
        dim3: create.dim3,
        founding_date: create.founding_date,
        estimated_beginning_date: create.estimated_beginning_date,
        estimated_finish_date: create.estimated_finish_date,
        job_type: create.job_type,
        job_status: create.job_status,
        job_billing_mode: create.job_billing_mode,
        ledger_code: create.ledger_code,
        skip_tax_on_invoice: create.skip_tax_on_invoice,
        modified: Some(Utc::now()),
        ..Default::default()
    };
    state.projects.insert(key(number.as_str()), project.clone());
    json(StatusCode::OK, &project)
}

fn product_page(state: &State, call: &Call<'_>, page: &str, count: &str) -> ResponseTemplate {
    let all: Vec<Product> = state
        .products
        .values()
        .filter(|p| {
            call.flag("inactive")
                .is_none_or(|i| p.inactive.unwrap_or(false) == i)
        })
        .filter(|p| {
            call.flag("deleted")
                .is_none_or(|d| p.deleted.unwrap_or(false) == d)
        })
        .filter(|p| {
            call.query("group")
                .is_none_or(|g| eq_ci(p.group.as_deref(), g))
        })
        .cloned()
        .collect();
    page_of(all, page, count)
}

fn apply_product_update(product: &mut Product, update: &ProductUpdate) {
    macro_rules! copy {
        ($($field:ident),+) => { $( if update.$field.is_some() { product.$field = update.$field.clone(); } )+ };
    }
    copy!(
        description,
        description2,
        group,
        item_class,
        unit_code,
        tax_percent,
        unit_price1,
        unit_price1_with_tax,
        sales_tax_code,
        sales_ledger_code,
        purchase_ledger_code,
        currency_code,
        purchase_price,
        inactive,
        show_item_in_web_shop,
        allow_discount,
        allow_negative_inventory
    );
    product.record_modified = Some(Utc::now());
}

fn product_create(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let create: ProductCreate = match parse_body(call.body) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    let code = create.item_code.clone();
    if code.as_str().trim().is_empty() {
        return message(StatusCode::BAD_REQUEST, "The ItemCode field is required.");
    }
    if state.products.contains_key(&key(code.as_str())) {
        return message(StatusCode::CONFLICT, "Product exists with this ItemCode.");
    }
    let update = ProductUpdate {
        description: create.description,
        description2: create.description2,
        group: create.group,
        item_class: create.item_class,
        unit_code: create.unit_code,
        tax_percent: create.tax_percent,
        unit_price1: create.unit_price1,
        unit_price1_with_tax: create.unit_price1_with_tax,
        sales_tax_code: create.sales_tax_code,
        sales_ledger_code: create.sales_ledger_code,
        purchase_ledger_code: create.purchase_ledger_code,
        currency_code: create.currency_code,
        purchase_price: create.purchase_price,
        inactive: create.inactive,
        show_item_in_web_shop: create.show_item_in_web_shop,
        allow_discount: create.allow_discount,
        allow_negative_inventory: create.allow_negative_inventory,
    };
    let mut product = Product {
        item_code: Some(code.clone()),
        record_id: Some(state.record_id()),
        record_created: Some(Utc::now()),
        ..Default::default()
    };
    apply_product_update(&mut product, &update);
    state.products.insert(key(code.as_str()), product.clone());
    json(StatusCode::OK, &product)
}

fn product_update(state: &mut State, call: &Call<'_>, code: &str) -> ResponseTemplate {
    let update: ProductUpdate = match parse_body(call.body) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    match state.products.get_mut(&key(code)) {
        Some(product) => {
            apply_product_update(product, &update);
            json(StatusCode::OK, product)
        }
        None => message(
            StatusCode::NOT_FOUND,
            &format!("Product '{code}' not found."),
        ),
    }
}

fn invoice_page(state: &State, call: &Call<'_>, page: &str, count: &str) -> ResponseTemplate {
    let date = |name: &str| call.query(name).and_then(|v| parse_date(v).ok().flatten());
    let created_after = date("createdAfter");
    let created_before = date("createdBefore");
    let modified_after = call
        .query("modifiedAfter")
        .and_then(|v| parse_timestamp(v).ok().flatten());
    let include_lines = call.flag("includeLines") == Some(true);
    let all: Vec<SalesInvoice> = state
        .invoices
        .iter()
        .filter(|i| {
            call.query("customer")
                .is_none_or(|c| eq_ci(i.customer_number.as_ref().map(|n| n.as_str()), c))
        })
        .filter(|i| {
            call.query("project")
                .is_none_or(|p| eq_ci(i.project.as_ref().map(|n| n.as_str()), p))
        })
        .filter(|i| {
            call.query("reference")
                .is_none_or(|r| eq_ci(i.reference.as_deref(), r))
        })
        .filter(|i| {
            call.query("salesPerson")
                .is_none_or(|s| eq_ci(i.sales_person.as_ref().map(|n| n.as_str()), s))
        })
        .filter(|i| created_after.is_none_or(|d| i.invoice_date.is_some_and(|x| x >= d)))
        .filter(|i| created_before.is_none_or(|d| i.invoice_date.is_some_and(|x| x < d)))
        .filter(|i| modified_after.is_none_or(|t| i.modified.is_some_and(|m| m > t)))
        .map(|i| {
            let mut invoice = i.clone();
            if !include_lines {
                invoice.lines = None;
            }
            invoice
        })
        .collect();
    page_of(all, page, count)
}

fn money(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn invoice_create(state: &mut State, call: &Call<'_>) -> (ResponseTemplate, Option<Duration>) {
    let bad = |text: String| (message(StatusCode::BAD_REQUEST, &text), None);
    let create: SalesInvoiceCreate = match parse_body(call.body) {
        Ok(i) => i,
        Err(response) => return (*response, None),
    };
    let Some(customer) = state
        .customers
        .get(&key(create.customer.number.as_str()))
        .cloned()
    else {
        return bad(format!("Customer '{}' not found.", create.customer.number));
    };
    if let Some(project) = &create.project
        && !state.projects.contains_key(&key(project.as_str()))
    {
        return bad(format!("Project '{project}' not found."));
    }
    let sales_person = match &create.sales_person {
        Some(sp) => match state.sales_persons.get(&key(sp.as_str())) {
            Some(found) => found.number.clone().unwrap_or_else(|| sp.clone()),
            None => return bad(format!("Sales person '{sp}' not found.")),
        },
        None => match ["vef", "web"]
            .into_iter()
            .find(|n| state.sales_persons.contains_key(*n))
        {
            Some(n) => SalesPersonNumber::new(n),
            None => {
                return bad(
                    "No sales person given and none of the defaults (the user's, 'vef', 'web') exists."
                        .to_owned(),
                );
            }
        },
    };
    if create.lines.is_empty() {
        return bad("The invoice has no lines.".to_owned());
    }
    let no_vat = customer.no_vat.unwrap_or(false);
    let hundred = Decimal::ONE_HUNDRED;
    let mut lines = Vec::with_capacity(create.lines.len());
    let (mut total, mut total_with_tax) = (Decimal::ZERO, Decimal::ZERO);
    for (index, line) in create.lines.iter().enumerate() {
        let Some(product) = state.products.get(&key(line.item_code.as_str())) else {
            return bad(format!("Item '{}' not found.", line.item_code));
        };
        let tax = if no_vat {
            Decimal::ZERO
        } else {
            product.tax_percent.unwrap_or(Decimal::ZERO)
        };
        let factor = Decimal::ONE + tax / hundred;
        let discount = line.discount.unwrap_or(Decimal::ZERO);
        let gross_of_discount = line.quantity * line.price * (Decimal::ONE - discount / hundred);
        let (unit_net, unit_gross, net, gross) = if line.including_vat == Some(true) {
            (
                line.price / factor,
                line.price,
                gross_of_discount / factor,
                gross_of_discount,
            )
        } else {
            (
                line.price,
                line.price * factor,
                gross_of_discount,
                gross_of_discount * factor,
            )
        };
        let (net, gross) = (money(net), money(gross));
        total += net;
        total_with_tax += gross;
        let sequence = i64::try_from(index + 1).unwrap_or(i64::MAX / 10_000) * 10_000;
        lines.push(SalesInvoiceLine {
            sequence_number: Some(sequence),
            item_code: product
                .item_code
                .clone()
                .or_else(|| Some(line.item_code.clone())),
            text: line.text.clone().or_else(|| product.description.clone()),
            text2: line.text2.clone(),
            warehouse: line.warehouse.clone(),
            quantity: Some(line.quantity),
            unit_code: product.unit_code.clone(),
            unit_price: Some(money(unit_net)),
            unit_price_with_tax: Some(money(unit_gross)),
            discount: line.discount,
            total_amount: Some(net),
            total_amount_with_tax: Some(gross),
            dim1: line.dim1.clone(),
            ..Default::default()
        });
    }
    let now = Utc::now();
    let invoice_date = create.date.unwrap_or_else(|| now.date_naive());
    let number = if call.flag("post") == Some(false) {
        None
    } else {
        let n = state.next_invoice_number;
        state.next_invoice_number += 1;
        Some(InvoiceNumber::new(n.to_string()))
    };
    let invoice = SalesInvoice {
        number,
        record_id: Some(state.record_id()),
        created: Some(now),
        modified: Some(now),
        created_by: Some("API".to_owned()),
        customer_number: customer.number.clone(),
        customer_name: create
            .customer
            .name
            .clone()
            .or_else(|| customer.name.clone()),
        customer_address1: customer.address1.clone(),
        customer_zip_code: customer.zip_code.clone(),
        customer_ssn: create
            .customer
            .ssn
            .clone()
            .or_else(|| customer.ss_number.clone())
            .or_else(|| customer.number.as_ref().map(|n| n.to_string())),
        invoice_date: Some(invoice_date),
        due_date: Some(create.due_date.unwrap_or(invoice_date)),
        total_amount: Some(total),
        total_amount_with_tax: Some(total_with_tax),
        currency: Some(create.currency.clone().unwrap_or_else(|| "ISK".to_owned())),
        exchange: Some(create.exchange.unwrap_or(Decimal::ONE)),
        reference: create.reference.clone(),
        settled_type: Some(0),
        settled_amount: Some(Decimal::ZERO),
        sales_person: Some(sales_person),
        text1: create.text1.clone(),
        text2: create.text2.clone(),
        payment_term: create
            .term
            .clone()
            .or_else(|| customer.payment_term.clone()),
        sales_type: Some(create.sale_type.clone().unwrap_or(SaleType::Debit)),
        version: Some(1),
        project: create.project.clone(),
        lines: Some(lines),
        ..Default::default()
    };
    state.invoices.push(invoice.clone());
    match state.after_store.take() {
        Some(AfterStore::Delay(delay)) => (json(StatusCode::OK, &invoice), Some(delay)),
        Some(AfterStore::Status(status)) => {
            (failure_response(&Failure::status(status).html()), None)
        }
        None => (json(StatusCode::OK, &invoice), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_the_api_root_are_split_and_decoded() {
        assert_eq!(
            relative_segments("/api/v1/Product/QS9C%20x"),
            Some(vec!["Product".to_owned(), "QS9C x".to_owned()])
        );
        assert_eq!(
            relative_segments("/API/V1/customer"),
            Some(vec!["customer".to_owned()])
        );
        assert_eq!(relative_segments("/other"), None);
        assert_eq!(relative_segments("/api/v10/x"), None);
        assert_eq!(percent_decode("%C3%9E%2F%zz"), "Þ/%zz");
    }

    #[test]
    fn routes_are_case_insensitive() {
        let seg = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
        assert!(matches!(
            Route::parse(&Method::GET, &seg("Customer/page/1/10")),
            Route::CustomerPage(..)
        ));
        assert!(
            matches!(Route::parse(&Method::GET, &seg("SALES/Invoice/reference/R-1")), Route::InvoiceByReference(r) if r == "R-1")
        );
        assert!(matches!(
            Route::parse(&Method::PATCH, &seg("customer/1")),
            Route::Unknown
        ));
    }
}
