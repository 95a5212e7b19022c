//! [`MomentId`]: Moment's id of an object the integration reports on, typed by what it is.

use std::fmt;

use moment_client::{CustomerId, FinancialAccountId, InvoiceId, ProductId, ProjectId};
use serde::Serialize;

use crate::sync::ObjectKind;

/// Moment's id of the object an outcome is about, typed by what it is, so it can be handed back
/// to the engine (see [`SyncEngine::retry`](crate::SyncEngine::retry)) or to a Moment client
/// without guessing. Serialized as `{"type": "invoice", "id": 502}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MomentId {
    /// A customer.
    Customer(CustomerId),
    /// A project.
    Project(ProjectId),
    /// An invoice or credit note.
    Invoice(InvoiceId),
    /// A product: the source of a DK+ product's item code.
    Product(ProductId),
    /// A financial account: the source of a DK+ product's item code when the line has no
    /// product.
    FinancialAccount(FinancialAccountId),
}

impl MomentId {
    /// The raw id.
    pub fn get(self) -> i64 {
        match self {
            Self::Customer(id) => id.get(),
            Self::Project(id) => id.get(),
            Self::Invoice(id) => id.get(),
            Self::Product(id) => id.get(),
            Self::FinancialAccount(id) => id.get(),
        }
    }

    /// What the integration writes to DK+ for this object: a product or a financial account
    /// becomes a DK+ product.
    pub fn object_kind(self) -> ObjectKind {
        match self {
            Self::Customer(_) => ObjectKind::Customer,
            Self::Project(_) => ObjectKind::Project,
            Self::Invoice(_) => ObjectKind::Invoice,
            Self::Product(_) | Self::FinancialAccount(_) => ObjectKind::Product,
        }
    }
}

/// The bare number, as Moment shows it.
impl fmt::Display for MomentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.get(), f)
    }
}

impl From<CustomerId> for MomentId {
    fn from(id: CustomerId) -> Self {
        Self::Customer(id)
    }
}

impl From<ProjectId> for MomentId {
    fn from(id: ProjectId) -> Self {
        Self::Project(id)
    }
}

impl From<InvoiceId> for MomentId {
    fn from(id: InvoiceId) -> Self {
        Self::Invoice(id)
    }
}

impl From<ProductId> for MomentId {
    fn from(id: ProductId) -> Self {
        Self::Product(id)
    }
}

impl From<FinancialAccountId> for MomentId {
    fn from(id: FinancialAccountId) -> Self {
        Self::FinancialAccount(id)
    }
}
