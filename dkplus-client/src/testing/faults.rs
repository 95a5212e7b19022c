//! Injected failures for the fake DK+.

use std::time::Duration;

pub use crate::shared::faults::Failure;
pub(crate) use crate::shared::faults::Fault;

/// What happens to the next invoice `POST` with
/// [`store_then_fail_next_invoice`](super::FakeDkPlus::store_then_fail_next_invoice): the invoice
/// is stored, and then the answer is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStore {
    /// The answer is held back this long (longer than the client's timeout → the client times out
    /// after DK+ stored the invoice).
    Delay(Duration),
    /// A gateway error with this status (502 or 504) is returned instead of the invoice.
    Status(u16),
}
