//! The fake's bookkeeping: what DK+ does with a write — create and update customers, projects and
//! products, and book an invoice (lines, VAT, totals, numbering).
//!
//! Records are JSON objects holding the published fields of their model (the router has dropped
//! every other field before a write gets here).

use chrono::{SecondsFormat, Utc};
use http::StatusCode;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

use super::state::{State, key};
use crate::ids::{InvoiceNumber, SalesPersonNumber};
use crate::models::{SaleType, SalesInvoice, SalesInvoiceCreate, SalesInvoiceLine};
use crate::wire::decimal::parse_text;

/// What a handler answers, before the router shapes it into an HTTP response.
#[derive(Debug)]
pub(crate) enum Reply {
    /// 200 with this JSON (completed to the published model by the router).
    Json(Value),
    /// 200 with an empty body.
    Empty,
    /// An error status with DK+'s `{"Message": ...}` body.
    Fail(StatusCode, String),
}

impl Reply {
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::Fail(StatusCode::BAD_REQUEST, message.into())
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::Fail(StatusCode::NOT_FOUND, message.into())
    }

    fn conflict(message: impl Into<String>) -> Self {
        Self::Fail(StatusCode::CONFLICT, message.into())
    }
}

/// A text field of a record (`None` for absent, `null` and non-strings).
pub(crate) fn text<'a>(record: &'a Value, field: &str) -> Option<&'a str> {
    record.get(field).and_then(Value::as_str)
}

/// A boolean field of a record (absent and `null` read as `false`, as in .NET).
pub(crate) fn flag(record: &Value, field: &str) -> bool {
    record.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// A number field of a record.
pub(crate) fn number(record: &Value, field: &str) -> Option<Decimal> {
    match record.get(field)? {
        Value::Number(n) => parse_text(&n.to_string()).ok().flatten(),
        Value::String(s) => parse_text(s).ok().flatten(),
        _ => None,
    }
}

pub(crate) fn now() -> Value {
    Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Copies the fields of a partial update onto a record. DK+'s models cannot tell an absent field
/// from `null`, so `null` leaves the field as it is; `""` clears a text.
fn merge(record: &mut Value, update: Value) {
    if let Value::Object(target) = record {
        for (field, value) in object(update) {
            if !value.is_null() {
                target.insert(field, value);
            }
        }
    }
}

/// The key of a new record, or the answer that refuses it.
fn new_key(body: &Value, field: &str) -> Result<String, Reply> {
    match text(body, field).map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Ok(k.to_owned()),
        None => Err(Reply::bad(format!("The {field} field is required."))),
    }
}

pub(crate) fn customer_create(state: &mut State, body: Value) -> Reply {
    let number = match new_key(&body, "Number") {
        Ok(n) => n,
        Err(reply) => return reply,
    };
    if state.customers.contains_key(&key(&number)) {
        return Reply::conflict("Customer exists with this Number.");
    }
    let mut record = object(body);
    record.insert("RecordID".into(), Value::from(state.record_id()));
    record.insert("Modified".into(), now());
    state.customers.insert(key(&number), Value::Object(record));
    Reply::Empty
}

pub(crate) fn customer_update(state: &mut State, number: &str, body: Value) -> Reply {
    let Some(record) = state.customers.get_mut(&key(number)) else {
        return Reply::not_found(format!("Customer '{number}' not found."));
    };
    let mut update = object(body);
    // The number is the path's; DK+ does not renumber.
    update.remove("Number");
    merge(record, Value::Object(update));
    merge(record, serde_json::json!({ "Modified": now() }));
    Reply::Empty
}

pub(crate) fn project_create(state: &mut State, body: Value) -> Reply {
    let number = match new_key(&body, "Number") {
        Ok(n) => n,
        Err(reply) => return reply,
    };
    if state.projects.contains_key(&key(&number)) {
        return Reply::conflict("Project exists with this Number.");
    }
    let mut record = object(body);
    if let Some(customer) = record
        .get("CustomerToBill")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
    {
        match state.customers.get(&key(&customer)) {
            Some(found) => {
                let name = found.get("Name").cloned().unwrap_or(Value::Null);
                record.insert("CustomerNameToBill".into(), name);
            }
            None => return Reply::bad(format!("Customer '{customer}' not found.")),
        }
    }
    record.insert("Modified".into(), now());
    let record = Value::Object(record);
    state.projects.insert(key(&number), record.clone());
    Reply::Json(record)
}

pub(crate) fn product_create(state: &mut State, body: Value) -> Reply {
    let code = match new_key(&body, "ItemCode") {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    if state.products.contains_key(&key(&code)) {
        return Reply::conflict("Product exists with this ItemCode.");
    }
    let mut record = object(body);
    record.insert("RecordID".into(), Value::from(state.record_id()));
    record.insert("RecordCreated".into(), now());
    record.insert("RecordModified".into(), now());
    let record = Value::Object(record);
    state.products.insert(key(&code), record.clone());
    Reply::Json(record)
}

pub(crate) fn product_update(state: &mut State, code: &str, body: Value) -> Reply {
    let Some(record) = state.products.get_mut(&key(code)) else {
        return Reply::not_found(format!("Product '{code}' not found."));
    };
    let mut update = object(body);
    update.remove("ItemCode");
    merge(record, Value::Object(update));
    merge(record, serde_json::json!({ "RecordModified": now() }));
    Reply::Json(record.clone())
}

fn money(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Books an invoice as DK+ does: checks the customer, project, sales person and items; computes
/// each line (`quantity × price × (1 − discount/100)`, rounded to cents; VAT from the product's
/// `TaxPercent`, none for a `NoVat` customer) and the totals (the sum of the rounded lines);
/// numbers a posted invoice from the series and leaves an unposted one without a number.
pub(crate) fn invoice_create(state: &mut State, body: Value, post: bool) -> Reply {
    let create: SalesInvoiceCreate = match serde_json::from_value(body) {
        Ok(create) => create,
        Err(e) => return Reply::bad(format!("The request is invalid. {e}")),
    };
    let Some(customer) = state
        .customers
        .get(&key(create.customer.number.as_str()))
        .cloned()
    else {
        return Reply::bad(format!("Customer '{}' not found.", create.customer.number));
    };
    if let Some(project) = &create.project
        && !state.projects.contains_key(&key(project.as_str()))
    {
        return Reply::bad(format!("Project '{project}' not found."));
    }
    let sales_person = match &create.sales_person {
        Some(sp) => match state.sales_persons.get(&key(sp.as_str())) {
            Some(found) => SalesPersonNumber::new(text(found, "Number").unwrap_or(sp.as_str())),
            None => return Reply::bad(format!("Sales person '{sp}' not found.")),
        },
        None => match ["vef", "web"]
            .into_iter()
            .find(|n| state.sales_persons.contains_key(*n))
        {
            Some(n) => SalesPersonNumber::new(n),
            None => {
                return Reply::bad(
                    "No sales person given and none of the defaults (the user's, 'vef', 'web') exists.",
                );
            }
        },
    };
    if create.lines.is_empty() {
        return Reply::bad("The invoice has no lines.");
    }
    let no_vat = flag(&customer, "NoVat");
    let hundred = Decimal::ONE_HUNDRED;
    let mut lines = Vec::with_capacity(create.lines.len());
    let (mut total, mut total_with_tax) = (Decimal::ZERO, Decimal::ZERO);
    for (index, line) in create.lines.iter().enumerate() {
        let Some(product) = state.products.get(&key(line.item_code.as_str())) else {
            return Reply::bad(format!("Item '{}' not found.", line.item_code));
        };
        let tax = if no_vat {
            Decimal::ZERO
        } else {
            number(product, "TaxPercent").unwrap_or(Decimal::ZERO)
        };
        let factor = Decimal::ONE + tax / hundred;
        let discount = line.discount.unwrap_or(Decimal::ZERO);
        let Some(gross_of_discount) = line
            .quantity
            .checked_mul(line.price)
            .and_then(|v| v.checked_mul(Decimal::ONE - discount / hundred))
        else {
            return Reply::bad("An error has occurred.");
        };
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
            item_code: text(product, "ItemCode")
                .map(Into::into)
                .or_else(|| Some(line.item_code.clone())),
            text: line
                .text
                .clone()
                .or_else(|| text(product, "Description").map(str::to_owned)),
            text2: line.text2.clone(),
            warehouse: line.warehouse.clone(),
            quantity: Some(line.quantity),
            unit_code: text(product, "UnitCode").map(str::to_owned),
            unit_price: Some(unit_net),
            unit_price_with_tax: Some(unit_gross),
            discount: line.discount,
            total_amount: Some(net),
            total_amount_with_tax: Some(gross),
            dim1: line.dim1.clone(),
            ..Default::default()
        });
    }
    let now = Utc::now();
    let invoice_date = create.date.unwrap_or_else(|| now.date_naive());
    let number = post.then(|| {
        let n = state.next_invoice_number;
        state.next_invoice_number += 1;
        InvoiceNumber::new(n.to_string())
    });
    let invoice = SalesInvoice {
        number,
        record_id: Some(state.record_id()),
        created: Some(now),
        modified: Some(now),
        created_by: Some("API".to_owned()),
        customer_number: text(&customer, "Number").map(Into::into),
        customer_name: create
            .customer
            .name
            .clone()
            .or_else(|| text(&customer, "Name").map(str::to_owned)),
        customer_address1: text(&customer, "Address1").map(str::to_owned),
        customer_address2: text(&customer, "Address2").map(str::to_owned),
        customer_zip_code: text(&customer, "ZipCode").map(str::to_owned),
        customer_country_code: text(&customer, "CountryCode").map(str::to_owned),
        customer_phone: text(&customer, "Phone").map(str::to_owned),
        // The kennitala on the invoice: the one sent with it, else the customer number when it
        // is one (DK's convention; the customer model has no kennitala field).
        customer_ssn: create.customer.ssn.clone().or_else(|| {
            text(&customer, "Number")
                .filter(|n| n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
        }),
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
            .or_else(|| text(&customer, "PaymentTerm").map(str::to_owned)),
        payment_mode: create
            .mode
            .clone()
            .or_else(|| text(&customer, "PaymentMode").map(str::to_owned)),
        claim_status: Some(0),
        sales_type: Some(create.sale_type.clone().unwrap_or(SaleType::Debit)),
        version: Some(1),
        project: create.project.clone(),
        lines: Some(lines),
        ..Default::default()
    };
    match serde_json::to_value(&invoice) {
        Ok(record) => {
            state.store_invoice(record.clone());
            Reply::Json(record)
        }
        Err(e) => Reply::Fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
