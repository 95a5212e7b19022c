//! Compact storage of the fake's objects: each object is kept as its JSON text plus the few
//! fields the filters need, so 100,000 customers cost little more than their JSON, and a page
//! is served by concatenating stored texts without cloning the store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::models::{
    Customer, FinancialAccount, Invoice, InvoiceState, InvoiceType, Product, Project,
};
use crate::resources::Resource;

mod sealed {
    pub trait Sealed {}
}

/// An object the fake Moment can store and serve (the five models; sealed).
pub trait Seedable: Resource + Serialize + DeserializeOwned + Clone + sealed::Sealed {
    /// The filterable fields of the object.
    #[doc(hidden)]
    fn index(&self) -> Index;
    /// Sets missing audit dates (`created_date`, `last_modified_date`) to `now`.
    #[doc(hidden)]
    fn stamp_new(&mut self, now: DateTime<Utc>);
    /// The last-modified date.
    #[doc(hidden)]
    fn modified(&self) -> Option<DateTime<Utc>>;
    /// Sets the last-modified date.
    #[doc(hidden)]
    fn set_modified(&mut self, at: DateTime<Utc>);
}

/// The fields the fake filters on.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub(crate) created: Option<i64>,
    pub(crate) modified: Option<i64>,
    pub(crate) search: Box<str>,
    pub(crate) customer: Option<i64>,
    pub(crate) project: Option<i64>,
    pub(crate) state: Option<InvoiceState>,
    pub(crate) kind: Option<InvoiceType>,
}

fn millis(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

fn search(parts: &[Option<&str>]) -> Box<str> {
    parts
        .iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
        .into_boxed_str()
}

macro_rules! audit_methods {
    () => {
        fn stamp_new(&mut self, now: DateTime<Utc>) {
            self.created_date.get_or_insert(now);
            self.last_modified_date.get_or_insert(now);
        }
        fn modified(&self) -> Option<DateTime<Utc>> {
            self.last_modified_date
        }
        fn set_modified(&mut self, at: DateTime<Utc>) {
            self.last_modified_date = Some(at);
        }
    };
}

impl sealed::Sealed for Customer {}
impl Seedable for Customer {
    fn index(&self) -> Index {
        Index {
            created: millis(self.created_date),
            modified: millis(self.last_modified_date),
            search: search(&[
                self.customer_number.as_ref().map(|n| n.as_str()),
                self.name.as_deref(),
                self.organization_number.as_deref(),
            ]),
            ..Index::default()
        }
    }
    audit_methods!();
}

impl sealed::Sealed for Project {}
impl Seedable for Project {
    fn index(&self) -> Index {
        Index {
            created: millis(self.created_date),
            modified: millis(self.last_modified_date),
            search: search(&[
                self.project_number.as_ref().map(|n| n.as_str()),
                self.name.as_deref(),
            ]),
            customer: self.customer_id().map(|c| c.get()),
            ..Index::default()
        }
    }
    audit_methods!();
}

impl sealed::Sealed for Invoice {}
impl Seedable for Invoice {
    fn index(&self) -> Index {
        Index {
            created: millis(self.created_date),
            modified: millis(self.last_modified_date),
            search: search(&[
                self.invoice_number.as_ref().map(|n| n.as_str()),
                self.description.as_deref(),
            ]),
            customer: self.customer_id().map(|c| c.get()),
            project: self.project_id().map(|p| p.get()),
            state: self.state.clone(),
            kind: self.invoice_type.clone(),
        }
    }
    audit_methods!();
}

impl sealed::Sealed for Product {}
impl Seedable for Product {
    fn index(&self) -> Index {
        Index {
            created: millis(self.created_date),
            modified: millis(self.last_modified_date),
            search: search(&[
                self.product_number.as_ref().map(|n| n.as_str()),
                self.name.as_deref(),
            ]),
            ..Index::default()
        }
    }
    audit_methods!();
}

impl sealed::Sealed for FinancialAccount {}
impl Seedable for FinancialAccount {
    fn index(&self) -> Index {
        Index {
            created: millis(self.created_date),
            modified: millis(self.last_modified_date),
            search: search(&[
                self.account_number.as_ref().map(|n| n.as_str()),
                self.name.as_deref(),
            ]),
            ..Index::default()
        }
    }
    audit_methods!();
}

/// One stored object.
pub(crate) struct Row {
    pub(crate) json: Box<str>,
    pub(crate) index: Index,
}

/// All objects of one resource, ordered by id.
#[derive(Default)]
pub(crate) struct Table {
    pub(crate) rows: BTreeMap<i64, Row>,
}

impl Table {
    pub(crate) fn put<T: Seedable>(&mut self, object: &T) {
        // The models serialize plain strings, numbers and lists only: this cannot fail.
        let json = serde_json::to_string(object)
            .expect("the models always serialize to JSON")
            .into_boxed_str();
        self.rows.insert(
            object.id().into(),
            Row {
                json,
                index: object.index(),
            },
        );
    }

    pub(crate) fn get<T: Seedable>(&self, id: i64) -> Option<T> {
        serde_json::from_str(&self.rows.get(&id)?.json).ok()
    }
}
