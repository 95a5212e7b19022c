//! The in-memory books of the fake DK+.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde_json::Value;

use super::contract::Violation;
use super::faults::{AfterStore, Fault};

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: http::Method,
    /// Path as sent (percent-encoded), including the `/api/v1` prefix.
    pub path: String,
    /// Query parameters in order, decoded.
    pub query: Vec<(String, String)>,
    /// The body as text (empty when there was none).
    pub body: String,
    /// The `Authorization` header was the expected `bearer <token>`.
    pub authorized: bool,
}

impl RecordedRequest {
    /// The first value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Everything the fake knows, behind one lock. Records are kept as DK+ keeps them: the
/// published fields of each model, as JSON.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Keyed by lower-cased number/code: DK+ matches keys case-insensitively.
    pub(crate) customers: BTreeMap<String, Value>,
    pub(crate) projects: BTreeMap<String, Value>,
    pub(crate) products: BTreeMap<String, Value>,
    pub(crate) sales_persons: BTreeMap<String, Value>,
    /// In creation order.
    pub(crate) invoices: Vec<Value>,
    /// When each invoice (same index) shows in look-ups: DK+ can take a while at peak times.
    pub(crate) visible_from: Vec<std::time::Instant>,
    /// How long a stored invoice stays out of look-ups (`None`: shows at once).
    pub(crate) invoice_lag: Option<Duration>,
    /// Every disagreement with the published description seen so far (in the requests, and in
    /// the fake's own answers).
    pub(crate) violations: Vec<Violation>,
    pub(crate) next_invoice_number: u64,
    pub(crate) next_record_id: i64,
    pub(crate) recording: bool,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) counts: BTreeMap<String, u64>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) after_store: Option<AfterStore>,
    pub(crate) dice: super::faults::Dice,
    pub(crate) latency: Option<Duration>,
    pub(crate) post_latency: super::faults::LatencyDraw,
}

impl State {
    pub(crate) fn new(invoice_start: u64, recording: bool, latency: Option<Duration>) -> Self {
        Self {
            next_invoice_number: invoice_start,
            next_record_id: 1,
            recording,
            latency,
            ..Self::default()
        }
    }

    /// Stores an invoice; it shows in look-ups after the configured lag.
    pub(crate) fn store_invoice(&mut self, mut record: Value) {
        // DK+ stamps every invoice it holds with the time it was last changed.
        if let Some(map) = record.as_object_mut()
            && map.get("Modified").is_none_or(Value::is_null)
        {
            map.insert("Modified".into(), super::books::now());
        }
        let now = std::time::Instant::now();
        self.visible_from
            .push(self.invoice_lag.map_or(now, |lag| now + lag));
        self.invoices.push(record);
    }

    /// The invoices that show in look-ups (by number, by reference, in listings) now.
    pub(crate) fn visible_invoices(&self) -> impl Iterator<Item = &Value> {
        let now = std::time::Instant::now();
        self.invoices
            .iter()
            .zip(&self.visible_from)
            .filter(move |(_, from)| **from <= now)
            .map(|(invoice, _)| invoice)
    }

    /// Notes a disagreement with the published description once.
    pub(crate) fn violation(&mut self, violation: Violation) {
        if !self.violations.contains(&violation) {
            self.violations.push(violation);
        }
    }

    pub(crate) fn record_id(&mut self) -> i64 {
        let id = self.next_record_id;
        self.next_record_id += 1;
        id
    }
}

/// The map key for a DK+ number or code.
pub(crate) fn key(raw: &str) -> String {
    raw.trim().to_lowercase()
}
