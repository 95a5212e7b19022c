//! [`LogNotifier`]: hands failure reports to the log, where a service without a mail relay can
//! show them. Replace it with your own [`Notifier`] that sends the e-mail.

use async_trait::async_trait;
use moment_dkplus_mapping::sync::NotifyError;
use moment_dkplus_mapping::{FailureReport, Notifier};

/// Writes each failure report to the log at `warn` level: recipient, subject and body.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError> {
        tracing::warn!(
            to = report.to.as_deref().unwrap_or("(no ERROR_EMAIL configured)"),
            subject = %report.subject,
            "failure report:\n{}",
            report.body
        );
        Ok(())
    }
}
