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
//! - when a run shows an alerted problem over (the object went through, the run did not stop),
//!   one mail says it is resolved;
//! - warnings are gathered in the store and go out as one digest at most once per
//!   [`digest_every`](AlertSettings::digest_every) (a day), each warning once.
//!
//! It sees every finished operation through [`Notifier::observe`] (recoveries, warnings) and the
//! failures through [`Notifier::notify`].
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
use super::outcome::ObjectKind;
use super::report::SyncReport;
use crate::receiver::status::SyncCategory;
use crate::store::{DigestItem, Scope, Store};

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
    error_email: Option<String>,
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
    /// Needs a person: sent at once, then reminded.
    Lasting { key: String, tag: String },
    /// May pass by itself: sent once it has lasted.
    Transient { key: String, tag: String },
}

/// What an alert is about, as kept under `open:` and `closed:` keys: `stopped`, `listing` or
/// `{kind}:{moment id}`.
fn tag_of(kind: ObjectKind, moment_id: i64) -> String {
    format!("{kind}:{moment_id}")
}

/// The object a tag names.
fn object_of(tag: &str) -> Option<(ObjectKind, i64)> {
    let (kind, id) = tag.split_once(':')?;
    Some((ObjectKind::from_name(kind)?, id.parse().ok()?))
}

impl AlertPolicy {
    /// A policy in front of `inner`, remembering in `store` under `scope`, with the default
    /// [`AlertSettings`].
    pub fn new(inner: Arc<dyn Notifier>, store: Arc<dyn Store>, scope: Scope) -> Self {
        Self {
            inner,
            store,
            scope,
            settings: AlertSettings::default(),
            error_email: None,
        }
    }

    /// The address recoveries and digests are sent to (failure reports carry their own).
    #[must_use]
    pub fn with_error_email(mut self, to: Option<String>) -> Self {
        self.error_email = to;
        self
    }

    /// The policy with other settings.
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
            let tag = "stopped".to_owned();
            // A system out of reach is transient; a refused token needs a person at once.
            items.push(if stopped.failure.retry_later() {
                Item::Transient { key, tag }
            } else {
                Item::Lasting { key, tag }
            });
        }
        if sync.outcomes.is_empty() && sync.stopped.is_none() && report.failed > 0 {
            // A message about something outside a run (an event set aside): once per message.
            items.push(Item::Lasting {
                key: format!("alert:message:{}", report.body),
                tag: String::new(),
            });
        }
        if !sync.listing_failures.is_empty() {
            items.push(Item::Transient {
                key: "alert:listing".to_owned(),
                tag: "listing".to_owned(),
            });
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
            let tag = tag_of(outcome.kind, outcome.moment_id.get());
            items.push(if failure.retry_later() {
                Item::Transient { key, tag }
            } else {
                Item::Lasting { key, tag }
            });
        }
        items
    }

    /// When a recovery of `tag` was last mailed.
    async fn closed_at(&self, tag: &str) -> Option<DateTime<Utc>> {
        if tag.is_empty() {
            return None;
        }
        self.store
            .notified(&self.scope, &format!("closed:{tag}"))
            .await
            .ok()
            .flatten()
    }

    /// Whether the alert `key` (about `tag`) went out within `within` and was not resolved
    /// since: a problem that comes back after its recovery mail is mailed again at once.
    async fn alerted_within(
        &self,
        key: &str,
        tag: &str,
        now: DateTime<Utc>,
        within: Duration,
    ) -> bool {
        if !self.sent_within(key, now, within).await {
            return false;
        }
        let sent = self.store.notified(&self.scope, key).await.ok().flatten();
        match (sent, self.closed_at(tag).await) {
            (Some(sent), Some(closed)) => closed < sent,
            _ => true,
        }
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

    async fn lasting_since(
        &self,
        key: &str,
        tag: &str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let first_key = format!("{key}:first-seen");
        let last_key = format!("{key}:last-seen");
        let first = self.store.notified(&self.scope, &first_key).await.ok()?;
        let last = self.store.notified(&self.scope, &last_key).await.ok()?;
        let closed = self.closed_at(tag).await;
        let gap = chrono(
            self.settings
                .remind_every
                .max(self.settings.transient_after),
        );
        let since = match (first, last) {
            // It lasts since it was first seen, unless it was resolved in between.
            (Some(first), Some(last))
                if now - last <= gap && closed.is_none_or(|closed| closed < first) =>
            {
                first
            }
            _ => {
                let _ = self.store.mark_notified(&self.scope, &first_key, now).await;
                now
            }
        };
        let _ = self.store.mark_notified(&self.scope, &last_key, now).await;
        Some(since)
    }

    /// The alert keys of `items` that are due now.
    async fn due(&self, items: &[Item], now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        for item in items {
            match item {
                Item::Lasting { key, tag } => {
                    if !self
                        .alerted_within(key, tag, now, self.settings.remind_every)
                        .await
                    {
                        due.push(key.clone());
                    }
                }
                Item::Transient { key, tag } => {
                    let lasted = match self.lasting_since(key, tag, now).await {
                        Some(since) => now - since,
                        None => chrono(self.settings.transient_after),
                    };
                    if lasted >= chrono(self.settings.transient_after)
                        && !self
                            .alerted_within(key, tag, now, self.settings.remind_every)
                            .await
                    {
                        due.push(key.clone());
                    }
                }
            }
        }
        due
    }

    /// Notes the warnings of `report` for the next digest.
    async fn gather_warnings(&self, report: &SyncReport, now: DateTime<Utc>) {
        let mut items: Vec<DigestItem> = report
            .warnings
            .iter()
            .map(|w| DigestItem {
                key: format!("run:{w}"),
                text: w.to_string(),
                at: now,
            })
            .collect();
        for outcome in &report.outcomes {
            for warning in &outcome.warnings {
                items.push(DigestItem {
                    key: format!("{}:{}:{warning}", outcome.kind, outcome.moment_id.get()),
                    text: format!(
                        "{} {}: {warning}",
                        outcome.kind,
                        outcome.moment_number.as_deref().unwrap_or("(no number)")
                    ),
                    at: now,
                });
            }
        }
        for item in &items {
            if let Err(e) = self.store.add_digest_item(&self.scope, item).await {
                tracing::warn!(error = %e, "could not note a warning for the digest");
            }
        }
    }

    /// Sends the digest when warnings wait and the last one is
    /// [`digest_every`](AlertSettings::digest_every) old (or none was ever sent). One process
    /// claims the digest in the store before it sends it, so replicas do not both send it.
    async fn send_digest_if_due(&self, now: DateTime<Utc>) -> Result<(), NotifyError> {
        const KEY: &str = "alert:digest";
        if self.sent_within(KEY, now, self.settings.digest_every).await {
            return Ok(());
        }
        let items = match self.store.digest_items(&self.scope).await {
            Ok(items) if !items.is_empty() => items,
            Ok(_) => return Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the digest; sent later");
                return Ok(());
            }
        };
        let unless_since = now - chrono(self.settings.digest_every);
        match self
            .store
            .claim_notified(&self.scope, KEY, now, unless_since)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "could not claim the digest; sent later");
                return Ok(());
            }
        }
        let lines: Vec<_> = items.iter().map(|i| (i.at, i.text.clone())).collect();
        let to = self.error_email.as_deref();
        if let Err(e) = self
            .inner
            .notify(&FailureReport::digest(&lines, now, to))
            .await
        {
            // Not sent: the next operation tries again.
            let _ = self.store.forget_notified(&self.scope, KEY).await;
            return Err(e);
        }
        let keys: Vec<String> = items.into_iter().map(|i| i.key).collect();
        if let Err(e) = self.store.clear_digest(&self.scope, &keys).await {
            tracing::warn!(error = %e, "could not clear the digest; its warnings may be sent again");
        }
        Ok(())
    }

    /// The problems alerted earlier that `report` (or the store) shows over, as (tag, words).
    /// Each is closed in the store by one process (the one whose claim wins).
    async fn recovered(&self, report: &SyncReport, now: DateTime<Utc>) -> Vec<(String, String)> {
        let open = match self.store.notified_keys(&self.scope, "open:").await {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the open alerts");
                return Vec::new();
            }
        };
        // A run shows the systems answer when something went through and nothing failed for a
        // whole system (a webhook for an ignored type shows nothing either way).
        let systems_answer = report.stopped.is_none()
            && report.outcomes.iter().any(|o| {
                o.failure().is_none() && !matches!(o.status, super::OutcomeStatus::Skipped(_))
            })
            && !report
                .outcomes
                .iter()
                .any(|o| o.failure().is_some_and(SyncFailure::is_systemic));
        let mut recovered = Vec::new();
        for (key, opened) in open {
            let tag = key["open:".len()..].to_owned();
            let over = match (tag.as_str(), object_of(&tag)) {
                ("stopped", _) => (systems_answer && report.finished_at > opened)
                    .then(|| "the transfer runs again (Moment and DK+ answer)".to_owned()),
                // Only a catch-up that read Moment's lists to the end moves the cursor.
                ("listing", _) => match self.store.cursor(&self.scope).await {
                    Ok(Some(cursor)) if cursor > opened => {
                        Some("Moment's lists are read to the end again".to_owned())
                    }
                    _ => None,
                },
                (_, Some((kind, moment_id))) => {
                    match self.store.object_state(&self.scope, kind, moment_id).await {
                        Ok(Some(state))
                            if SyncCategory::of_status(&state.last_status)
                                == SyncCategory::Done
                                && state.updated_at > opened =>
                        {
                            Some(format!(
                                "{kind} {}[Moment id {moment_id}]: {}",
                                state
                                    .dkplus_key
                                    .as_deref()
                                    .map(|k| format!("{k} "))
                                    .unwrap_or_default(),
                                state.last_status.replace('_', " ")
                            ))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(line) = over else {
                continue;
            };
            match self
                .store
                .claim_notified(&self.scope, &format!("closed:{tag}"), now, opened)
                .await
            {
                Ok(true) => recovered.push((tag, line)),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not note a recovery"),
            }
        }
        recovered
    }
}

#[async_trait]
impl Notifier for AlertPolicy {
    async fn notify(&self, report: &FailureReport) -> Result<(), NotifyError> {
        let now = Utc::now();
        let items = Self::items(report);
        if items.is_empty() {
            // Warnings alone: gathered for the digest (already done in `observe` when the
            // caller observes; noting them twice keeps one).
            self.gather_warnings(&report.report, now).await;
            return self.send_digest_if_due(now).await;
        }
        let due = self.due(&items, now).await;
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
        // Everything the mail showed is open until a run shows it over.
        for item in &items {
            let (Item::Lasting { tag, .. } | Item::Transient { tag, .. }) = item;
            if tag.is_empty() {
                continue;
            }
            if let Err(e) = self
                .store
                .mark_notified(&self.scope, &format!("open:{tag}"), now)
                .await
            {
                tracing::warn!(error = %e, "could not note an open alert; its recovery may not be mailed");
            }
        }
        Ok(())
    }

    async fn observe(&self, report: &SyncReport) -> Result<(), NotifyError> {
        if report.dry_run {
            return Ok(());
        }
        let now = Utc::now();
        self.gather_warnings(report, now).await;
        let recovered = self.recovered(report, now).await;
        if !recovered.is_empty() {
            let to = self.error_email.as_deref();
            let lines: Vec<String> = recovered.iter().map(|(_, line)| line.clone()).collect();
            let sent = self
                .inner
                .notify(&FailureReport::recovery(&lines, report, to))
                .await;
            for (tag, _) in &recovered {
                // Sent: no longer open. Not sent: open again, so the next run tries again.
                let key = if sent.is_ok() {
                    format!("open:{tag}")
                } else {
                    format!("closed:{tag}")
                };
                if let Err(e) = self.store.forget_notified(&self.scope, &key).await {
                    tracing::warn!(error = %e, "could not note a recovery");
                }
            }
            sent?;
        }
        self.send_digest_if_due(now).await
    }
}

#[cfg(test)]
mod tests {
    use moment_client::{CustomerId, InvoiceId};

    use super::*;
    use crate::IntegrationConfig;
    use crate::ports::{PortError, PortErrorKind, System};
    use crate::store::MemoryStore;
    use crate::sync::{
        AlertKind, CollectingNotifier, ObjectKind, ObjectOutcome, OutcomeStatus, SyncReport,
    };

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

    fn went_through(id: i64) -> ObjectOutcome {
        ObjectOutcome::new(CustomerId::new(id), Some("10007".into())).with(OutcomeStatus::Created)
    }

    /// What `remember` keeps of an outcome.
    async fn remember(store: &Arc<dyn Store>, outcome: &ObjectOutcome) {
        let state = crate::store::ObjectState {
            kind: outcome.kind,
            moment_id: outcome.moment_id.get(),
            dkplus_key: outcome.dkplus_number.clone(),
            last_status: outcome.state_key().to_owned(),
            fingerprint: None,
            last_error: outcome.failure().map(ToString::to_string),
            next_attempt_at: None,
            updated_at: Utc::now(),
        };
        store
            .record_object(&Scope::new("acme", "dk"), &state)
            .await
            .unwrap();
    }

    /// A run stopped because DK+ refused the token.
    fn token_refused() -> SyncReport {
        let mut stopped = SyncReport::empty(Utc::now());
        stopped.stopped = Some(crate::sync::Stopped {
            failure: SyncFailure::DkPlus {
                what: "connection check".into(),
                error: PortError::new(System::DkPlus, PortErrorKind::Unauthorized, "401"),
            },
            not_attempted: 3,
        });
        stopped
    }

    fn sync_of(outcomes: Vec<ObjectOutcome>) -> SyncReport {
        let mut sync = SyncReport::empty(Utc::now());
        sync.counts.failed = outcomes.iter().filter(|o| o.is_failed()).count();
        sync.outcomes = outcomes;
        sync.finished_at = Utc::now();
        sync
    }

    #[tokio::test]
    async fn an_alerted_failure_that_goes_through_is_mailed_as_resolved_once() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (policy, sent) = policy(&store, AlertSettings::default());
        // Not alerted, so nothing to resolve: customer 8 failed and went through unseen.
        remember(&store, &needs_a_person(7)).await;
        policy
            .observe(&sync_of(vec![needs_a_person(7)]))
            .await
            .unwrap();
        policy
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 1);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;

        // A run the policy does not see itself (another process's, or a catch-up that keeps
        // only problems) puts it through: the store shows it, the next report resolves it.
        remember(&store, &went_through(7)).await;
        policy.observe(&sync_of(Vec::new())).await.unwrap();
        let reports = sent.reports();
        assert_eq!(reports.len(), 2, "{reports:#?}");
        assert_eq!(reports[1].kind, AlertKind::Recovery);
        assert!(
            reports[1].subject.contains("resolved"),
            "{}",
            reports[1].subject
        );
        assert!(
            reports[1].body.contains("customer [Moment id 7]: created"),
            "{}",
            reports[1].body
        );
        // Once: a later run says nothing more.
        policy
            .observe(&sync_of(vec![went_through(7)]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 2);

        // It comes back: mailed again at once, not a day after the first mail.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        remember(&store, &needs_a_person(7)).await;
        policy
            .notify(&report(vec![needs_a_person(7)]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 3, "a relapse is news");
        assert_eq!(sent.reports()[2].kind, AlertKind::Failure);
    }

    #[tokio::test]
    async fn a_webhook_that_shows_nothing_of_the_systems_does_not_resolve_a_stopped_run() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (policy, sent) = policy(&store, AlertSettings::default());
        let stopped = token_refused();
        policy
            .notify(&FailureReport::for_report(&stopped, &config()).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        // An ignored event (no outcome) and an event refused by DK+ the same way: still down.
        policy.observe(&sync_of(Vec::new())).await.unwrap();
        let refused = ObjectOutcome::new(InvoiceId::new(9), Some("1009".into())).with(
            OutcomeStatus::Failed(SyncFailure::DkPlus {
                what: "invoice".into(),
                error: PortError::new(System::DkPlus, PortErrorKind::Unauthorized, "401"),
            }),
        );
        policy.observe(&sync_of(vec![refused])).await.unwrap();
        assert_eq!(sent.reports().len(), 1, "{:#?}", sent.reports());
    }

    #[tokio::test]
    async fn a_stopped_run_that_runs_again_is_mailed_as_resolved() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (policy, sent) = policy(&store, AlertSettings::default());
        let stopped = token_refused();
        policy.observe(&stopped).await.unwrap();
        policy
            .notify(&FailureReport::for_report(&stopped, &config()).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        policy
            .observe(&sync_of(vec![went_through(1)]))
            .await
            .unwrap();
        let reports = sent.reports();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[1].kind, AlertKind::Recovery);
        assert!(reports[1].body.contains("the transfer runs again"));
    }

    #[tokio::test]
    async fn warnings_gather_into_one_digest_a_day_each_warning_once() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (today, sent) = policy(&store, AlertSettings::default());
        let warned = |id: i64, text: &str| {
            let mut outcome = went_through(id);
            outcome
                .warnings
                .push(crate::Warning::CustomerKennitalaMissing {
                    customer: text.into(),
                });
            outcome
        };
        // The first warning goes out at once (no digest yet); the next ones wait a day.
        today
            .observe(&sync_of(vec![warned(1, "Nafn stytt")]))
            .await
            .unwrap();
        assert_eq!(sent.reports().len(), 1);
        assert_eq!(sent.reports()[0].kind, AlertKind::Digest);
        assert!(sent.reports()[0].body.contains("Nafn stytt"));
        for (id, text) in [(2, "annað"), (3, "þriðja"), (2, "annað")] {
            today
                .observe(&sync_of(vec![warned(id, text)]))
                .await
                .unwrap();
            // `notify` of the same warnings-only report adds nothing and sends nothing.
            let sync = sync_of(vec![warned(id, text)]);
            if let Some(report) = FailureReport::for_report(&sync, &config()) {
                today.notify(&report).await.unwrap();
            }
        }
        assert_eq!(sent.reports().len(), 1, "held for the daily digest");
        let waiting = store.digest_items(&Scope::new("acme", "dk")).await.unwrap();
        assert_eq!(waiting.len(), 2, "each warning once: {waiting:?}");

        // A day later the next report sends them all in one mail.
        let (next_day, later) = policy(
            &store,
            AlertSettings {
                digest_every: Duration::ZERO,
                ..AlertSettings::default()
            },
        );
        next_day.observe(&sync_of(Vec::new())).await.unwrap();
        let digest = later.reports();
        assert_eq!(digest.len(), 1);
        assert!(
            digest[0].subject.contains("2 warnings"),
            "{}",
            digest[0].subject
        );
        assert!(digest[0].body.contains("annað") && digest[0].body.contains("þriðja"));
        assert!(
            store
                .digest_items(&Scope::new("acme", "dk"))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
