//! A stateful fake of Moment's API for tests (feature `testing`).
//!
//! [`FakeMoment`] runs on a loopback port and behaves like the real API as far as it is known:
//! Basic auth, `GET` one / `GET` list with paging (bare array or `{content, page}` envelope,
//! page base 0 or 1, a page-size cap) and the filters this client sends. It can fail, delay or
//! repeat the next answers, and builds webhook bodies for its objects.
//!
//! Objects are stored as their JSON text plus a few indexed fields, so a fake seeded with
//! 100,000 customers stays small, and pages are served without cloning the store. Turn request
//! recording off ([`FakeMomentBuilder::record_requests`]) for long benchmarks.

mod fake;
mod faults;
mod state;
mod store;
mod webhooks;

pub use fake::{FakeMoment, FakeMomentBuilder};
pub use faults::Failure;
pub use state::RecordedRequest;
pub use store::Seedable;
