//! The alert policy: which failure reports reach a person, and when. [`AlertPolicy`] wraps any
//! [`Notifier`] (the SMTP one, a chat hook) and keeps what it sent in the store's `notified`
//! table, so several processes and restarts share one memory:
//!
//! - a failure that needs a person is sent once, then reminded every
//!   [`remind_every`](AlertSettings::remind_every) (a day) while it lasts;
//! - a transient failure (a system out of reach, an unclear post, another process's claim) is
//!   sent only once it has lasted [`transient_after`](AlertSettings::transient_after) (30
//!   minutes), then reminded like the others;
//! - a stopped run (a refused token, DK+ down) is one alert for its cause, not one per object;
//! - warnings alone go out as a digest, at most once per
//!   [`digest_every`](AlertSettings::digest_every) (a day).
//!
//! A report with anything due goes out whole (so the mail shows the full picture); one with
//! nothing due is held back. The inner notifier receives the same [`FailureReport`], with its
//! structured [`SyncReport`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::failure::SyncFailure;
use super::notify::{FailureReport, Notifier, NotifyError};
use crate::store::{Scope, Store};

/// When the policy lets a report through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertSettings {
    /// How often a lasting failure is reported again.
    pub remind_every: Duration,
    /// How long a transient failure must last before it is reported.
    pub transient_after: Duration,
    /// How often warnings alone are sent.
    pub digest_every: Duration,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            remind_every: Duration::from_secs(24 * 60 * 60),
            transient_after: Duration::from_secs(30 * 60),
            digest_every: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// A [`Notifier`] that passes on only what is due (see the module documentation).
pub struct AlertPolicy {
    inner: Arc<dyn Notifier>,
    store: Arc<dyn Store>,
    scope: Scope,
    settings: AlertSettings,
}

impl std::fmt::Debug for AlertPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertPolicy")
            .field("scope", &self.scope)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The stable key of a failure's kind (`claimed_elsewhere`, `dkplus`, …), with the kind of a
/// system's error (a refused token and an outage are different alerts).
fn failure_kind(failure: &SyncFailure) -> String {
    let kind = serde_json::to_value(failure)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "failure".to_owned());
    match failure {
        SyncFailure::Moment(error) | SyncFailure::DkPlus { error, .. } => {
            format!("{kind}:{:?}", error.kind)
        }
        _ => kind,
    }
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// What a report holds that may be due, each with its key in the store.
enum Item {
    /// A failure that needs a person, or a stopped run: due unless reported within the remind
    /// time.
    Lasting(String),
    /// A transient failure: due once it has lasted the transient time (and then like a
    /// lasting one).
    Transient(String),
    /// Warnings: due once per digest time.
    Digest,
}

impl AlertPolicy {
    /// The policy over `inner`, remembering in `store` under `scope`.
    pub fn new(inner: Arc<dyn Notifier>, store: Arc<dyn Store>, scope: Scope) -> Self {
        Self {
            inner,
            store,
            scope,
            settings: AlertSettings::default(),
        }
    }

    /// Replaces the settings.
    #[must_use]
    pub fn with_settings(mut self, settings: AlertSettings) -> Self {
        self.settings = settings;
        self
    }

    fn items(report: &FailureReport) -> Vec<Item> {
        let sync = &report.report;
        let mut items = Vec::new();
        if let Some(stopped) = &sync.stopped {
            let key = format!("alert:stopped:{}", failure_kind(&stopped.failure));
            // A system out of reach is transient; a refused token needs a person at once.
            items.push(if stopped.failure.retry_later() {
                Item::Transient(key)
            } else {
                Item::Lasting(key)
            });
        }
        if !sync.listing_failures.is_empty() {
            items.push(Item::Transient("alert:listing".to_owned()));
        }
        for outcome in &sync.outcomes {
            let Some(failure) = outcome.failure() else {
                continue;
            };
            let key = format!(
                "alert:{}:{}:{}",
                outcome.kind,
                outcome.moment_id.get(),
                failure_kind(failure)
            );
            items.push(if failure.retry_later() {
                Item::Transient(key)
            } else {
                Item::Lasting(key)
            });
        }
        if sync.counts.failed == 0 && sync.stopped.is_none() && sync.listing_failures.is_empty() {
            items.push(Item::Digest);
        }
        items
    }

    async fn sent_within(&self, key: &str, now: DateTime<Utc>, within: Duration) -> bool {
        match self.store.notified(&self.scope, key).await {
            Ok(at) => at.is_some_and(|at| now - at < chrono(within)),
            // Unsure: better a mail too many than none.
            Err(e) => {
                tracing::warn!(error = %e, "could not read what was alerted; sending");
                false
            }
        }
    }

    /// When a transient failure was first seen in its current stretch: unseen for longer than
    /// the remind time (a day), it starts a new stretch (runs an hour apart still see one
    /// stretch). `None` when the store cannot be read: the failure then counts as lasting.
    async fn lasting_since(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let first_key = format!("{key}:first-seen");
        let last_key = format!("{key}:last-seen");
        let first = self.store.notified(&self.scope, &first_key).await.ok()?;
        let last = self.store.notified(&self.scope, &last_key).await.ok()?;
        let gap = chrono(
            self.settings
                .remind_every
                .max(self.settings.transient_after),
        );
        let since = match (first, last) {
            (Some(first), Some(last)) if now - last <= gap => first,
            _ => {
                let _ = self.store.mark_notified(&self.scope, &first_key, now).await;
                now
            }
        };
        let _ = self.store.mark_notified(&self.scope, &last_key, now).await;
        Some(since)
    }

    /// The keys of the report that are due now; empty when nothing is.
    async fn due(&self, report: &FailureReport, now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        for item in Self::items(report) {
            match item {
                Item::Lasting(key) => {
                    if !self
                        .sent_within(&key, now, self.settings.remind_every)
                        .await
                    {
                        due.push(key);
                    }
                }
                Item::Transient(key) => {
                    let lasted = match self.lasting_since(&key, now).await {
                        Some(since) => now - since,
                        None => chrono(self.settings.transient_after),
                    };
                    if lasted >= chrono(self.settings.transient_after)
                        && !self
                            .sent_within(&key, now, self.settings.remind_every)
                            .await
                    {
                        due.push(key);
                    }
                }
                Item::Digest => {
                    let key = "alert:digest".to_owned();
                    if !self
                        .sent_within(&key, now, self.settings.digest_every)
                        .await
                    {
                        due.push(key);
                    }
                }
            }
        }
        due
    }
}

#[async_trait]
impl Notifier for AlertPolicy {
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError> {
        let now = Utc::now();
        let due = self.due(report, now).await;
        if due.is_empty() {
            tracing::debug!(subject = %report.subject, "nothing new to alert; held back");
            return Ok(());
        }
        self.inner.notify(report).await?;
        for key in &due {
            if let Err(e) = self.store.mark_notified(&self.scope, key, now).await {
                tracing::warn!(error = %e, "could not note an alert; it may be sent again");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use moment_client::{CustomerId, InvoiceId};

    use super::*;
    use crate::IntegrationConfig;
    use crate::ports::{PortError, PortErrorKind, System};
    use crate::store::MemoryStore;
    use crate::sync::{CollectingNotifier, ObjectKind, ObjectOutcome, OutcomeStatus, SyncReport};

    fn config() -> IntegrationConfig {
        IntegrationConfig::builder()
            .sales_person("vef")
            .build()
            .unwrap()
    }

    fn report(failures: Vec<ObjectOutcome>) -> FailureReport {
        let mut sync = SyncReport::empty(Utc::now());
        sync.counts.failed = failures.len();
        sync.outcomes = failures;
        FailureReport::for_report(&sync, &config()).expect("something to report")
    }

    fn needs_a_person(id: i64) -> ObjectOutcome {
        ObjectOutcome::new(CustomerId::new(id), None).with(OutcomeStatus::Failed(
            SyncFailure::NotInMoment {
                kind: ObjectKind::Customer,
                id,
            },
        ))
    }

    fn dkplus_down(id: i64) -> ObjectOutcome {
        ObjectOutcome::new(InvoiceId::new(id), Some("1001".into())).with(OutcomeStatus::Failed(
            SyncFailure::DkPlus {
                what: "invoice".into(),
                error: PortError::new(System::DkPlus, PortErrorKind::Unavailable, "refused"),
            },
        ))
    }

    fn policy(
        store: &Arc<dyn Store>,
        settings: AlertSettings,
    ) -> (AlertPolicy, Arc<CollectingNotifier>) {
        let inner = Arc::new(CollectingNotifier::new());
        let policy = AlertPolicy::new(inner.clone(), store.clone(), Scope::new("acme", "dk"))
            .with_settings(settings);
        (policy, inner)
    }

    #[tokio::test]
    async fn a_failure_that_needs_a_person_is_sent_once_then_reminded() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (daily, sent) = policy(&store, AlertSettings::default());
        daily
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        daily
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 1, "once while it lasts");
        // Another process on the same store knows it was sent.
        let (other, other_sent) = policy(&store, AlertSettings::default());
        other
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        assert!(other_sent.reports().is_empty());
        // A new failure brings the report out again.
        daily
            .notify(&report(vec![needs_a_person(7), needs_a_person(8)]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 2);
        // When the reminder is due, it goes out again.
        let (reminding, reminded) = policy(
            &store,
            AlertSettings {
                remind_every: Duration::ZERO,
                ..AlertSettings::default()
            },
        );
        reminding
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        assert_eq!(reminded.reports().len(), 1);
    }

    #[tokio::test]
    async fn a_transient_failure_is_sent_only_when_it_lasts() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let settings = AlertSettings {
            transient_after: Duration::from_millis(300),
            ..AlertSettings::default()
        };
        let (policy, sent) = policy(&store, settings);
        policy.notify(&report(vec![dkplus_down(5)])).await.unwrap();
        assert!(sent.reports().is_empty(), "a blip is not mailed");
        tokio::time::sleep(Duration::from_millis(150)).await;
        policy.notify(&report(vec![dkplus_down(5)])).await.unwrap();
        assert!(sent.reports().is_empty());
        tokio::time::sleep(Duration::from_millis(200)).await;
        policy.notify(&report(vec![dkplus_down(5)])).await.unwrap();
        assert_eq!(sent.reports().len(), 1, "lasting past the threshold");
        policy.notify(&report(vec![dkplus_down(5)])).await.unwrap();
        assert_eq!(sent.reports().len(), 1, "then only reminded");
    }

    #[tokio::test]
    async fn a_stopped_run_is_one_alert_whatever_it_stopped() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (policy, sent) = policy(&store, AlertSettings::default());
        for not_attempted in [40, 41, 42] {
            let mut sync = SyncReport::empty(Utc::now());
            sync.stopped = Some(crate::sync::Stopped {
                failure: SyncFailure::DkPlus {
                    what: "connection check".into(),
                    error: PortError::new(
                        System::DkPlus,
                        PortErrorKind::Unauthorized,
                        "401 Unauthorized",
                    ),
                },
                not_attempted,
            });
            let report = FailureReport::for_report(&sync, &config()).unwrap();
            policy.notify(&report).await.unwrap();
        }
        assert_eq!(sent.reports().len(), 1);
        assert!(sent.reports()[0].subject.contains("stopped"));

        // DK+ out of reach is another cause: not hidden by the token's alert, and transient.
        let mut sync = SyncReport::empty(Utc::now());
        sync.stopped = Some(crate::sync::Stopped {
            failure: SyncFailure::DkPlus {
                what: "connection check".into(),
                error: PortError::new(System::DkPlus, PortErrorKind::Unavailable, "timed out"),
            },
            not_attempted: 40,
        });
        let outage = FailureReport::for_report(&sync, &config()).unwrap();
        let (patient, outage_sent) = super::tests::policy(
            &store,
            AlertSettings {
                transient_after: Duration::ZERO,
                ..AlertSettings::default()
            },
        );
        patient.notify(&outage).await.unwrap();
        assert_eq!(outage_sent.reports().len(), 1, "a different cause");
    }
}
