//! Which handler answers which published operation, and the read side of the fake: lookups and
//! listings with their published filters.

use base64::Engine;
use serde_json::Value;

use super::books::{self, Reply, flag, text};
use super::contract::PublishedOperation;
use super::state::{State, key};
use crate::wire::dates::{parse_date, parse_timestamp};

/// One incoming call, decoded: the path arguments (the segments at the operation's
/// placeholders), the query (published keys only) and the JSON body (published fields only).
pub(crate) struct Call {
    pub(crate) args: Vec<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Value,
}

impl Call {
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.query(name).map(|v| v.eq_ignore_ascii_case("true"))
    }

    fn arg(&self, index: usize) -> &str {
        self.args.get(index).map(String::as_str).unwrap_or_default()
    }

    fn take_body(&mut self) -> Value {
        std::mem::take(&mut self.body)
    }
}

/// Answers one published operation.
pub(crate) fn dispatch(state: &mut State, operation: &PublishedOperation, mut call: Call) -> Reply {
    match operation.operation.as_str() {
        "CompanyApi.companyGetTestConnection" => Reply::Json(Value::Bool(true)),
        "CustomerApi.customerGetCustomerById" => found(
            state.customers.get(&key(call.arg(0))),
            "Customer",
            call.arg(0),
        ),
        "CustomerApi.customerGetCustomersPaged" => {
            let all = filtered(state.customers.values(), &call, customer_filter);
            page(all, &call)
        }
        "CustomerApi.customerGetSearch" => {
            let needle = call.arg(0).to_lowercase();
            let max = call.arg(1).parse::<usize>().unwrap_or(100);
            let hits: Vec<Value> = state
                .customers
                .values()
                .filter(|c| {
                    ["Number", "Name", "Email"]
                        .into_iter()
                        .filter_map(|f| text(c, f))
                        .any(|v| v.to_lowercase().contains(&needle))
                })
                .take(max)
                .cloned()
                .collect();
            Reply::Json(Value::Array(hits))
        }
        "CustomerApi.customerCreateCustomer" => books::customer_create(state, call.take_body()),
        "CustomerApi.customerUpdateCustomer" => {
            let number = call.arg(0).to_owned();
            books::customer_update(state, &number, call.take_body())
        }
        "CustomerApi.customerDeleteCustomer" => match state.customers.remove(&key(call.arg(0))) {
            Some(_) => Reply::Empty,
            None => Reply::not_found(format!("Customer '{}' not found.", call.arg(0))),
        },
        "ProjectApi.projectGetProject" => found(
            state.projects.get(&key(call.arg(0))),
            "Project",
            call.arg(0),
        ),
        "ProjectApi.projectGetPage" => {
            let all = filtered(state.projects.values(), &call, project_filter);
            page(all, &call)
        }
        "ProjectApi.projectCreateProject" => books::project_create(state, call.take_body()),
        "ProductApi.productGetProductById" => match product_code(&call) {
            Ok(code) => found(state.products.get(&key(&code)), "Product", &code),
            Err(reply) => reply,
        },
        "ProductApi.productGetProductsPage" => {
            let all = filtered(state.products.values(), &call, product_filter);
            page(all, &call)
        }
        "ProductApi.productCreateProduct" => books::product_create(state, call.take_body()),
        "ProductApi.productUpdateProduct" => match product_code(&call) {
            Ok(code) => books::product_update(state, &code, call.take_body()),
            Err(reply) => reply,
        },
        "ProductApi.productDeleteProduct" => match product_code(&call) {
            Ok(code) => match state.products.remove(&key(&code)) {
                Some(_) => Reply::Empty,
                None => Reply::not_found(format!("Product '{code}' not found.")),
            },
            Err(reply) => reply,
        },
        "SalesPersonApi.salesPersonGetSalesPerson" => found(
            state.sales_persons.get(&key(call.arg(0))),
            "Sales person",
            call.arg(0),
        ),
        "SalesPersonApi.salesPersonGetSalesPersonsPage" => {
            let all: Vec<Value> = state.sales_persons.values().cloned().collect();
            page(all, &call)
        }
        "InvoiceApi.invoiceCreateInvoice" => {
            let post = call.flag("post").unwrap_or(true);
            books::invoice_create(state, call.take_body(), post)
        }
        "InvoiceApi.invoiceGetInvoice" => {
            let number = call.arg(0).to_owned();
            let hit = state
                .visible_invoices()
                .find(|i| text(i, "Number").is_some_and(|n| n.eq_ignore_ascii_case(&number)));
            found(hit, "Invoice", &number)
        }
        "InvoiceApi.invoiceGetPage" => {
            let all = filtered(state.visible_invoices(), &call, invoice_filter);
            let all = without_lines_unless(all, call.flag("includeLines") == Some(true));
            page(all, &call)
        }
        "(S3) Sales/Invoice By Reference" => by_reference(state, &call),
        other => Reply::Fail(
            http::StatusCode::NOT_IMPLEMENTED,
            format!(
                "the fake DK+ does not implement {other} ({} {})",
                operation.method, operation.path
            ),
        ),
    }
}

fn by_reference(state: &State, call: &Call) -> Reply {
    let reference = call.arg(0);
    let hits: Vec<Value> = state
        .visible_invoices()
        .filter(|i| {
            text(i, "Reference").is_some_and(|r| r.trim().eq_ignore_ascii_case(reference.trim()))
        })
        .cloned()
        .collect();
    Reply::Json(Value::Array(hits))
}

fn found(record: Option<&Value>, what: &str, key: &str) -> Reply {
    match record {
        Some(record) => Reply::Json(record.clone()),
        None => Reply::not_found(format!("{what} '{key}' not found.")),
    }
}

fn filtered<'a>(
    records: impl Iterator<Item = &'a Value>,
    call: &Call,
    keep: fn(&Value, &Call) -> bool,
) -> Vec<Value> {
    records.filter(|r| keep(r, call)).cloned().collect()
}

fn without_lines_unless(records: Vec<Value>, keep_lines: bool) -> Vec<Value> {
    if keep_lines {
        return records;
    }
    records
        .into_iter()
        .map(|mut r| {
            if let Some(map) = r.as_object_mut() {
                map.insert("Lines".into(), Value::Null);
            }
            r
        })
        .collect()
}

/// Slices out one 1-based page (`/page/{page}/{count}`).
fn page(records: Vec<Value>, call: &Call) -> Reply {
    let (Ok(page), Ok(count)) = (call.arg(0).parse::<usize>(), call.arg(1).parse::<usize>()) else {
        return Reply::bad("The request is invalid.");
    };
    if page == 0 || count == 0 {
        return Reply::bad("Page and count must be 1 or higher.");
    }
    let start = (page - 1).saturating_mul(count);
    Reply::Json(Value::Array(
        records.into_iter().skip(start).take(count).collect(),
    ))
}

fn same(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()))
}

/// `query` absent, or equal (case-insensitively) to the record's text field.
fn text_filter(record: &Value, call: &Call, query: &str, field: &str) -> bool {
    call.query(query)
        .is_none_or(|q| same(text(record, field), q))
}

fn flag_filter(record: &Value, call: &Call, query: &str, field: &str) -> bool {
    call.flag(query).is_none_or(|q| flag(record, field) == q)
}

fn modified_filter(record: &Value, call: &Call, field: &str) -> bool {
    let at = |name: &str| {
        call.query(name)
            .and_then(|v| parse_timestamp(v).ok().flatten())
    };
    let modified = text(record, field).and_then(|v| parse_timestamp(v).ok().flatten());
    let after = at("modifiedAfter").is_none_or(|t| modified.is_some_and(|m| m > t));
    let before = at("modifiedBefore").is_none_or(|t| modified.is_some_and(|m| m < t));
    after && before
}

fn customer_filter(c: &Value, call: &Call) -> bool {
    text_filter(c, call, "group", "Group")
        && text_filter(c, call, "email", "Email")
        && text_filter(c, call, "zipcode", "ZipCode")
        && text_filter(c, call, "country", "CountryCode")
        && text_filter(c, call, "salesperson", "SalesPerson")
        && text_filter(c, call, "paymentterm", "PaymentTerm")
        && text_filter(c, call, "paymentmode", "PaymentMode")
        && flag_filter(c, call, "blocked", "Blocked")
        && flag_filter(c, call, "deleted", "Deleted")
        && flag_filter(c, call, "novat", "NoVat")
        && modified_filter(c, call, "Modified")
}

fn project_filter(p: &Value, call: &Call) -> bool {
    let enum_filter = |query: &str, field: &str| {
        call.query(query).is_none_or(|q| {
            p.get(field).is_some_and(|v| match v {
                Value::Number(n) => n.to_string() == q.trim(),
                _ => false,
            })
        })
    };
    text_filter(p, call, "customer", "CustomerToBill")
        && text_filter(p, call, "group", "Group")
        && text_filter(p, call, "dim1", "Dim1")
        && text_filter(p, call, "dim2", "Dim2")
        && text_filter(p, call, "dim3", "Dim3")
        && enum_filter("status", "JobStatus")
        && enum_filter("type", "JobType")
        && modified_filter(p, call, "Modified")
}

fn product_filter(p: &Value, call: &Call) -> bool {
    flag_filter(p, call, "inactive", "Inactive")
        && flag_filter(p, call, "deleted", "Deleted")
        && flag_filter(p, call, "onweb", "ShowItemInWebShop")
        && text_filter(p, call, "group", "Group")
}

fn invoice_filter(i: &Value, call: &Call) -> bool {
    let day = |name: &str| call.query(name).and_then(|v| parse_date(v).ok().flatten());
    let field_day = |field: &str| text(i, field).and_then(|v| parse_date(v).ok().flatten());
    let invoice_date = field_day("InvoiceDate");
    let record_id = i.get("RecordID").and_then(Value::as_i64);
    text_filter(i, call, "customer", "CNumber")
        && text_filter(i, call, "project", "Project")
        && text_filter(i, call, "reference", "Reference")
        && text_filter(i, call, "salesPerson", "SalePerson")
        && day("createdAfter").is_none_or(|d| invoice_date.is_some_and(|x| x >= d))
        && day("createdBefore").is_none_or(|d| invoice_date.is_some_and(|x| x < d))
        && day("dueAfter").is_none_or(|d| field_day("DueDate").is_some_and(|x| x > d))
        && call
            .query("recordid")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .is_none_or(|after| record_id.is_some_and(|r| r > after))
        && modified_filter(i, call, "Modified")
}

/// The item code of a `/Product/{id}` call, decoded when `isBase64=true`.
fn product_code(call: &Call) -> Result<String, Reply> {
    let raw = call.arg(0);
    if call.flag("isBase64") != Some(true) {
        return Ok(raw.to_owned());
    }
    base64::engine::general_purpose::STANDARD
        .decode(raw.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Reply::bad("The item code is not valid base64."))
}
