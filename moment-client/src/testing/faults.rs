//! Injected faults: failed answers and delays for the next requests. The [`Failure`] builder is
//! the one the fake DK+ has too (the same code); here its JSON error body is Moment's
//! `{"status", "error", "message"}`.
//!
//! ```
//! use moment_client::testing::Failure;
//! let throttled = Failure::status(429).retry_after_secs(2);
//! let proxy_error = Failure::status(502).html();
//! # let _ = (throttled, proxy_error);
//! ```

use wiremock::ResponseTemplate;

pub use crate::shared::faults::Failure;
pub(crate) use crate::shared::faults::Fault;

/// An injected failure as Moment answers.
pub(crate) fn failure_response(failure: &Failure) -> ResponseTemplate {
    failure.template(|status, message| {
        serde_json::json!({
            "status": status.as_u16(),
            "error": "Injected failure",
            "message": message.map(str::to_owned).unwrap_or_else(|| {
                format!("Injected failure with HTTP {}", status.as_u16())
            }),
        })
    })
}
