//! How the programs tell a person about failures: [`alerting_notifier`] mails them when
//! `SMTP_URL` is set and logs them otherwise ([`LogNotifier`]), always through the store-backed
//! alert policy.

use std::sync::Arc;

use async_trait::async_trait;
use moment_dkplus_mapping::smtp::{SmtpError, SmtpNotifier};
use moment_dkplus_mapping::store::{Scope, Store};
use moment_dkplus_mapping::sync::{AlertPolicy, NotifyError};
use moment_dkplus_mapping::{FailureReport, Notifier};

use crate::setup::SetupError;

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

/// How the programs tell a person: by e-mail when `SMTP_URL` is set (from `ALERT_FROM` to
/// `ERROR_EMAIL`), else to the log — always through the [`AlertPolicy`], which remembers in the
/// store what was sent, so a lasting failure is mailed once and then daily, a transient one only
/// when it lasts, and several processes do not repeat each other.
///
/// # Errors
/// [`SetupError`] naming the setting to fix (`SMTP_URL`, `ALERT_FROM`, `ERROR_EMAIL`); the
/// SMTP URL and its password are never shown.
pub fn alerting_notifier(
    lookup: impl Fn(&str) -> Option<String>,
    store: Arc<dyn Store>,
    scope: Scope,
) -> Result<Arc<dyn Notifier>, SetupError> {
    let read = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let inner: Arc<dyn Notifier> = match read("SMTP_URL") {
        None => Arc::new(LogNotifier),
        Some(url) => {
            let mut problems = Vec::new();
            let from = read("ALERT_FROM");
            let to = read("ERROR_EMAIL");
            if from.is_none() {
                problems.push(
                    "ALERT_FROM is not set: the sender of the failure e-mails, e.g. \
                     \"Samstilling <samstilling@acme.is>\" (needed with SMTP_URL)"
                        .to_owned(),
                );
            }
            if to.is_none() {
                problems.push(
                    "ERROR_EMAIL is not set: who receives the failure e-mails (needed with SMTP_URL)"
                        .to_owned(),
                );
            }
            let (Some(from), Some(to)) = (from, to) else {
                return Err(SetupError { problems });
            };
            let recipients: Vec<&str> = to.split(',').map(str::trim).collect();
            let mail =
                SmtpNotifier::new(&url, &from, &recipients, read("ALERT_REPLY_TO").as_deref())
                    .map_err(|e| {
                        let setting = match &e {
                            SmtpError::Address { role: "sender", .. } => "ALERT_FROM",
                            SmtpError::Address {
                                role: "reply-to", ..
                            } => "ALERT_REPLY_TO",
                            SmtpError::Address { .. } | SmtpError::NoRecipient => "ERROR_EMAIL",
                            _ => "SMTP_URL",
                        };
                        SetupError {
                            problems: vec![format!("{setting}: {e}")],
                        }
                    })?;
            Arc::new(mail)
        }
    };
    Ok(Arc::new(
        AlertPolicy::new(inner, store, scope).with_error_email(read("ERROR_EMAIL")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moment_dkplus_mapping::store::MemoryStore;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn build(pairs: &[(&str, &str)]) -> Result<Arc<dyn Notifier>, SetupError> {
        alerting_notifier(
            lookup(pairs),
            Arc::new(MemoryStore::new()),
            Scope::new("acme", "default"),
        )
    }

    #[test]
    fn every_mail_setting_problem_names_its_variable_and_hides_the_password() {
        assert!(build(&[]).is_ok(), "to the log without SMTP_URL");
        let error = build(&[("SMTP_URL", "smtps://u:pw-secret-1@mail.acme.is")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("ALERT_FROM") && error.contains("ERROR_EMAIL"),
            "{error}"
        );
        for (pairs, names) in [
            (
                [
                    ("SMTP_URL", "smtx://u:pw-secret-1@mail.acme.is"),
                    ("ALERT_FROM", "a@acme.is"),
                    ("ERROR_EMAIL", "b@acme.is"),
                ],
                "SMTP_URL",
            ),
            (
                [
                    ("SMTP_URL", "smtps://u:pw-secret-1@mail.acme.is"),
                    ("ALERT_FROM", "not an address"),
                    ("ERROR_EMAIL", "b@acme.is"),
                ],
                "ALERT_FROM",
            ),
            (
                [
                    ("SMTP_URL", "smtps://u:pw-secret-1@mail.acme.is"),
                    ("ALERT_FROM", "a@acme.is"),
                    ("ERROR_EMAIL", "b@acme.is, nobody"),
                ],
                "ERROR_EMAIL",
            ),
        ] {
            let error = build(&pairs).err().unwrap().to_string();
            assert!(error.contains(names), "{error}");
            assert!(!error.contains("pw-secret-1"), "{error}");
        }
        assert!(
            build(&[
                ("SMTP_URL", "smtps://u:pw-secret-1@mail.acme.is"),
                ("ALERT_FROM", "Samstilling <a@acme.is>"),
                ("ERROR_EMAIL", "b@acme.is, Jón <jon@acme.is>"),
            ])
            .is_ok()
        );
    }
}
