//! The status page (feature `server`): the [`StatusReport`] as server-rendered HTML (no
//! JavaScript) and as JSON, behind an admin secret, with a **Retry** button per failure.
//!
//! - `GET` [`STATUS_PATH`] shows a sign-in form until the admin secret is given; then the page:
//!   counts by [`SyncCategory`], the objects of the chosen filter (`?show=needs_person`,
//!   `failed`, `outcome_unknown`, `done`, `all`; by default every problem) each with its reason
//!   and what to do, the recent runs, the backfill cursor, the queue and its dead letters.
//! - `GET` [`STATUS_JSON_PATH`] gives the same report as JSON, to a signed-in browser or to
//!   `Authorization: Bearer <admin secret>`.
//! - `GET` [`RECONCILE_PATH`] compares Moment and DK+ for a period (read-only) and shows the
//!   differences and what DK+ says is paid, as on the `reconcile` program.
//! - `POST` `/status/retry` queues a webhook event for the object (the worker transfers it
//!   again, as for a change in Moment); `POST` `/status/requeue` hands a dead letter out again.
//!   Both need the form's CSRF token, which only a signed-in page carries.
//!
//! Sign-in sets a cookie (`HttpOnly`, `Secure`, `SameSite=Strict`) holding an expiry signed with the admin secret (HMAC-SHA256): replicas
//! sharing the secret accept each other's cookies, and changing the secret signs everyone out.
//! The CSRF token is the cookie signed again. Serve it where only operators reach it.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tower_http::timeout::TimeoutLayer;

use super::QueueInbox;
use super::http::REQUEST_TIMEOUT;
use super::secret::SharedSecret;
use super::status::{StatusFilter, StatusReport, SyncCategory, retry_event, status_report};
use crate::reconcile::{Period, Reconciler, ReconciliationReport, icelandic_amount};
use crate::store::{JobId, Scope, Store};
use crate::sync::ObjectKind;

/// The page.
pub const STATUS_PATH: &str = "/status";
/// The same report as JSON.
pub const STATUS_JSON_PATH: &str = "/status.json";
/// The reconciliation of a period (`?from=YYYY-MM-DD&to=YYYY-MM-DD`, last month by default;
/// `&format=json` for JSON).
pub const RECONCILE_PATH: &str = "/status/reconcile";
/// The longest a reconciliation on the page may take.
pub const RECONCILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);
/// The cookie that holds a sign-in.
pub const SESSION_COOKIE: &str = "mdk_status";
/// How long a sign-in holds.
pub const SESSION_HOURS: i64 = 12;

/// What the status page needs.
#[derive(Clone)]
pub struct StatusPage {
    /// Where the states are read.
    pub store: Arc<dyn Store>,
    /// Whose books.
    pub scope: Scope,
    /// Where a retry's event is queued.
    pub inbox: QueueInbox,
    /// The secret an operator signs in with.
    pub admin_secret: SharedSecret,
    /// What reconciles a period (the engine), for `/status/reconcile`; `None` leaves it off.
    pub reconciler: Option<Arc<dyn Reconciler>>,
}

impl std::fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPage")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The status page's routes (see the module documentation).
pub fn status_router(page: StatusPage) -> Router {
    Router::new()
        .route(STATUS_PATH, get(show))
        .route(STATUS_JSON_PATH, get(show_json))
        .route("/status/login", post(login))
        .route("/status/logout", post(logout))
        .route("/status/retry", post(retry))
        .route("/status/requeue", post(requeue))
        .with_state(page.clone())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // A reconciliation reads a month of both systems: it gets longer.
        .merge(
            Router::new()
                .route(RECONCILE_PATH, get(reconcile_page))
                .with_state(page)
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RECONCILE_TIMEOUT,
                )),
        )
}

type HmacSha256 = Hmac<Sha256>;

fn sign(secret: &SharedSecret, what: &str) -> String {
    // HMAC accepts a key of any length.
    let mut mac = HmacSha256::new_from_slice(secret.key()).expect("HMAC takes any key length");
    mac.update(what.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn verify(secret: &SharedSecret, what: &str, signature: &str) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret.key()).expect("HMAC takes any key length");
    mac.update(what.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// A session cookie's value: its expiry and the expiry signed.
fn session_value(secret: &SharedSecret, expires: DateTime<Utc>) -> String {
    let expires = expires.timestamp();
    format!("{expires}.{}", sign(secret, &format!("session:{expires}")))
}

fn valid_session(secret: &SharedSecret, value: &str, now: DateTime<Utc>) -> bool {
    let Some((expires, signature)) = value.split_once('.') else {
        return false;
    };
    let Ok(at) = expires.parse::<i64>() else {
        return false;
    };
    at > now.timestamp() && verify(secret, &format!("session:{expires}"), signature)
}

fn csrf_token(secret: &SharedSecret, session: &str) -> String {
    sign(secret, &format!("csrf:{session}"))
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Whether a script sent the admin secret as `Authorization: Bearer …`.
fn bearer(page: &StatusPage, headers: &HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| page.admin_secret.matches(token.trim()))
}

/// The signed-in session of a request, if any.
fn signed_in(page: &StatusPage, headers: &HeaderMap) -> Option<String> {
    session_of(headers).filter(|s| valid_session(&page.admin_secret, s, Utc::now()))
}

use crate::html::escape as esc;

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;\
text-align:left;vertical-align:top}th{background:#f4f4f4}.needs_person{background:#fde8e8}\
.failed{background:#fff4e0}.outcome_unknown{background:#eef}nav a{margin-right:1em}\
nav a.on{font-weight:bold}";

fn page_start(title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>",
        esc(title)
    )
}

fn login_form(message: Option<&str>) -> String {
    let mut out = page_start("Moment → DK+ status: sign in");
    out.push_str("<h1>Moment → DK+ status</h1>");
    if let Some(message) = message {
        let _ = write!(out, "<p id=\"message\" role=\"alert\">{}</p>", esc(message));
    }
    out.push_str(
        "<form method=\"post\" action=\"/status/login\"><label>Admin secret \
         <input type=\"password\" name=\"secret\" id=\"secret\" autocomplete=\"current-password\" \
         required></label> <button type=\"submit\" id=\"sign-in\">Sign in</button></form>\
         </body></html>",
    );
    out
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

fn render(report: &StatusReport, csrf: &str, notice: Option<&str>) -> String {
    let mut out = page_start("Moment → DK+ status");
    let _ = write!(
        out,
        "<h1>Moment → DK+ status</h1><p>Moment company <b>{}</b>, DK+ company <b>{}</b>; read {}.\
         </p>",
        esc(&report.scope.moment_company),
        esc(&report.scope.dkplus_company),
        time(Some(report.generated_at))
    );
    if let Some(notice) = notice {
        let _ = write!(out, "<p id=\"notice\" role=\"status\">{}</p>", esc(notice));
    }
    out.push_str("<nav>");
    let mut filters = vec![(StatusFilter::Problems, "Every problem".to_owned())];
    for category in SyncCategory::ALL {
        let count = report.counts.get(&category).copied().unwrap_or(0);
        filters.push((
            StatusFilter::Only(category),
            format!("{} ({count})", category.label()),
        ));
    }
    filters.push((StatusFilter::All, "All".to_owned()));
    for (filter, label) in filters {
        let _ = write!(
            out,
            "<a href=\"{STATUS_PATH}?show={}\"{}>{}</a>",
            filter.key(),
            if filter == report.show {
                " class=\"on\""
            } else {
                ""
            },
            esc(&label)
        );
    }
    let _ = write!(out, "<a href=\"{RECONCILE_PATH}\">Reconciliation</a>");
    out.push_str("</nav>");
    let _ = write!(
        out,
        "<h2>Objects</h2><table id=\"objects\"><thead><tr><th>Kind</th><th>Moment id</th>\
         <th>DK+</th><th>State</th><th>Reason</th><th>What to do</th><th>Next attempt</th>\
         <th>Changed</th><th></th></tr></thead><tbody>"
    );
    if report.objects.is_empty() {
        out.push_str("<tr><td colspan=\"9\">Nothing here.</td></tr>");
    }
    for row in &report.objects {
        let id = row.moment_id.map(|i| i.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "<tr class=\"{}\" id=\"{}-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>",
            row.category.key(),
            row.kind,
            esc(&id),
            row.kind,
            esc(&id),
            esc(row.dkplus_key.as_deref().unwrap_or("")),
            esc(&row.status.replace('_', " ")),
            esc(row.reason.as_deref().unwrap_or("")),
            esc(row.what_to_do.as_deref().unwrap_or("")),
            time(row.next_attempt_at),
            time(Some(row.updated_at)),
        );
        if row.retry
            && let Some(moment_id) = row.moment_id
        {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/status/retry\"><input type=\"hidden\" \
                 name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"kind\" value=\"{}\">\
                 <input type=\"hidden\" name=\"id\" value=\"{moment_id}\"><button type=\"submit\" \
                 class=\"retry\">Retry</button></form>",
                row.kind
            );
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");

    let _ = write!(
        out,
        "<h2>Webhook queue</h2><p id=\"queue\">{} waiting, {} being handled, {} set aside. \
         The next catch-up starts at {}.</p>",
        report.queue.queued,
        report.queue.leased,
        report.queue.dead,
        time(report.cursor)
    );
    if !report.dead_letters.is_empty() {
        out.push_str(
            "<table id=\"dead-letters\"><thead><tr><th>Event</th><th>Received</th><th>Attempts</th>\
             <th>Reason</th><th>Body</th><th></th></tr></thead><tbody>",
        );
        for dead in &report.dead_letters {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>\
                 <form method=\"post\" action=\"/status/requeue\"><input type=\"hidden\" \
                 name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"job\" value=\"{}\">\
                 <button type=\"submit\">Try again</button></form></td></tr>",
                dead.id,
                time(Some(dead.received_at)),
                dead.attempts,
                esc(dead.reason.as_deref().unwrap_or("")),
                esc(&dead.payload),
                dead.id.0
            );
        }
        out.push_str("</tbody></table>");
    }

    out.push_str(
        "<h2>Recent runs</h2><table id=\"runs\"><thead><tr><th>Started</th><th>Finished</th>\
         <th>Outcome</th><th>Stopped</th></tr></thead><tbody>",
    );
    for run in &report.runs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time(Some(run.started_at)),
            time(Some(run.finished_at)),
            esc(&run.counts.summary(false)),
            esc(run.stopped.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        "<p><a href=\"{STATUS_JSON_PATH}?show={}\">This page as JSON</a></p>\
         <form method=\"post\" action=\"/status/logout\"><button type=\"submit\">Sign out</button>\
         </form></body></html>",
        report.show.key()
    );
    out
}

/// The query of the page.
#[derive(Debug, Deserialize)]
struct PageQuery {
    show: Option<String>,
    done: Option<String>,
    subject: Option<String>,
}

/// The filter the query asks for, or what is wrong with it.
fn filter_of(query: &PageQuery) -> Result<StatusFilter, String> {
    let value = query.show.as_deref().unwrap_or("problems");
    StatusFilter::parse(value).ok_or_else(|| {
        format!(
            "show={value:?} is not a filter: use problems, all, needs_person, failed, \
             outcome_unknown or done"
        )
    })
}

fn unreadable(e: &crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "the status page could not read the store");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the store cannot be read; try again shortly",
    )
        .into_response()
}

async fn show(
    State(page): State<StatusPage>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(session) = signed_in(&page, &headers) else {
        return html(StatusCode::OK, login_form(None));
    };
    let show = match filter_of(&query) {
        Ok(show) => show,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    match status_report(page.store.as_ref(), &page.scope, show).await {
        Ok(report) => html(
            StatusCode::OK,
            render(
                &report,
                &csrf_token(&page.admin_secret, &session),
                query
                    .done
                    .as_deref()
                    .and_then(|done| notice_of(done, query.subject.as_deref().unwrap_or("")))
                    .as_deref(),
            ),
        ),
        Err(e) => unreadable(&e),
    }
}

async fn show_json(
    State(page): State<StatusPage>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    if !bearer(&page, &headers) && signed_in(&page, &headers).is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            "sign in, or send Authorization: Bearer <admin secret>",
        )
            .into_response();
    }
    let show = match filter_of(&query) {
        Ok(show) => show,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    match status_report(page.store.as_ref(), &page.scope, show).await {
        Ok(report) => (
            [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(report),
        )
            .into_response(),
        Err(e) => unreadable(&e),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    secret: String,
}

async fn login(State(page): State<StatusPage>, Form(form): Form<LoginForm>) -> Response {
    if !page.admin_secret.matches(form.secret.trim()) {
        tracing::warn!("status page: a sign-in with a wrong secret");
        return html(
            StatusCode::UNAUTHORIZED,
            login_form(Some("That is not the admin secret (ADMIN_SECRET).")),
        );
    }
    let expires = Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    // Secure always: browsers keep it on https, and on http only for loopback addresses.
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        session_value(&page.admin_secret, expires),
        SESSION_HOURS * 3600,
    );
    let mut response = see_other(STATUS_PATH);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

async fn logout() -> Response {
    let mut response = see_other(STATUS_PATH);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static(
            "mdk_status=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

/// Whether a form post is signed in and carries its session's CSRF token; the refusal's
/// status and words otherwise.
fn checked(
    page: &StatusPage,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(), (StatusCode, &'static str)> {
    let Some(session) = signed_in(page, headers) else {
        return Err((StatusCode::UNAUTHORIZED, "sign in first"));
    };
    if !verify(&page.admin_secret, &format!("csrf:{session}"), csrf) {
        tracing::warn!("status page: a form post without a valid CSRF token was refused");
        return Err((
            StatusCode::FORBIDDEN,
            "the form is stale or did not come from the status page: reload the page",
        ));
    }
    Ok(())
}

/// The page after an action, with what happened as fixed words chosen by a code (no text from
/// the request is shown).
fn after(action: &str, subject: &str) -> String {
    let subject: String = subject
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{STATUS_PATH}?show=all&done={action}&subject={subject}")
}

/// The words for an action's code.
fn notice_of(done: &str, subject: &str) -> Option<String> {
    let subject: String = subject
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    Some(match done {
        "retried" => format!(
            "{} is queued to be transferred again; reload to see how it went.",
            subject.replacen('-', " ", 1)
        ),
        "requeued" => format!("Event {subject} is handed out again."),
        "not_dead" => format!("Event {subject} is not set aside (any more)."),
        _ => return None,
    })
}

#[derive(Deserialize)]
struct RetryForm {
    csrf: String,
    kind: String,
    id: i64,
}

async fn retry(
    State(page): State<StatusPage>,
    headers: HeaderMap,
    Form(form): Form<RetryForm>,
) -> Response {
    if let Err(refused) = checked(&page, &headers, &form.csrf) {
        return refused.into_response();
    }
    let Some(event) = ObjectKind::from_name(&form.kind).and_then(|k| retry_event(k, form.id))
    else {
        return (
            StatusCode::BAD_REQUEST,
            format!("{:?} objects cannot be retried on their own", form.kind),
        )
            .into_response();
    };
    match page.inbox.enqueue(&event).await {
        Ok(job) => {
            tracing::info!(%job, kind = %form.kind, id = form.id, "retry asked on the status page");
            see_other(&after("retried", &format!("{}-{}", form.kind, form.id)))
        }
        Err(e) => unreadable(&e),
    }
}

#[derive(Deserialize)]
struct RequeueForm {
    csrf: String,
    job: i64,
}

async fn requeue(
    State(page): State<StatusPage>,
    headers: HeaderMap,
    Form(form): Form<RequeueForm>,
) -> Response {
    if let Err(refused) = checked(&page, &headers, &form.csrf) {
        return refused.into_response();
    }
    match page
        .store
        .requeue_dead(&page.scope, JobId(form.job), Utc::now())
        .await
    {
        Ok(true) => {
            page.inbox.wake();
            see_other(&after("requeued", &form.job.to_string()))
        }
        Ok(false) => see_other(&after("not_dead", &form.job.to_string())),
        Err(e) => unreadable(&e),
    }
}

#[derive(Debug, Deserialize)]
struct ReconcileQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The period a query asks for; last month when it names none.
fn period_of(query: &ReconcileQuery, today: chrono::NaiveDate) -> Result<Period, String> {
    use chrono::Datelike as _;
    let first_of_month = today.with_day(1).unwrap_or(today);
    let last_month_end = first_of_month.pred_opt().unwrap_or(first_of_month);
    let last_month_start = last_month_end.with_day(1).unwrap_or(last_month_end);
    let day = |name: &str, value: &Option<String>, default| match value.as_deref() {
        None | Some("") => Ok(default),
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("{name}={text:?} is not a date like 2026-11-30")),
    };
    Period::new(
        day("from", &query.from, last_month_start)?,
        day("to", &query.to, last_month_end)?,
    )
}

fn amount(value: Option<rust_decimal::Decimal>) -> String {
    value.map_or_else(|| "—".to_owned(), icelandic_amount)
}

fn render_reconciliation(report: &ReconciliationReport) -> String {
    let mut out = page_start("Moment → DK+ reconciliation");
    let _ = write!(
        out,
        "<h1>Reconciliation</h1><p><a href=\"{STATUS_PATH}\">Back to the status</a></p>\
         <form method=\"get\" action=\"{RECONCILE_PATH}\"><label>From <input name=\"from\" \
         type=\"date\" value=\"{}\"></label> <label>To <input name=\"to\" type=\"date\" \
         value=\"{}\"></label> <button type=\"submit\">Compare</button></form>\
         <p id=\"verdict\">{}</p>",
        report.period.from,
        report.period.to,
        if report.is_clean() {
            "Everything matches."
        } else {
            "Differences to look at."
        }
    );
    let mut table = |id: &str, title: &str, head: &[&str], rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        let _ = write!(out, "<h2>{}</h2><table id=\"{id}\"><thead><tr>", esc(title));
        for h in head {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr></thead><tbody>");
        for row in rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", esc(&cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    table(
        "missing",
        "In Moment, not in DK+",
        &[
            "Reference",
            "Moment id",
            "Date",
            "Customer",
            "Total without VAT",
        ],
        report
            .missing_in_dkplus
            .iter()
            .map(|m| {
                vec![
                    m.reference.clone(),
                    m.moment_id.to_string(),
                    m.date.map(|d| d.to_string()).unwrap_or_default(),
                    text(&m.customer),
                    amount(m.total),
                ]
            })
            .collect(),
    );
    table(
        "unknown",
        "In DK+ with a Moment-like reference, no Moment invoice",
        &[
            "Reference",
            "DK+ number",
            "Date",
            "Customer",
            "Total without VAT",
        ],
        report
            .unknown_in_dkplus
            .iter()
            .map(|d| {
                vec![
                    text(&d.reference),
                    text(&d.number),
                    d.date.map(|d| d.to_string()).unwrap_or_default(),
                    text(&d.customer),
                    amount(d.total),
                ]
            })
            .collect(),
    );
    table(
        "duplicates",
        "The same reference more than once in DK+",
        &["Reference", "DK+ numbers"],
        report
            .duplicates
            .iter()
            .map(|d| {
                let numbers: Vec<String> = d.invoices.iter().map(|i| text(&i.number)).collect();
                vec![d.reference.clone(), numbers.join(", ")]
            })
            .collect(),
    );
    table(
        "differences",
        "Differences",
        &["Reference", "What", "Moment", "DK+"],
        report
            .differences
            .iter()
            .map(|d| {
                let shown = |v: &str| match d.field {
                    crate::reconcile::Field::Total | crate::reconcile::Field::Vat => v
                        .parse()
                        .map(icelandic_amount)
                        .unwrap_or_else(|_| v.to_owned()),
                    _ => v.to_owned(),
                };
                vec![
                    d.reference.clone(),
                    d.field.to_string(),
                    shown(&d.moment),
                    shown(&d.dkplus),
                ]
            })
            .collect(),
    );
    table(
        "payments",
        "What DK+ says is paid",
        &[
            "Reference",
            "DK+ number",
            "With VAT",
            "Settled",
            "Open",
            "State",
        ],
        report
            .matched
            .iter()
            .map(|m| {
                vec![
                    m.moment.reference.clone(),
                    text(&m.dkplus.number),
                    amount(m.dkplus.total.zip(m.dkplus.vat).map(|(t, v)| t + v)),
                    amount(m.dkplus.payment.settled),
                    amount(m.dkplus.payment.open),
                    m.dkplus.payment.state.label().to_owned(),
                ]
            })
            .collect(),
    );
    out.push_str("</body></html>");
    out
}

async fn reconcile_page(
    State(page): State<StatusPage>,
    Query(query): Query<ReconcileQuery>,
    headers: HeaderMap,
) -> Response {
    if signed_in(&page, &headers).is_none() && !bearer(&page, &headers) {
        return html(StatusCode::OK, login_form(None));
    }
    let Some(reconciler) = &page.reconciler else {
        return (
            StatusCode::NOT_FOUND,
            "this service was started without reconciliation",
        )
            .into_response();
    };
    let period = match period_of(&query, Utc::now().date_naive()) {
        Ok(period) => period,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    match reconciler.reconcile(period).await {
        Ok(report) if query.format.as_deref() == Some("json") => (
            [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(report),
        )
            .into_response(),
        Ok(report) => html(StatusCode::OK, render_reconciliation(&report)),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{e}; nothing is concluded — try again when both systems answer"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SharedSecret {
        SharedSecret::new("an-admin-secret-of-some-length").unwrap()
    }

    #[test]
    fn a_session_holds_until_it_expires_and_only_under_its_secret() {
        let now = Utc::now();
        let value = session_value(&secret(), now + chrono::Duration::hours(1));
        assert!(valid_session(&secret(), &value, now));
        assert!(!valid_session(
            &secret(),
            &value,
            now + chrono::Duration::hours(2)
        ));
        let other = SharedSecret::new("another-admin-secret-here").unwrap();
        assert!(!valid_session(&other, &value, now));
        // A forged expiry breaks the signature.
        let (_, signature) = value.split_once('.').unwrap();
        let forged = format!(
            "{}.{signature}",
            (now + chrono::Duration::days(999)).timestamp()
        );
        assert!(!valid_session(&secret(), &forged, now));
        assert!(!valid_session(&secret(), "garbage", now));
    }

    #[test]
    fn the_csrf_token_belongs_to_its_session() {
        let now = Utc::now();
        let one = session_value(&secret(), now + chrono::Duration::hours(1));
        let two = session_value(&secret(), now + chrono::Duration::hours(2));
        let token = csrf_token(&secret(), &one);
        assert!(verify(&secret(), &format!("csrf:{one}"), &token));
        assert!(!verify(&secret(), &format!("csrf:{two}"), &token));
        assert!(!verify(&secret(), &format!("csrf:{one}"), "00"));
    }

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            esc("<a href=\"x\">Þ&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Þ&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_reconciliation_defaults_to_last_month_and_names_a_bad_date() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let none = ReconcileQuery {
            from: None,
            to: None,
            format: None,
        };
        let period = period_of(&none, today).unwrap();
        assert_eq!(
            (period.from.to_string(), period.to.to_string()),
            ("2026-11-01".into(), "2026-11-30".into())
        );
        let bad = ReconcileQuery {
            from: Some("2026-13-01".into()),
            to: None,
            format: None,
        };
        assert!(
            period_of(&bad, today)
                .unwrap_err()
                .contains("from=\"2026-13-01\"")
        );
    }
}
