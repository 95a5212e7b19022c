//! What the status page shows, as data: [`StatusReport`], read from the store — every object's
//! sync state sorted into [`SyncCategory`], each failure with its reason and what to do, the
//! recent runs, the backfill cursor, the webhook queue and its dead letters. The page (feature
//! `server`, [`status_page`](super::status_page)) renders it as HTML and serves it as JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{
    JobId, JobState, LedgerEntry, LedgerState, ObjectState, RunRecord, Scope, Store, StoreResult,
};
use crate::sync::ObjectKind;

/// How many runs the report lists.
pub const RECENT_RUNS: u32 = 20;

/// Where an object stands, as a person sorts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncCategory {
    /// Not transferred; a later attempt may succeed by itself (a system was out of reach).
    Failed,
    /// Not transferred until something is fixed: the reason says what.
    NeedsPerson,
    /// A post was sent and its answer lost: DK+ is looked up again after the settle time.
    OutcomeUnknown,
    /// Transferred (or found already there, or skipped on purpose).
    Done,
}

impl SyncCategory {
    /// Every category, in the page's order.
    pub const ALL: [Self; 4] = [
        Self::NeedsPerson,
        Self::Failed,
        Self::OutcomeUnknown,
        Self::Done,
    ];

    /// The stable key (`failed`, `needs_person`, `outcome_unknown`, `done`): the filter's value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::NeedsPerson => "needs_person",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Done => "done",
        }
    }

    /// The category of a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// A heading for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Failed => "Failed, tried again by itself",
            Self::NeedsPerson => "Needs a person",
            Self::OutcomeUnknown => "Outcome unknown",
            Self::Done => "Done",
        }
    }

    /// The category of a stored object status
    /// ([`ObjectState::last_status`](crate::store::ObjectState::last_status)).
    pub fn of_status(status: &str) -> Self {
        match status {
            "failed" => Self::Failed,
            "needs_person" => Self::NeedsPerson,
            "outcome_unknown" => Self::OutcomeUnknown,
            _ => Self::Done,
        }
    }
}

/// Which objects a report lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Everything not done (the default).
    #[default]
    Problems,
    /// One category.
    Only(SyncCategory),
    /// Every object.
    All,
}

impl StatusFilter {
    /// The filter a `show=` value names: a [`SyncCategory::key`], `problems` or `all`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "problems" | "" => Some(Self::Problems),
            "all" => Some(Self::All),
            other => SyncCategory::from_key(other).map(Self::Only),
        }
    }

    /// The `show=` value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Problems => "problems",
            Self::All => "all",
            Self::Only(category) => category.key(),
        }
    }

    fn keeps(self, category: SyncCategory) -> bool {
        match self {
            Self::Problems => category != SyncCategory::Done,
            Self::All => true,
            Self::Only(only) => only == category,
        }
    }
}

/// One object on the status page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRow {
    /// Customer, project, invoice or product.
    pub kind: ObjectKind,
    /// Moment's id of it (`None` for an invoice the ledger knows only by reference).
    pub moment_id: Option<i64>,
    /// Its key in DK+ (customer or project number, item code, invoice number or reference).
    pub dkplus_key: Option<String>,
    /// Where it stands.
    pub category: SyncCategory,
    /// The stored status (`created`, `needs_person`, …).
    pub status: String,
    /// Why it is not done, in words (with what to fix, where the failure names it).
    pub reason: Option<String>,
    /// What to do about it.
    pub what_to_do: Option<String>,
    /// When it is tried again by itself.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether a person may ask for it to be tried again now (a webhook event for it is
    /// queued).
    pub retry: bool,
}

/// A webhook event set aside after too many attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The event's id in the queue.
    pub id: JobId,
    /// Why it was set aside.
    pub reason: Option<String>,
    /// How many times it was tried.
    pub attempts: u32,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The event as Moment sent it.
    pub payload: String,
}

/// The webhook queue at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    /// Waiting to be handled.
    pub queued: usize,
    /// Held by a worker.
    pub leased: usize,
    /// Set aside for a person.
    pub dead: usize,
}

/// Everything the status page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Whose books.
    pub scope: Scope,
    /// When it was read.
    pub generated_at: DateTime<Utc>,
    /// The filter applied to `objects`.
    pub show: StatusFilter,
    /// How many objects are in each category (whatever the filter).
    pub counts: BTreeMap<SyncCategory, usize>,
    /// The objects the filter keeps: problems first, the most recently changed first; at most
    /// [`MAX_ROWS`].
    pub objects: Vec<ObjectRow>,
    /// The latest runs, the most recent first.
    pub runs: Vec<RunRecord>,
    /// Where the next catch-up starts.
    pub cursor: Option<DateTime<Utc>>,
    /// The webhook queue.
    pub queue: QueueCounts,
    /// Events set aside for a person, the most recent first; at most [`MAX_DEAD_LETTERS`].
    pub dead_letters: Vec<DeadLetter>,
}

fn what_to_do(category: SyncCategory, kind: ObjectKind) -> Option<String> {
    let retry = kind != ObjectKind::Product;
    match category {
        SyncCategory::Done => None,
        SyncCategory::NeedsPerson => Some(
            if retry {
                "Fix what the reason says (in Moment, or in DK+ where it says so), then press \
                 Retry — or wait for the next catch-up, which tries it again."
            } else {
                "Fix what the reason says; the product is sent again with the next invoice that \
                 uses it."
            }
            .to_owned(),
        ),
        SyncCategory::Failed => {
            Some("Nothing to fix: it is tried again by itself. Retry tries it now.".to_owned())
        }
        SyncCategory::OutcomeUnknown => Some(
            "DK+ gave no clear answer to the post. It is looked up in DK+ again once the settle \
             time has passed and posted only if it is not there; nothing to do unless it stays \
             here."
                .to_owned(),
        ),
    }
}

fn row_of(object: &ObjectState) -> ObjectRow {
    let category = SyncCategory::of_status(&object.last_status);
    ObjectRow {
        kind: object.kind,
        moment_id: Some(object.moment_id),
        dkplus_key: object.dkplus_key.clone(),
        category,
        status: object.last_status.clone(),
        reason: object.last_error.clone(),
        what_to_do: what_to_do(category, object.kind),
        next_attempt_at: object.next_attempt_at,
        updated_at: object.updated_at,
        retry: category != SyncCategory::Done
            && category != SyncCategory::OutcomeUnknown
            && object.kind != ObjectKind::Product,
    }
}

/// What the ledger says of an invoice that overrides its object's state: an unclear post or one
/// a person must look at.
fn ledger_category(entry: &LedgerEntry, now: DateTime<Utc>) -> Option<SyncCategory> {
    match entry.state {
        LedgerState::OutcomeUnknown => Some(SyncCategory::OutcomeUnknown),
        LedgerState::NeedsPerson => Some(SyncCategory::NeedsPerson),
        // A claim whose holder died (its lease ran out) may have sent the post: unclear.
        LedgerState::Claimed | LedgerState::Posting
            if entry.lease_until.is_none_or(|until| until < now) =>
        {
            Some(SyncCategory::OutcomeUnknown)
        }
        _ => None,
    }
}

/// The most objects a report lists (the counts cover every object).
pub const MAX_ROWS: usize = 500;
/// The most dead letters a report lists.
pub const MAX_DEAD_LETTERS: usize = 50;

/// Reads the status report of `scope` from `store`.
///
/// # Errors
/// [`StoreError`](crate::store::StoreError) when the store cannot be read.
pub async fn status_report(
    store: &dyn Store,
    scope: &Scope,
    show: StatusFilter,
) -> StoreResult<StatusReport> {
    let now = Utc::now();
    let objects = store.objects(scope).await?;
    let ledger = store.ledger(scope).await?;
    let mut rows: Vec<ObjectRow> = objects.iter().map(row_of).collect();
    // The ledger knows better where a post stands; an entry without an object (a claim of a
    // process that died before it recorded anything) is listed by its reference.
    let by_invoice: BTreeMap<i64, &LedgerEntry> = ledger
        .iter()
        .filter_map(|e| e.moment_id.map(|id| (id, e)))
        .collect();
    for row in &mut rows {
        let entry = match (row.kind, row.moment_id) {
            (ObjectKind::Invoice, Some(id)) => by_invoice.get(&id),
            _ => None,
        };
        if let Some(entry) = entry
            && let Some(category) = ledger_category(entry, now)
        {
            row.category = category;
            row.status = entry.state.key().to_owned();
            row.reason = entry.last_error.clone().or(row.reason.take());
            row.what_to_do = what_to_do(category, ObjectKind::Invoice);
            row.dkplus_key = Some(entry.reference.clone());
            row.retry = category == SyncCategory::NeedsPerson;
        }
    }
    let known: std::collections::BTreeSet<i64> = objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Invoice)
        .map(|o| o.moment_id)
        .collect();
    for entry in &ledger {
        if entry.moment_id.is_some_and(|id| known.contains(&id)) {
            continue;
        }
        if let Some(category) = ledger_category(entry, now) {
            rows.push(ObjectRow {
                kind: ObjectKind::Invoice,
                moment_id: entry.moment_id,
                dkplus_key: Some(entry.reference.clone()),
                category,
                status: entry.state.key().to_owned(),
                reason: entry.last_error.clone(),
                what_to_do: what_to_do(category, ObjectKind::Invoice),
                next_attempt_at: None,
                updated_at: entry.updated_at,
                retry: category == SyncCategory::NeedsPerson && entry.moment_id.is_some(),
            });
        }
    }
    let mut counts: BTreeMap<SyncCategory, usize> =
        SyncCategory::ALL.into_iter().map(|c| (c, 0)).collect();
    for row in &rows {
        *counts.entry(row.category).or_default() += 1;
    }
    rows.retain(|row| show.keeps(row.category));
    rows.sort_by(|a, b| {
        let order = |c: SyncCategory| SyncCategory::ALL.iter().position(|x| *x == c);
        order(a.category)
            .cmp(&order(b.category))
            .then_with(|| b.updated_at.cmp(&a.updated_at))
    });
    rows.truncate(MAX_ROWS);
    let mut dead = store.jobs(scope, JobState::Dead).await?;
    let dead_count = dead.len();
    // The most recent first.
    dead.reverse();
    dead.truncate(MAX_DEAD_LETTERS);
    let queue = QueueCounts {
        queued: store.jobs(scope, JobState::Queued).await?.len(),
        leased: store.jobs(scope, JobState::Leased).await?.len(),
        dead: dead_count,
    };
    Ok(StatusReport {
        scope: scope.clone(),
        generated_at: Utc::now(),
        show,
        counts,
        objects: rows,
        runs: store.recent_runs(scope, RECENT_RUNS).await?,
        cursor: store.cursor(scope).await?,
        queue,
        dead_letters: dead
            .into_iter()
            .map(|job| DeadLetter {
                id: job.id,
                reason: job.last_error,
                attempts: job.attempts,
                received_at: job.created_at,
                payload: job.payload,
            })
            .collect(),
    })
}

/// The webhook body that asks the worker to transfer an object again, as Moment would send it
/// for a change (`None` for a product: products go with the invoices that use them).
pub fn retry_event(kind: ObjectKind, moment_id: i64) -> Option<String> {
    let key = match kind {
        ObjectKind::Customer => "customer",
        ObjectKind::Project => "project",
        ObjectKind::Invoice => "invoice",
        ObjectKind::Product => return None,
    };
    Some(serde_json::json!({"event": "UPDATE", key: {"id": moment_id}}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn object(kind: ObjectKind, id: i64, status: &str, error: Option<&str>) -> ObjectState {
        ObjectState {
            kind,
            moment_id: id,
            dkplus_key: None,
            last_status: status.into(),
            fingerprint: None,
            last_error: error.map(str::to_owned),
            next_attempt_at: None,
            updated_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn objects_are_sorted_into_categories_and_the_ledger_knows_better() {
        let store = MemoryStore::new();
        let scope = Scope::new("acme", "dk");
        for state in [
            object(ObjectKind::Customer, 1, "created", None),
            object(
                ObjectKind::Customer,
                2,
                "needs_person",
                Some("no kennitala: add it"),
            ),
            object(
                ObjectKind::Invoice,
                3,
                "failed",
                Some("DK+ could not be reached"),
            ),
            object(ObjectKind::Product, 4, "needs_person", Some("VAT rate")),
        ] {
            store.record_object(&scope, &state).await.unwrap();
        }
        // Invoice 3's post was sent and its answer lost after the object was recorded.
        let now = Utc::now();
        let request = crate::store::ClaimRequest {
            reference: "1001",
            moment_id: 3,
            owner: "p1",
            now,
            lease: std::time::Duration::from_secs(60),
            settle: std::time::Duration::from_secs(600),
        };
        store.claim(&scope, &request).await.unwrap();
        let unclear = crate::store::Settlement::OutcomeUnknown {
            error: "the answer to the post was lost".into(),
        };
        assert!(
            store
                .settle(&scope, "1001", "p1", now, &unclear)
                .await
                .unwrap()
        );
        let report = status_report(&store, &scope, StatusFilter::Problems)
            .await
            .unwrap();
        assert_eq!(report.counts[&SyncCategory::Done], 1);
        assert_eq!(report.counts[&SyncCategory::NeedsPerson], 2);
        assert_eq!(report.counts[&SyncCategory::Failed], 0);
        assert_eq!(report.counts[&SyncCategory::OutcomeUnknown], 1);
        assert_eq!(report.objects.len(), 3, "done is filtered out");
        let invoice = report
            .objects
            .iter()
            .find(|r| r.kind == ObjectKind::Invoice)
            .unwrap();
        assert_eq!(
            (
                invoice.dkplus_key.as_deref(),
                invoice.reason.as_deref(),
                invoice.retry
            ),
            (Some("1001"), Some("the answer to the post was lost"), false)
        );
        assert_eq!(report.objects[0].category, SyncCategory::NeedsPerson);
        let product = report
            .objects
            .iter()
            .find(|r| r.kind == ObjectKind::Product)
            .unwrap();
        assert!(!product.retry, "products go with their invoices");
        let customer = report
            .objects
            .iter()
            .find(|r| r.kind == ObjectKind::Customer)
            .unwrap();
        assert!(customer.retry);
        assert_eq!(customer.reason.as_deref(), Some("no kennitala: add it"));
        assert!(customer.what_to_do.as_deref().unwrap().contains("Retry"));

        let only_done = status_report(&store, &scope, StatusFilter::Only(SyncCategory::Done))
            .await
            .unwrap();
        assert_eq!(only_done.objects.len(), 1);
        assert_eq!(
            StatusFilter::parse("needs_person"),
            Some(StatusFilter::Only(SyncCategory::NeedsPerson))
        );
        assert_eq!(StatusFilter::parse("bogus"), None);
    }

    #[test]
    fn a_retry_is_the_webhook_moment_would_send() {
        let body = retry_event(ObjectKind::Invoice, 77).unwrap();
        let event = moment_client::webhook::parse(body.as_bytes()).unwrap();
        assert_eq!(event.object_id(), Some(77));
        assert_eq!(event.object_type(), "invoice");
        assert_eq!(retry_event(ObjectKind::Product, 1), None);
    }
}
