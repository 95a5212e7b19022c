//! The fake's request pipeline: record, count, inject faults, check the token, find the published
//! operation, hold the request to the published description (dropping what DK+ would ignore),
//! answer, and shape the answer as DK+ publishes it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::books::Reply;
use super::contract::{Contract, Direction, PublishedOperation, Violation};
use super::faults::{AfterStore, Failure, Fault, Roll};
use super::routes::{self, Call};
use super::state::{RecordedRequest, State};

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

/// The counter key of a request: `"METHOD /published/{template}"`.
pub(crate) fn counter_key(method: &str, operation: Option<&PublishedOperation>) -> String {
    format!(
        "{} {}",
        method,
        operation.map_or("(unknown)", |op| op.path.as_str())
    )
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let contract = Contract::published();
        let path = request.url.path().to_owned();
        let segments = relative_segments(&path);
        let method = request.method.as_str();
        let operation = segments
            .as_ref()
            .and_then(|segments| contract.find_operation(method, segments));
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let authorized = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(&self.expected_auth));

        *state
            .counts
            .entry(counter_key(method, operation))
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
        let invoice_post = method == "POST"
            && operation.is_some_and(|op| op.path.eq_ignore_ascii_case("/sales/invoice"));
        if invoice_post && let Some(drawn) = state.post_latency.next() {
            delay = Some(drawn);
        }
        if let Some(fault) = state.faults.pop_front() {
            match fault {
                Fault::Fail(failure) => return with_delay(failure_response(&failure), delay),
                Fault::Delay(extra) => delay = Some(delay.unwrap_or_default() + extra),
            }
        }
        match state.dice.before() {
            Some(Roll::ServerError) => {
                return with_delay(failure_response(&Failure::status(503)), delay);
            }
            Some(Roll::RateLimited) => {
                return with_delay(
                    failure_response(&Failure::status(429).retry_after_secs(1)),
                    delay,
                );
            }
            None => {}
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
        let (Some(operation), Some(segments)) = (operation, segments) else {
            state.violation(Violation {
                at: format!("{method} {path}"),
                problem: "not a published operation".into(),
            });
            return with_delay(route_miss(&path), delay);
        };
        let call = match admit(
            &mut state,
            contract,
            operation,
            &segments,
            query,
            &request.body,
        ) {
            Ok(call) => call,
            Err(refusal) => return with_delay(*refusal, delay),
        };
        let is_invoice_post = operation.operation == "InvoiceApi.invoiceCreateInvoice";
        let include = call.query("include").map(str::to_owned);
        let reply = routes::dispatch(&mut state, operation, call);
        let stored_invoice = is_invoice_post && matches!(reply, Reply::Json(_));
        let response = shape(&mut state, contract, operation, reply, include.as_deref());
        if stored_invoice {
            match state.after_store.take() {
                Some(AfterStore::Delay(extra)) => {
                    delay = Some(delay.unwrap_or_default() + extra);
                }
                Some(AfterStore::Status(status)) => {
                    return with_delay(failure_response(&Failure::status(status).html()), delay);
                }
                None if state.dice.lose_invoice_answer() => {
                    return with_delay(failure_response(&Failure::status(502).html()), delay);
                }
                None => {}
            }
        }
        with_delay(response, delay)
    }
}

/// Holds a request to its published operation: unpublished query parameters and body fields are
/// noted and dropped (DK+ ignores them); a value of the wrong type is refused with 400, as DK+'s
/// model binding refuses it.
fn admit(
    state: &mut State,
    contract: &Contract,
    operation: &PublishedOperation,
    segments: &[String],
    query: Vec<(String, String)>,
    body: &[u8],
) -> Result<Call, Box<ResponseTemplate>> {
    let args: Vec<String> = operation
        .path
        .trim_start_matches('/')
        .split('/')
        .zip(segments)
        .filter(|(part, _)| part.starts_with('{'))
        .map(|(_, segment)| segment.clone())
        .collect();
    let mut kept = Vec::with_capacity(query.len());
    for violation in contract.check_query(operation, &query) {
        state.violation(violation);
    }
    for (key, value) in query {
        match operation.query.get(&key) {
            None => {}
            Some(ty)
                if !contract
                    .check_query(operation, &[(key.clone(), value.clone())])
                    .is_empty() =>
            {
                return Err(Box::new(message(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "The request is invalid. The value '{value}' is not valid for {key} ({ty})."
                    ),
                )));
            }
            Some(_) => kept.push((key, value)),
        }
    }
    let body = match &operation.request_model {
        None => Value::Null,
        Some(model) => {
            let mut value: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => {
                    return Err(Box::new(invalid(&format!("model: {e}"))));
                }
            };
            let ty = format!("object:{model}");
            let problems = contract.check(&value, &ty, Direction::Request);
            let (unpublished, wrong): (Vec<Violation>, Vec<Violation>) = problems
                .into_iter()
                .partition(|v| v.problem.starts_with("not a field"));
            for violation in unpublished.iter().chain(&wrong) {
                state.violation(Violation {
                    at: format!(
                        "{} {} body {}",
                        operation.method, operation.path, violation.at
                    ),
                    problem: violation.problem.clone(),
                });
            }
            if let Some(first) = wrong.first() {
                return Err(Box::new(invalid(&format!(
                    "model.{}: {}",
                    first.at, first.problem
                ))));
            }
            contract.strip(&mut value, &ty);
            value
        }
    };
    Ok(Call {
        args,
        query: kept,
        body,
    })
}

/// Turns a handler's reply into DK+'s answer: JSON answers get every published field of the
/// operation's response model (and only those), trimmed to `include` where the operation takes
/// it; the fake's own answer is checked against the published model too.
fn shape(
    state: &mut State,
    contract: &Contract,
    operation: &PublishedOperation,
    reply: Reply,
    include: Option<&str>,
) -> ResponseTemplate {
    match reply {
        Reply::Empty => ResponseTemplate::new(200),
        Reply::Fail(status, text) => message(status, &text),
        Reply::Json(mut value) => {
            if let Some(ty) = &operation.response_model {
                let ty = answer_type(ty);
                contract.complete_answer(&mut value, &ty);
                if let Some(include) = include.filter(|_| operation.query.contains_key("include")) {
                    trim_to(&mut value, include);
                }
                for violation in contract.check(&value, &ty, Direction::Response) {
                    state.violation(Violation {
                        at: format!(
                            "answer to {} {}: {}",
                            operation.method, operation.path, violation.at
                        ),
                        problem: violation.problem,
                    });
                }
            }
            ResponseTemplate::new(200).set_body_json(value)
        }
    }
}

/// A published response type as the checks take it (`Model` → `object:Model`).
fn answer_type(ty: &str) -> String {
    match ty {
        "boolean" | "string" | "integer" | "number" => ty.to_owned(),
        _ if ty.starts_with("array:") || ty.starts_with("object:") => ty.to_owned(),
        model => format!("object:{model}"),
    }
}

/// Keeps only the `include`d fields (comma-separated wire names) of a record or of each record.
fn trim_to(value: &mut Value, include: &str) {
    let wanted: Vec<&str> = include
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let trim = |record: &mut Value| {
        if let Some(map) = record.as_object_mut() {
            map.retain(|k, _| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
        }
    };
    match value {
        Value::Array(items) => items.iter_mut().for_each(trim),
        other => trim(other),
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

fn message(status: StatusCode, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status.as_u16()).set_body_json(json!({ "Message": text }))
}

/// ASP.NET's answer to a body its model binding could not read.
fn invalid(detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(
        json!({ "Message": "The request is invalid.", "ModelState": { "model": [detail] } }),
    )
}

/// An injected failure as DK+ answers: its JSON error body is ASP.NET's `{"Message": …}`.
pub(crate) fn failure_response(failure: &Failure) -> ResponseTemplate {
    failure.template(|status, text| {
        json!({
            "Message": text.map(str::to_owned).unwrap_or_else(|| format!(
                "Injected failure: {}",
                status.canonical_reason().unwrap_or("error")
            ))
        })
    })
}

fn route_miss(path: &str) -> ResponseTemplate {
    message(
        StatusCode::NOT_FOUND,
        &format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
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
    fn include_keeps_only_the_named_fields() {
        let mut value = json!([{"Number": "1", "Name": "A", "Reference": "R"}]);
        trim_to(&mut value, "number, Reference");
        assert_eq!(value, json!([{"Number": "1", "Reference": "R"}]));
    }
}
