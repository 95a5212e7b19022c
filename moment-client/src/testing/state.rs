//! The fake's state and its request handling (routing, auth, faults, filters, paging).

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use wiremock::{Respond, ResponseTemplate};

use crate::models::Customer;
use crate::models::{FinancialAccount, Invoice, InvoiceState, InvoiceType, Product, Project};
use crate::paging::{PageBase, PageShape};
use crate::resources::Resource;
use crate::testing::faults::{Fault, failure_response};
use crate::testing::store::{Index, Table};
use crate::wire::parse_timestamp;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path relative to the company base URL (`/invoices/5`), or the full path when the
    /// request was outside it.
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// `true` when the Basic auth header carried the right key.
    pub authorized: bool,
}

impl RecordedRequest {
    /// The value of a query parameter, if present.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) struct State {
    pub(crate) company_code: String,
    pub(crate) api_key: String,
    pub(crate) expected_auth: String,
    pub(crate) page_base: PageBase,
    pub(crate) page_shape: PageShape,
    pub(crate) default_per_page: u32,
    pub(crate) max_per_page: u32,
    pub(crate) latency: Duration,
    pub(crate) recording: bool,
    pub(crate) tables: BTreeMap<&'static str, Table>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) repeat_next: u32,
    pub(crate) last_list: Option<(String, String)>,
    /// An object that leaves its listing right after the next page of that listing is served.
    pub(crate) leave_after_page: Option<(String, i64)>,
    pub(crate) requests: Vec<RecordedRequest>,
    /// Payments registered on invoices, by invoice id (the stored JSON of each).
    pub(crate) payments: BTreeMap<i64, Vec<serde_json::Value>>,
    pub(crate) next_payment_id: i64,
    /// The next payment is stored, then answered with a 502 (an answer lost on the way).
    pub(crate) lose_next_payment_answer: bool,
    /// Payments are stored without the sender's `externalId` (a Moment that ignores it).
    pub(crate) drop_external_ids: bool,
    pub(crate) request_count: u64,
    pub(crate) last_tick: i64,
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The single wiremock responder that serves every request from the state.
pub(crate) struct Responder(pub(crate) Shared);

impl Respond for Responder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        lock(&self.0).handle(request)
    }
}

pub(crate) const RESOURCES: [&str; 5] = [
    Customer::PATH,
    Project::PATH,
    Invoice::PATH,
    Product::PATH,
    FinancialAccount::PATH,
];

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    }
}

fn json(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    json(
        status,
        serde_json::json!({
            "status": status,
            "error": reason(status),
            "message": message,
        })
        .to_string(),
    )
}

impl State {
    pub(crate) fn base_path(&self) -> String {
        format!("/api/1.0/companies/{}", self.company_code)
    }

    /// A strictly increasing "now" (so every change gets its own last-modified time).
    pub(crate) fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now()
            .timestamp_millis()
            .max(self.last_tick.saturating_add(1));
        self.last_tick = now;
        DateTime::from_timestamp_millis(now).unwrap_or_else(Utc::now)
    }

    fn handle(&mut self, request: &wiremock::Request) -> ResponseTemplate {
        self.request_count = self.request_count.saturating_add(1);
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(self.expected_auth.as_str());
        let base = self.base_path();
        let full_path = request.url.path().to_owned();
        let relative = full_path
            .strip_prefix(&base)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .map(str::to_owned);
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if self.recording {
            self.requests.push(RecordedRequest {
                method: request.method.to_string(),
                path: relative.clone().unwrap_or_else(|| full_path.clone()),
                query: query.clone(),
                authorized,
            });
        }

        let mut delay = self.latency;
        let template = match self.faults.pop_front() {
            Some(Fault::Fail(failure)) => failure_response(&failure),
            Some(Fault::Delay(extra)) => {
                delay += extra;
                self.route(
                    request.method.as_str(),
                    relative.as_deref(),
                    &query,
                    authorized,
                    &request.body,
                )
            }
            None => self.route(
                request.method.as_str(),
                relative.as_deref(),
                &query,
                authorized,
                &request.body,
            ),
        };
        if delay.is_zero() {
            template
        } else {
            template.set_delay(delay)
        }
    }

    fn route(
        &mut self,
        method: &str,
        relative: Option<&str>,
        query: &[(String, String)],
        authorized: bool,
        body: &[u8],
    ) -> ResponseTemplate {
        if !authorized {
            return error(
                401,
                "Full authentication is required to access this resource",
            )
            .insert_header("WWW-Authenticate", "Basic realm=\"Moment API\"");
        }
        let Some(relative) = relative else {
            return error(404, "No such company or path");
        };
        let segments: Vec<&str> = relative.split('/').filter(|s| !s.is_empty()).collect();
        if method == "POST" {
            return match segments.as_slice() {
                [resource, id, "payments"] if *resource == Invoice::PATH => {
                    self.register_payment(id, body)
                }
                _ => error(
                    405,
                    "The fake Moment API takes POST only for an invoice's payments",
                ),
            };
        }
        if method != "GET" {
            return error(405, "The fake Moment API serves GET and payment POSTs only");
        }
        match segments.as_slice() {
            [resource, id, "payments"] if *resource == Invoice::PATH => self.payments_of(id),
            [resource] if RESOURCES.contains(resource) => self.list(resource, query),
            [resource, id] if RESOURCES.contains(resource) => self.get(resource, id),
            [resource, id, "lines"] if *resource == Invoice::PATH => self.lines(id),
            _ => error(404, "No such resource"),
        }
    }

    fn get(&self, resource: &str, id: &str) -> ResponseTemplate {
        let Ok(id) = id.parse::<i64>() else {
            return error(400, &format!("Invalid id `{id}`"));
        };
        match self.tables.get(resource).and_then(|t| t.rows.get(&id)) {
            Some(row) => json(200, row.json.to_string()),
            None => error(404, &format!("No {resource} with id {id}")),
        }
    }

    fn has_invoice(&self, id: i64) -> bool {
        self.tables
            .get(Invoice::PATH)
            .and_then(|t| t.get::<Invoice>(id))
            .is_some()
    }

    /// `POST /invoices/{id}/payments`: a positive `amount`, a `paymentDate`, an optional
    /// `externalId` (the names `docs/moment-api.md` assumes); answers the stored payment.
    fn register_payment(&mut self, id: &str, body: &[u8]) -> ResponseTemplate {
        let Ok(id) = id.parse::<i64>() else {
            return error(400, &format!("Invalid id `{id}`"));
        };
        if !self.has_invoice(id) {
            return error(404, &format!("No invoice with id {id}"));
        }
        let Ok(serde_json::Value::Object(sent)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return error(400, "The body must be a JSON object");
        };
        let amount = sent.get("amount").and_then(serde_json::Value::as_f64);
        if !amount.is_some_and(|a| a > 0.0) {
            return error(400, "`amount` must be a positive number");
        }
        let date = sent.get("paymentDate").and_then(serde_json::Value::as_str);
        if date.is_none_or(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()) {
            return error(400, "`paymentDate` must be a date (YYYY-MM-DD)");
        }
        self.next_payment_id += 1;
        let mut stored = serde_json::Map::new();
        stored.insert("id".into(), self.next_payment_id.into());
        for field in ["amount", "paymentDate", "externalId", "comment"] {
            if field == "externalId" && self.drop_external_ids {
                continue;
            }
            if let Some(value) = sent.get(field) {
                stored.insert(field.into(), value.clone());
            }
        }
        let stored = serde_json::Value::Object(stored);
        self.payments.entry(id).or_default().push(stored.clone());
        if std::mem::take(&mut self.lose_next_payment_answer) {
            return error(502, "Bad gateway");
        }
        json(201, stored.to_string())
    }

    /// `GET /invoices/{id}/payments`.
    fn payments_of(&self, id: &str) -> ResponseTemplate {
        let Ok(id) = id.parse::<i64>() else {
            return error(400, &format!("Invalid id `{id}`"));
        };
        if !self.has_invoice(id) {
            return error(404, &format!("No invoice with id {id}"));
        }
        let items: Vec<String> = self
            .payments
            .get(&id)
            .map(|p| p.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let total = items.len() as u64;
        let size = u32::try_from(total.max(1)).unwrap_or(u32::MAX);
        json(
            200,
            self.render(items.iter().map(String::as_str), total, size, 0),
        )
    }

    fn lines(&self, id: &str) -> ResponseTemplate {
        let Ok(id) = id.parse::<i64>() else {
            return error(400, &format!("Invalid id `{id}`"));
        };
        let invoice: Option<Invoice> = self.tables.get(Invoice::PATH).and_then(|t| t.get(id));
        let Some(invoice) = invoice else {
            return error(404, &format!("No invoice with id {id}"));
        };
        let items: Vec<String> = invoice
            .lines
            .iter()
            .filter_map(|line| serde_json::to_string(line).ok())
            .collect();
        let total = items.len() as u64;
        let size = u32::try_from(total.max(1)).unwrap_or(u32::MAX);
        json(
            200,
            self.render(items.iter().map(String::as_str), total, size, 0),
        )
    }

    fn render<'a>(
        &self,
        items: impl Iterator<Item = &'a str>,
        total: u64,
        size: u32,
        index: u64,
    ) -> String {
        let mut list = String::from("[");
        for (i, item) in items.enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(item);
        }
        list.push(']');
        match self.page_shape {
            PageShape::BareArray => list,
            PageShape::Envelope => {
                let pages = total.div_ceil(u64::from(size));
                let mut out = String::with_capacity(list.len() + 96);
                let _ = write!(
                    out,
                    "{{\"content\":{list},\"page\":{{\"size\":{size},\"totalElements\":{total},\
                     \"totalPages\":{pages},\"number\":{index}}}}}"
                );
                out
            }
        }
    }

    fn list(&mut self, resource: &str, query: &[(String, String)]) -> ResponseTemplate {
        if self.repeat_next > 0
            && let Some((path, body)) = &self.last_list
            && path == resource
        {
            let body = body.clone();
            self.repeat_next -= 1;
            return json(200, body);
        }
        let filter = match Filter::parse(query) {
            Ok(f) => f,
            Err(message) => return error(400, &message),
        };
        let first = self.page_base.first();
        // Like Spring's one-indexed mode, a server counting from 1 serves `page=0` as page 1.
        let number = match param(query, "page").map(str::parse::<u64>) {
            None => first,
            Some(Ok(n)) => n.max(first),
            Some(Err(_)) => return error(400, "`page` must be a whole number"),
        };
        let size = match param(query, "size").map(str::parse::<u32>) {
            None => self.default_per_page,
            Some(Ok(n)) if n > 0 => n.min(self.max_per_page),
            Some(_) => return error(400, "`size` must be a whole number ≥ 1"),
        };
        let index = number - first;
        let skip = index.saturating_mul(u64::from(size));
        let Some(table) = self.tables.get(resource) else {
            return error(404, "No such resource");
        };
        let mut total = 0u64;
        let mut page: Vec<&str> = Vec::with_capacity(size as usize);
        for row in table.rows.values().filter(|r| filter.matches(&r.index)) {
            if total >= skip && page.len() < size as usize {
                page.push(&row.json);
            }
            total += 1;
        }
        let body = self.render(page.into_iter(), total, size, index);
        self.last_list = Some((resource.to_owned(), body.clone()));
        if let Some((path, id)) = self.leave_after_page.take_if(|(path, _)| path == resource)
            && let Some(table) = self.tables.get_mut(path.as_str())
        {
            table.rows.remove(&id);
        }
        json(200, body)
    }
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The filters of a list request, as the fake understands them.
#[derive(Default)]
struct Filter {
    modified_from: Option<i64>,
    modified_to: Option<i64>,
    created_from: Option<i64>,
    created_to: Option<i64>,
    query: Option<String>,
    customer: Option<i64>,
    project: Option<i64>,
    state: Option<InvoiceState>,
    kind: Option<InvoiceType>,
}

impl Filter {
    fn parse(query: &[(String, String)]) -> Result<Self, String> {
        let time = |name: &str| -> Result<Option<i64>, String> {
            param(query, name)
                .map(|v| {
                    parse_timestamp(v)
                        .map(|t| t.timestamp_millis())
                        .ok_or_else(|| format!("Invalid date `{v}` for `{name}`"))
                })
                .transpose()
        };
        let id = |name: &str| -> Result<Option<i64>, String> {
            param(query, name)
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("Invalid id `{v}` for `{name}`"))
                })
                .transpose()
        };
        Ok(Self {
            modified_from: time("lastModifiedDateFrom")?,
            modified_to: time("lastModifiedDateTo")?,
            created_from: time("createdDateFrom")?,
            created_to: time("createdDateTo")?,
            query: param(query, "query").map(str::to_lowercase),
            customer: id("customerId")?,
            project: id("projectId")?,
            state: param(query, "state").map(InvoiceState::from_wire),
            kind: param(query, "invoiceType").map(InvoiceType::from_wire),
        })
    }

    fn matches(&self, index: &Index) -> bool {
        fn from(bound: Option<i64>, value: Option<i64>) -> bool {
            bound.is_none_or(|b| value.is_some_and(|v| v >= b))
        }
        fn to(bound: Option<i64>, value: Option<i64>) -> bool {
            bound.is_none_or(|b| value.is_some_and(|v| v < b))
        }
        from(self.modified_from, index.modified)
            && to(self.modified_to, index.modified)
            && from(self.created_from, index.created)
            && to(self.created_to, index.created)
            && self
                .query
                .as_deref()
                .is_none_or(|q| index.search.contains(q))
            && self.customer.is_none_or(|c| index.customer == Some(c))
            && self.project.is_none_or(|p| index.project == Some(p))
            && self
                .state
                .as_ref()
                .is_none_or(|s| index.state.as_ref() == Some(s))
            && self
                .kind
                .as_ref()
                .is_none_or(|k| index.kind.as_ref() == Some(k))
    }
}
