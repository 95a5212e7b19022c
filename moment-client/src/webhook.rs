//! Parsing of the notifications Moment POSTs to a webhook URL.
//!
//! Moment's webhooks are deliberately thin: a body names the event and carries just enough of
//! the object to fetch it through the API (verified example):
//!
//! ```json
//! {"event":"CREATE_NEW","invoice":{"id":106939080,"invoiceNumber":1,
//!  "customer":{"id":62788973,"customerNumber":"10001"},
//!  "project":{"id":62788980,"projectNumber":"1"}}}
//! ```
//!
//! Customers and projects are assumed to follow the same pattern (`"customer": {..}`,
//! `"project": {..}`). Event names other than `CREATE_NEW`, signing and delivery guarantees are
//! not documented: unknown event names and object types are kept in `Unknown` arms, delivery
//! should be treated as at-least-once and unsigned (re-fetch the object, de-duplicate).
//!
//! ```
//! use moment_client::webhook::{self, WebhookEventKind, WebhookObject};
//!
//! let body = br#"{"event":"CREATE_NEW","invoice":{"id":106939080,"invoiceNumber":1}}"#;
//! let event = webhook::parse(body)?;
//! assert_eq!(event.kind, WebhookEventKind::CreateNew);
//! match event.object {
//!     WebhookObject::Invoice { id, .. } => assert_eq!(id.get(), 106939080),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), moment_client::webhook::WebhookError>(())
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ids::{CustomerId, InvoiceId, ProjectId};
use crate::models::{CustomerRef, ProjectRef};
use crate::numbers::{CustomerNumber, InvoiceNumber, ProjectNumber};
use crate::wire::{self, Text, text_enum};

/// Default size limit of a webhook body: 64 KiB (a real notification is a few hundred bytes).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

text_enum!(
    /// The `event` of a webhook notification. Only `CREATE_NEW` is documented (sent when an
    /// invoice is finalized); `UPDATE` and `DELETE` are guesses.
    pub enum WebhookEventKind {
        /// `CREATE_NEW`: the object was created (for invoices: finalized).
        CreateNew => "CREATE_NEW",
        /// `UPDATE`: the object changed.
        Update => "UPDATE" | "UPDATED",
        /// `DELETE`: the object was deleted.
        Delete => "DELETE" | "DELETED",
    }
);

/// One parsed webhook notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The event, as named by Moment.
    pub kind: WebhookEventKind,
    /// The object the event is about.
    pub object: WebhookObject,
}

impl WebhookEvent {
    /// The event name as Moment sent it (e.g. `CREATE_NEW`).
    pub fn event_name(&self) -> &str {
        self.kind.as_wire()
    }

    /// The object type: `invoice`, `customer`, `project`, or the key of an unknown object.
    pub fn object_type(&self) -> &str {
        self.object.object_type()
    }

    /// The raw id of the object, when present.
    pub fn object_id(&self) -> Option<i64> {
        self.object.id()
    }
}

/// The object a webhook notification is about: just enough to fetch it through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookObject {
    /// An invoice (or credit note): fetch it with `client.invoices().get(id)`.
    Invoice {
        /// Id of the invoice.
        id: InvoiceId,
        /// Its invoice number (an integer on the wire, kept as text).
        invoice_number: Option<InvoiceNumber>,
        /// The invoiced customer.
        customer: Option<CustomerRef>,
        /// The invoiced project.
        project: Option<ProjectRef>,
    },
    /// A customer: fetch it with `client.customers().get(id)`.
    Customer {
        /// Id of the customer.
        id: CustomerId,
        /// Its customer number.
        customer_number: Option<CustomerNumber>,
        /// Its name, when sent.
        name: Option<String>,
    },
    /// A project: fetch it with `client.projects().get(id)`.
    Project {
        /// Id of the project.
        id: ProjectId,
        /// Its project number.
        project_number: Option<ProjectNumber>,
        /// Its customer, when sent.
        customer: Option<CustomerRef>,
    },
    /// An object type this crate does not handle (e.g. `claim`, `offer`).
    Unknown {
        /// The key the object was sent under.
        object_type: String,
        /// Its `id`, when it is an integer.
        id: Option<i64>,
        /// The object as sent.
        body: Value,
    },
}

impl WebhookObject {
    /// The object type: `invoice`, `customer`, `project`, or the key of an unknown object.
    pub fn object_type(&self) -> &str {
        match self {
            Self::Invoice { .. } => "invoice",
            Self::Customer { .. } => "customer",
            Self::Project { .. } => "project",
            Self::Unknown { object_type, .. } => object_type,
        }
    }

    /// The raw id of the object, when present.
    pub fn id(&self) -> Option<i64> {
        match self {
            Self::Invoice { id, .. } => Some(id.get()),
            Self::Customer { id, .. } => Some(id.get()),
            Self::Project { id, .. } => Some(id.get()),
            Self::Unknown { id, .. } => *id,
        }
    }
}

/// Why a webhook body was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is larger than the limit; it was not parsed.
    #[error("webhook body is {actual} bytes, over the limit of {limit} bytes; refused unread")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The size of the body.
        actual: usize,
    },
    /// The body is empty.
    #[error("webhook body is empty; expected a JSON object with an \"event\" field")]
    Empty,
    /// The body is not JSON.
    #[error("webhook body is not valid JSON: {source}")]
    NotJson {
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The body is JSON but not shaped like a Moment notification.
    #[error("webhook body is not a Moment notification: {reason}")]
    Shape {
        /// What is wrong.
        reason: String,
    },
    /// The object in the body has the right key but an invalid field.
    #[error("webhook `{object_type}` object is invalid at `{field}`: {message}")]
    InvalidObject {
        /// The object key (`invoice`, ...).
        object_type: String,
        /// Path of the offending field inside the object.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Parses a webhook body with the [`DEFAULT_BODY_LIMIT`].
pub fn parse(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    parse_with_limit(body, DEFAULT_BODY_LIMIT)
}

/// Parses a webhook body, refusing bodies over `limit` bytes before reading them.
pub fn parse_with_limit(body: &[u8], limit: usize) -> Result<WebhookEvent, WebhookError> {
    if body.len() > limit {
        return Err(WebhookError::TooLarge {
            limit,
            actual: body.len(),
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Empty);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|source| WebhookError::NotJson { source })?;
    let Value::Object(map) = value else {
        return Err(shape(format!(
            "expected a JSON object, got {}",
            json_kind(&value)
        )));
    };
    let kind = match map.get("event") {
        Some(Value::String(name)) => WebhookEventKind::from_wire(name),
        Some(other) => {
            return Err(shape(format!(
                "\"event\" must be a string, got {}",
                json_kind(other)
            )));
        }
        None => return Err(shape("the \"event\" field is missing".to_owned())),
    };
    let object = object_of(map)?;
    Ok(WebhookEvent { kind, object })
}

fn shape(reason: String) -> WebhookError {
    WebhookError::Shape { reason }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const KNOWN: [&str; 3] = ["invoice", "customer", "project"];

fn object_of(map: Map<String, Value>) -> Result<WebhookObject, WebhookError> {
    let mut known: Vec<(String, Value)> = Vec::new();
    let mut unknown: Vec<(String, Value)> = Vec::new();
    for (key, value) in map {
        if key == "event" || !value.is_object() {
            continue;
        }
        if KNOWN.contains(&key.to_ascii_lowercase().as_str()) {
            known.push((key, value));
        } else {
            unknown.push((key, value));
        }
    }
    if known.len() > 1 {
        let keys: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
        return Err(shape(format!(
            "it carries more than one object ({}); cannot tell which one the event is about",
            keys.join(", ")
        )));
    }
    if let Some((key, value)) = known.pop() {
        return decode_known(&key, value);
    }
    if unknown.len() > 1 {
        let keys: Vec<&str> = unknown.iter().map(|(k, _)| k.as_str()).collect();
        return Err(shape(format!(
            "it carries more than one object ({}); cannot tell which one the event is about",
            keys.join(", ")
        )));
    }
    match unknown.pop() {
        Some((object_type, body)) => Ok(WebhookObject::Unknown {
            id: body.get("id").and_then(Value::as_i64),
            object_type,
            body,
        }),
        None => Err(shape(
            "it carries no object (expected e.g. \"invoice\": {\"id\": ...})".to_owned(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceNotice {
    id: InvoiceId,
    invoice_number: Option<InvoiceNumber>,
    customer: Option<CustomerRef>,
    project: Option<ProjectRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerNotice {
    id: CustomerId,
    customer_number: Option<CustomerNumber>,
    name: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectNotice {
    id: ProjectId,
    project_number: Option<ProjectNumber>,
    customer: Option<CustomerRef>,
}

fn decode<T: for<'de> Deserialize<'de>>(key: &str, value: Value) -> Result<T, WebhookError> {
    serde_path_to_error::deserialize(value).map_err(|e| WebhookError::InvalidObject {
        object_type: key.to_owned(),
        field: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

fn decode_known(key: &str, value: Value) -> Result<WebhookObject, WebhookError> {
    Ok(match key.to_ascii_lowercase().as_str() {
        "invoice" => {
            let n: InvoiceNotice = decode(key, value)?;
            WebhookObject::Invoice {
                id: n.id,
                invoice_number: n.invoice_number,
                customer: n.customer,
                project: n.project,
            }
        }
        "customer" => {
            let n: CustomerNotice = decode(key, value)?;
            WebhookObject::Customer {
                id: n.id,
                customer_number: n.customer_number,
                name: wire::text(n.name),
            }
        }
        _ => {
            let n: ProjectNotice = decode(key, value)?;
            WebhookObject::Project {
                id: n.id,
                project_number: n.project_number,
                customer: n.customer,
            }
        }
    })
}
