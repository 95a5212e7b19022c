//! Webhook bodies for the fake's objects, in the shape Moment sends.

use serde_json::{Map, Value, json};

use crate::ids::{CustomerId, InvoiceId, ProjectId};
use crate::models::{Customer, CustomerRef, Invoice, Project, ProjectRef};
use crate::testing::fake::FakeMoment;

fn number(text: &str) -> Value {
    // Moment sends invoiceNumber as a JSON integer.
    text.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(text))
}

fn customer_ref(r: &CustomerRef) -> Value {
    let mut m = Map::new();
    if let Some(id) = r.id {
        m.insert("id".into(), id.get().into());
    }
    if let Some(n) = &r.customer_number {
        m.insert("customerNumber".into(), n.as_str().into());
    }
    Value::Object(m)
}

fn project_ref(r: &ProjectRef) -> Value {
    let mut m = Map::new();
    if let Some(id) = r.id {
        m.insert("id".into(), id.get().into());
    }
    if let Some(n) = &r.project_number {
        m.insert("projectNumber".into(), n.as_str().into());
    }
    Value::Object(m)
}

impl FakeMoment {
    /// The body Moment would POST for an event on a stored invoice, e.g.
    /// `{"event":"CREATE_NEW","invoice":{"id":..,"invoiceNumber":..,"customer":{..},"project":{..}}}`.
    /// `None` if the invoice is unknown.
    pub fn webhook_body_for_invoice(&self, id: InvoiceId, event: &str) -> Option<String> {
        let invoice: Invoice = self.get(id)?;
        let mut object = Map::new();
        object.insert("id".into(), invoice.id.get().into());
        if let Some(n) = &invoice.invoice_number {
            object.insert("invoiceNumber".into(), number(n.as_str()));
        }
        if let Some(c) = &invoice.customer {
            object.insert("customer".into(), customer_ref(c));
        }
        if let Some(p) = &invoice.project {
            object.insert("project".into(), project_ref(p));
        }
        Some(json!({ "event": event, "invoice": object }).to_string())
    }

    /// The body Moment would POST for an event on a stored customer. `None` if unknown.
    pub fn webhook_body_for_customer(&self, id: CustomerId, event: &str) -> Option<String> {
        let customer: Customer = self.get(id)?;
        let mut object = Map::new();
        object.insert("id".into(), customer.id.get().into());
        if let Some(n) = &customer.customer_number {
            object.insert("customerNumber".into(), n.as_str().into());
        }
        Some(json!({ "event": event, "customer": object }).to_string())
    }

    /// The body Moment would POST for an event on a stored project. `None` if unknown.
    pub fn webhook_body_for_project(&self, id: ProjectId, event: &str) -> Option<String> {
        let project: Project = self.get(id)?;
        let mut object = Map::new();
        object.insert("id".into(), project.id.get().into());
        if let Some(n) = &project.project_number {
            object.insert("projectNumber".into(), n.as_str().into());
        }
        if let Some(c) = &project.customer {
            object.insert("customer".into(), customer_ref(c));
        }
        Some(json!({ "event": event, "project": object }).to_string())
    }
}
