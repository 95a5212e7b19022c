//! The failure report for the configured error e-mail, and the [`Notifier`] that delivers it.
//!
//! The library renders the report as plain text; sending the e-mail is the embedding
//! application's job (its SMTP relay, its mail API), behind the [`Notifier`] trait.

use std::fmt::Write as _;
use std::sync::Mutex;

use async_trait::async_trait;

use super::failure::SyncFailure;
use super::report::SyncReport;
use crate::config::IntegrationConfig;

/// A rendered failure report: who it is for, a subject line and a plain-text body, beside the
/// structured [`SyncReport`] it was rendered from. Made when something failed, and also when
/// everything went through with warnings that need a person (see [`FailureReport::for_report`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FailureReport {
    /// The configured error e-mail address, if any.
    pub to: Option<String>,
    /// One line, e.g. "Moment → DK+: 2 objects were not transferred".
    pub subject: String,
    /// The readable body: each failure with what to fix, then the warnings.
    pub body: String,
    /// How many objects failed.
    pub failed: usize,
    /// The report it was rendered from, for notifiers that send data rather than text (a chat
    /// message, a ticket, a JSON log line). For a recovery, the report that showed it; for a
    /// digest, an empty report of when it was sent (the items are in the body).
    pub report: SyncReport,
    /// What the message is: a failure, a recovery or a digest of warnings.
    pub kind: AlertKind,
}

/// What a [`FailureReport`] tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertKind {
    /// Something failed or the run stopped (or, without the alert policy, warnings).
    Failure,
    /// Failures reported earlier are over.
    Recovery,
    /// Warnings gathered since the last digest.
    Digest,
}

impl FailureReport {
    /// The report to send a person about a sync, or `None` when nothing needs one. The one rule
    /// for that, used by the engine and by anything that runs it: something failed or the run
    /// stopped early; or there are warnings and the configuration asks for them
    /// ([`IntegrationConfig::notify_warnings`], on by default). It is addressed to
    /// [`IntegrationConfig::error_email`].
    pub fn for_report(report: &SyncReport, config: &IntegrationConfig) -> Option<Self> {
        let needs_a_person =
            !report.is_clean() || (config.notify_warnings() && report.counts.warnings > 0);
        needs_a_person.then(|| Self::render(report, config.error_email()))
    }

    /// Renders the report as it is, whatever it holds.
    fn render(report: &SyncReport, to: Option<&str>) -> Self {
        let warned = report
            .outcomes
            .iter()
            .filter(|o| !o.warnings.is_empty())
            .count()
            + usize::from(!report.warnings.is_empty());
        let failed = report.counts.failed;
        let listing = report.listing_failures.len();
        let subject = match (&report.stopped, failed, listing) {
            (Some(stopped), _, _) => format!(
                "Moment → DK+: the transfer stopped — {}",
                stopped_cause(&stopped.failure)
            ),
            (None, 0, 0) if report.dry_run => format!(
                "Moment → DK+ (dry run): nothing written; warnings on {warned} object{} to look at",
                if warned == 1 { "" } else { "s" }
            ),
            (None, 0, 0) => format!(
                "Moment → DK+: transferred, with warnings on {warned} object{} to look at",
                if warned == 1 { "" } else { "s" }
            ),
            (None, 0, _) => "Moment → DK+: the transfer stopped early".to_owned(),
            (None, 1, _) if report.dry_run => {
                "Moment → DK+ (dry run): 1 object could not be sent".to_owned()
            }
            (None, n, _) if report.dry_run => {
                format!("Moment → DK+ (dry run): {n} objects could not be sent")
            }
            (None, 1, _) => "Moment → DK+: 1 object was not transferred".to_owned(),
            (None, n, _) => format!("Moment → DK+: {n} objects were not transferred"),
        };
        let mut body = String::new();
        let _ = writeln!(
            body,
            "The Moment → DK+ {} that started {} UTC finished with {}.",
            if report.dry_run {
                "dry run"
            } else {
                "transfer"
            },
            report.started_at.format("%Y-%m-%d %H:%M:%S"),
            if report.is_clean() {
                "warnings"
            } else {
                "problems"
            }
        );
        if report.dry_run {
            let _ = writeln!(body, "This was a dry run: nothing was written to DK+.");
        }
        let _ = writeln!(body, "Summary: {}.", report.counts.summary(report.dry_run));
        let _ = writeln!(body);
        if let Some(stopped) = &report.stopped {
            let _ = writeln!(body, "Stopped:");
            for line in stopped.failure.to_string().lines() {
                let _ = writeln!(body, "   {line}");
            }
            let _ = writeln!(
                body,
                "   {}",
                match stopped.not_attempted {
                    0 =>
                        "Nothing more was attempted; the next run continues where this one stopped."
                            .to_owned(),
                    n => format!(
                        "{n} object{} not attempted; nothing is lost — the next run continues where this one stopped.",
                        if n == 1 { " was" } else { "s were" }
                    ),
                }
            );
            let _ = writeln!(body);
        }
        if failed > 0 {
            let _ = writeln!(body, "Not transferred ({failed}):");
            for (i, outcome) in report.failures().enumerate() {
                let _ = writeln!(
                    body,
                    "\n{}. {} {} [Moment id {}]",
                    i + 1,
                    capitalize(&outcome.kind.to_string()),
                    outcome.moment_number.as_deref().unwrap_or("(no number)"),
                    outcome.moment_id
                );
                if let Some(failure) = outcome.failure() {
                    match failure {
                        // The heading already names the object: list only what to fix.
                        SyncFailure::Mapping(error) => {
                            for problem in &error.problems {
                                let _ = writeln!(body, "   - {problem}");
                            }
                        }
                        other => {
                            for line in other.to_string().lines() {
                                let _ = writeln!(body, "   {line}");
                            }
                        }
                    }
                    let _ = writeln!(
                        body,
                        "   {}",
                        if failure.retry_later() {
                            "Nothing to fix in Moment: the next run tries again."
                        } else {
                            "Fix this, then the next run (or a new change in Moment) sends it again."
                        }
                    );
                }
            }
            let kept = report.failures().count();
            if kept < failed {
                let _ = writeln!(
                    body,
                    "\n({} more failures were not kept in this report.)",
                    failed - kept
                );
            }
            let _ = writeln!(body);
        }
        if listing > 0 {
            let _ = writeln!(body, "Stopped early:");
            for l in &report.listing_failures {
                let _ = writeln!(body, " - {l}; the next run continues from the same point.");
            }
            let _ = writeln!(body);
        }
        let warned: Vec<_> = report
            .outcomes
            .iter()
            .filter(|o| !o.warnings.is_empty())
            .collect();
        if !warned.is_empty() || !report.warnings.is_empty() {
            let _ = writeln!(body, "Warnings (transferred, but worth a look):");
            for warning in &report.warnings {
                let _ = writeln!(body, " - {warning}");
            }
            for outcome in warned {
                for warning in &outcome.warnings {
                    let _ = writeln!(
                        body,
                        " - {} {}: {warning}",
                        outcome.kind,
                        outcome.moment_number.as_deref().unwrap_or("(no number)")
                    );
                }
            }
        }
        Self {
            to: to.map(str::to_owned),
            subject,
            body,
            failed,
            report: report.clone(),
            kind: AlertKind::Failure,
        }
    }

    /// The message that failures reported earlier are over: `recovered` lists each in words.
    pub fn recovery(recovered: &[String], report: &SyncReport, to: Option<&str>) -> Self {
        let subject = match recovered.len() {
            1 => "Moment → DK+: resolved — 1 earlier problem is over".to_owned(),
            n => format!("Moment → DK+: resolved — {n} earlier problems are over"),
        };
        let mut body = format!(
            "Problems reported earlier are over: the transfer that started {} UTC went \
             through.\n\nResolved:\n",
            report.started_at.format("%Y-%m-%d %H:%M:%S")
        );
        for line in recovered {
            let _ = writeln!(body, " - {line}");
        }
        Self {
            to: to.map(str::to_owned),
            subject,
            body,
            failed: 0,
            report: report.clone(),
            kind: AlertKind::Recovery,
        }
    }

    /// The digest of warnings gathered since the last one (`items`: when each was first
    /// noted, and what it says).
    pub fn digest(
        items: &[(chrono::DateTime<chrono::Utc>, String)],
        now: chrono::DateTime<chrono::Utc>,
        to: Option<&str>,
    ) -> Self {
        let subject = match items.len() {
            1 => "Moment → DK+: digest — 1 warning to look at".to_owned(),
            n => format!("Moment → DK+: digest — {n} warnings to look at"),
        };
        let mut body = "Transferred, but worth a look (first noted, UTC):\n".to_owned();
        for (at, text) in items {
            let _ = writeln!(body, " - {} {text}", at.format("%Y-%m-%d %H:%M"));
        }
        Self {
            to: to.map(str::to_owned),
            subject,
            body,
            failed: 0,
            report: SyncReport::empty(now),
            kind: AlertKind::Digest,
        }
    }
}

/// The cause of a stopped run in a few words, for the subject line.
fn stopped_cause(failure: &SyncFailure) -> &'static str {
    use crate::ports::{PortErrorKind, System};
    let error = match failure {
        SyncFailure::Moment(e) | SyncFailure::DkPlus { error: e, .. } => Some(e),
        SyncFailure::Dependency { failure, .. } => return stopped_cause(failure),
        _ => None,
    };
    match error.map(|e| (e.system, e.kind)) {
        Some((System::DkPlus, PortErrorKind::Unauthorized)) => "DK+ refused the token",
        Some((System::DkPlus, _)) => "DK+ could not be reached",
        Some((System::Moment, PortErrorKind::Unauthorized)) => "Moment refused the API key",
        Some((System::Moment, _)) => "Moment could not be reached",
        None => "a problem with the set-up",
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Could not deliver a failure report.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("could not deliver the failure report: {0}")]
pub struct NotifyError(pub String);

/// Delivers failure reports, e.g. by e-mail to the configured error address.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one report. Called once per sync operation that needs a person (see
    /// [`FailureReport::for_report`]).
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError>;

    /// Sees every finished sync operation, also one with nothing to report, before
    /// [`notify`](Self::notify) (when that is called): a notifier that remembers what it
    /// reported can tell a problem is over. The alert policy mails recoveries and the digest of
    /// warnings from here. By default it does nothing.
    async fn observe(&self, report: &SyncReport) -> Result<(), NotifyError> {
        let _ = report;
        Ok(())
    }
}

/// A [`Notifier`] that keeps the reports in memory: for tests, demos, and applications that
/// collect reports to send them later.
#[derive(Debug, Default)]
pub struct CollectingNotifier {
    reports: Mutex<Vec<FailureReport>>,
}

impl CollectingNotifier {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reports received so far.
    pub fn reports(&self) -> Vec<FailureReport> {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl Notifier for CollectingNotifier {
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError> {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(report.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{PortError, PortErrorKind, System};
    use crate::sync::failure::SyncFailure;
    use crate::sync::outcome::{ObjectOutcome, OutcomeStatus};
    use crate::sync::report::{ReportBuilder, Retention};
    use crate::warning::Warning;

    fn config(error_email: Option<&str>) -> IntegrationConfig {
        let builder = IntegrationConfig::builder().sales_person("JON");
        match error_email {
            Some(to) => builder.error_email(to),
            None => builder,
        }
        .build()
        .unwrap()
    }

    #[test]
    fn warnings_alone_render_a_report() {
        let builder = ReportBuilder::new(Retention::All, None);
        let mut warned =
            ObjectOutcome::new(moment_client::ProjectId::new(201), Some("P-100".into()))
                .with(OutcomeStatus::AlreadyPresent);
        warned.warnings.push(Warning::ProjectDrift {
            project: "P-100".into(),
            field: "name",
            moment: "New".into(),
            dkplus: "Old".into(),
        });
        builder.record(warned);
        let report = FailureReport::for_report(&builder.finish(), &config(None)).unwrap();
        assert_eq!(report.failed, 0);
        assert_eq!(
            report.subject,
            "Moment → DK+: transferred, with warnings on 1 object to look at"
        );
        assert!(
            report.body.contains("update it by hand in DK+"),
            "{}",
            report.body
        );
    }

    #[test]
    fn a_clean_report_renders_nothing() {
        let builder = ReportBuilder::new(Retention::All, None);
        builder.record(
            ObjectOutcome::new(moment_client::InvoiceId::new(1), Some("1".into()))
                .with(OutcomeStatus::Created),
        );
        assert_eq!(
            FailureReport::for_report(&builder.finish(), &config(Some("a@b.is"))),
            None
        );
    }

    #[test]
    fn warnings_alone_are_not_sent_when_the_configuration_says_so() {
        let builder = ReportBuilder::new(Retention::All, None);
        let mut warned =
            ObjectOutcome::new(moment_client::InvoiceId::new(502), Some("1002".into()))
                .with(OutcomeStatus::Created);
        warned.warnings.push(Warning::CreditNoteWithoutOriginal);
        builder.record(warned);
        let report = builder.finish();
        let quiet = IntegrationConfig::builder()
            .sales_person("JON")
            .notify_warnings(false)
            .build()
            .unwrap();
        assert_eq!(FailureReport::for_report(&report, &quiet), None);
        assert!(FailureReport::for_report(&report, &config(None)).is_some());
    }

    #[test]
    fn failures_and_warnings_render_as_readable_text() {
        let builder = ReportBuilder::new(Retention::All, None);
        builder.record(
            ObjectOutcome::new(moment_client::InvoiceId::new(501), Some("1001".into())).with(
                OutcomeStatus::Failed(SyncFailure::DkPlus {
                    what: "invoice".into(),
                    error: PortError::new(
                        System::DkPlus,
                        PortErrorKind::Unavailable,
                        "DK+ answered 503",
                    ),
                }),
            ),
        );
        builder.record(
            ObjectOutcome::new(moment_client::CustomerId::new(101), Some("10001".into())).with(
                OutcomeStatus::Failed(SyncFailure::SalesPersonUnknown("XYZ".into())),
            ),
        );
        let mut warned =
            ObjectOutcome::new(moment_client::InvoiceId::new(502), Some("1002".into()))
                .with(OutcomeStatus::Created);
        warned.warnings.push(Warning::CreditNoteWithoutOriginal);
        builder.record(warned);
        let report =
            FailureReport::for_report(&builder.finish(), &config(Some("bokhald@firma.is")))
                .unwrap();
        assert_eq!(report.to.as_deref(), Some("bokhald@firma.is"));
        assert_eq!(
            report.subject,
            "Moment → DK+: 2 objects were not transferred"
        );
        assert_eq!(report.failed, 2);
        let body = &report.body;
        assert!(body.contains("1. Invoice 1001 [Moment id 501]"), "{body}");
        assert!(body.contains("DK+ answered 503"), "{body}");
        assert!(
            body.contains("Nothing to fix in Moment: the next run tries again."),
            "{body}"
        );
        assert!(body.contains("2. Customer 10001 [Moment id 101]"), "{body}");
        assert!(body.contains("Fix this, then"), "{body}");
        assert!(
            body.contains("Warnings (transferred, but worth a look):\n - invoice 1002:"),
            "{body}"
        );
        assert!(body.contains("1 created, 0 updated"), "{body}");
    }
}
