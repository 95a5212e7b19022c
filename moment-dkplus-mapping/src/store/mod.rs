//! What the integration must not forget, kept where several processes can share it: the
//! [`Store`] port and its implementations — [`MemoryStore`] (one process; tests), `SqliteStore`
//! (feature `sqlite`, the embedded default: one file, nothing to install) and `PostgresStore`
//! (feature `postgres`: several processes and replicas).
//!
//! A store keeps, per [`Scope`] (one Moment company and one DK+ company, so one database serves
//! several):
//! - the **invoice ledger** ([`ledger`]): every invoice reference, claimed before it is looked up
//!   and posted, so a second process never posts it, with its DK+ number once posted;
//! - the **state of each object** ([`ObjectState`]): its last outcome, DK+ key and a fingerprint
//!   of what was last sent;
//! - the **backfill cursor**: where the next backfill starts;
//! - a **work queue** ([`Job`]): webhook events stored before Moment gets its answer, leased by one
//!   worker at a time, retried, and dead-lettered after too many attempts;
//! - what has been **notified**, so alerts are not repeated;
//! - what was last confirmed of a **DK+ record** (a customer, project or product), so an
//!   unchanged one costs no DK+ read;
//! - the **recent runs** ([`RunRecord`], 30 days) and the **warnings waiting for the next
//!   digest** ([`DigestItem`]), for the status page and the alert policy.
//!
//! Every change is one transaction: a process killed at any instant loses nothing and doubles
//! nothing.

pub mod ledger;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use ledger::{Claim, ClaimRequest, LedgerEntry, LedgerState, Seeding, Settlement};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use crate::sync::ObjectKind;

/// Whose books a record belongs to: one Moment company and one DK+ company.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    /// The Moment company code.
    pub moment_company: String,
    /// A name for the DK+ company (the token is bound to one; DK+ does not say which, so the
    /// embedding application names it, e.g. its kennitala).
    pub dkplus_company: String,
}

impl Scope {
    /// The scope of one Moment company and one DK+ company.
    pub fn new(moment_company: impl Into<String>, dkplus_company: impl Into<String>) -> Self {
        Self {
            moment_company: moment_company.into(),
            dkplus_company: dkplus_company.into(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Moment {} → DK+ {}",
            self.moment_company, self.dkplus_company
        )
    }
}

/// The store could not be read or written. The engine reports it as a failure of the object
/// (nothing is posted without the ledger's word) and a later run tries again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("the sync state store failed: {message}")]
pub struct StoreError {
    /// What failed (never a password: connection strings are not part of it).
    pub message: String,
}

impl StoreError {
    /// A store error with this description.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// What the engine last did with one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectState {
    /// The kind of object.
    pub kind: ObjectKind,
    /// Moment's id of it.
    pub moment_id: i64,
    /// Its key in DK+ (customer or project number, item code, invoice reference).
    pub dkplus_key: Option<String>,
    /// The last outcome: its status key when it went through (`created`, `updated`,
    /// `unchanged`, `already_present`, `skipped`); after a failure `failed` (a later attempt
    /// may succeed by itself: a system was out of reach), `needs_person` (something must be
    /// fixed first; `last_error` says what) or `outcome_unknown` (a post's answer was lost:
    /// DK+ is looked up again after the settle time).
    pub last_status: String,
    /// A fingerprint of what was last sent to DK+ (or found there unchanged).
    pub fingerprint: Option<String>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// Not before then is it worth trying again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was recorded.
    pub updated_at: DateTime<Utc>,
}

/// The id of a queued job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Waiting to be handled (now or after its `due` time).
    Queued,
    /// A worker holds it until its lease runs out.
    Leased,
    /// Handled.
    Done,
    /// Given up after too many attempts; kept for a person.
    Dead,
}

impl JobState {
    /// The stable machine key, as stored.
    pub fn key(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// The state of a stored key.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "queued" => Self::Queued,
            "leased" => Self::Leased,
            "done" => Self::Done,
            "dead" => Self::Dead,
            _ => return None,
        })
    }
}

/// A queued piece of work: a webhook event as received, to hand to the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What to do (a webhook body, as received).
    pub payload: String,
    /// Where it stands.
    pub state: JobState,
    /// How many times a worker leased it.
    pub attempts: u32,
    /// Not before then is it handed out (again).
    pub due: DateTime<Utc>,
    /// The worker holding it, while leased.
    pub worker: Option<String>,
    /// Until when the lease holds.
    pub lease_until: Option<DateTime<Utc>>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// Where the engine keeps what it must not forget. Implementations must make each method one
/// transaction, and the ledger methods must follow [`ledger`]'s functions exactly.
#[async_trait]
pub trait Store: Send + Sync {
    /// Prepares the store (creates or migrates its tables). Called once before use.
    async fn migrate(&self) -> StoreResult<()>;

    /// The ledger entry of a reference.
    async fn ledger_entry(
        &self,
        scope: &Scope,
        reference: &str,
    ) -> StoreResult<Option<LedgerEntry>>;

    /// Claims a reference ([`ledger::claim`]), in one transaction.
    async fn claim(&self, scope: &Scope, request: &ClaimRequest<'_>) -> StoreResult<Claim>;

    /// Records that the post is about to be sent, with a fresh `lease` for it
    /// ([`ledger::start_post`]). `Ok(false)` when the caller no longer holds the claim: it must
    /// not post.
    async fn start_post(
        &self,
        scope: &Scope,
        reference: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<bool>;

    /// Records what became of a claimed invoice ([`ledger::settle`]). `Ok(false)` when the
    /// caller no longer holds the claim and the settlement was not recorded.
    async fn settle(
        &self,
        scope: &Scope,
        reference: &str,
        owner: &str,
        now: DateTime<Utc>,
        settlement: &Settlement,
    ) -> StoreResult<bool>;

    /// A person confirms an unclear post is not in DK+ ([`ledger::confirm_not_posted`]).
    /// `Ok(false)` when the reference has no unclear post.
    async fn confirm_not_posted(
        &self,
        scope: &Scope,
        reference: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Records invoices DK+ already holds, as `seeding` says ([`ledger::Seeding::apply`]);
    /// returns how many entries were written.
    async fn seed_ledger(
        &self,
        scope: &Scope,
        invoices: &[(String, Option<String>)],
        now: DateTime<Utc>,
        seeding: Seeding,
    ) -> StoreResult<usize>;

    /// Every ledger entry of the scope, in reference order.
    async fn ledger(&self, scope: &Scope) -> StoreResult<Vec<LedgerEntry>>;

    /// A flag of the scope (e.g. "the ledger was seeded from DK+").
    async fn flag(&self, scope: &Scope, name: &str) -> StoreResult<Option<DateTime<Utc>>>;

    /// Sets a flag of the scope.
    async fn set_flag(&self, scope: &Scope, name: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// What the engine last did with an object.
    async fn object_state(
        &self,
        scope: &Scope,
        kind: ObjectKind,
        moment_id: i64,
    ) -> StoreResult<Option<ObjectState>>;

    /// Records what the engine did with an object.
    async fn record_object(&self, scope: &Scope, state: &ObjectState) -> StoreResult<()>;

    /// The objects whose next attempt is due at `now` (a failure a later run may overcome),
    /// oldest first.
    async fn due_objects(&self, scope: &Scope, now: DateTime<Utc>)
    -> StoreResult<Vec<ObjectState>>;

    /// Where the next backfill starts.
    async fn cursor(&self, scope: &Scope) -> StoreResult<Option<DateTime<Utc>>>;

    /// Moves the backfill cursor (never backwards past a later value another process set: the
    /// later of the two is kept only when `only_forward`).
    async fn set_cursor(
        &self,
        scope: &Scope,
        at: DateTime<Utc>,
        only_forward: bool,
    ) -> StoreResult<()>;

    /// Stores a job (before the sender is answered); returns its id.
    async fn enqueue(&self, scope: &Scope, payload: &str, now: DateTime<Utc>)
    -> StoreResult<JobId>;

    /// Leases the oldest due job to `worker` until `now + lease`, or `None` when nothing is due.
    /// A job whose lease ran out is due again. One job is never leased to two workers at once.
    async fn lease(
        &self,
        scope: &Scope,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<Option<Job>>;

    /// The job is handled (its `due` becomes `now`, when it finished). `Ok(false)` when
    /// `worker` no longer holds it.
    async fn complete(&self, id: JobId, worker: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// The job is handed out again at `due`, with `error` noted. `Ok(false)` when `worker` no
    /// longer holds it.
    async fn retry_job(
        &self,
        id: JobId,
        worker: &str,
        due: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool>;

    /// The job is given up and kept for a person (its `due` becomes `now`). `Ok(false)` when
    /// `worker` no longer holds it.
    async fn dead_letter(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The jobs of the scope in a state, oldest first.
    async fn jobs(&self, scope: &Scope, state: JobState) -> StoreResult<Vec<Job>>;

    /// Deletes the handled jobs of the scope that finished before `before` (dead-lettered jobs
    /// stay for a person); returns how many.
    async fn prune_jobs(&self, scope: &Scope, before: DateTime<Utc>) -> StoreResult<u64>;

    /// When an alert with this key was last sent.
    async fn notified(&self, scope: &Scope, key: &str) -> StoreResult<Option<DateTime<Utc>>>;

    /// Notes that an alert with this key was sent.
    async fn mark_notified(&self, scope: &Scope, key: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// Notes `at` under `key` only when nothing is noted there since `unless_since` (or at
    /// all); `Ok(true)` when this call noted it. Two processes asking at once: one gets `true`.
    async fn claim_notified(
        &self,
        scope: &Scope,
        key: &str,
        at: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Forgets what is noted under `key`.
    async fn forget_notified(&self, scope: &Scope, key: &str) -> StoreResult<()>;

    /// Every noted alert whose key starts with `prefix`, with when it was noted, in key order.
    async fn notified_keys(
        &self,
        scope: &Scope,
        prefix: &str,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;

    /// What was last confirmed of a DK+ record (`customer:…`, `project:…`, `product:…`): the
    /// value noted and when.
    async fn dkplus_fact(
        &self,
        scope: &Scope,
        key: &str,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>>;

    /// Notes what DK+ holds for a record, as confirmed at `at`.
    async fn set_dkplus_fact(
        &self,
        scope: &Scope,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Every object's state, the most recently changed first (the status page).
    async fn objects(&self, scope: &Scope) -> StoreResult<Vec<ObjectState>>;

    /// Hands a dead-lettered job out again at `now`, with its attempts counted from zero (a
    /// person asked for it). `Ok(false)` when the job is not dead-lettered (any more).
    async fn requeue_dead(&self, scope: &Scope, id: JobId, now: DateTime<Utc>)
    -> StoreResult<bool>;

    /// Keeps what a run did, and forgets runs older than [`RUNS_KEPT`].
    async fn record_run(&self, scope: &Scope, run: &RunRecord) -> StoreResult<()>;

    /// The latest `limit` runs, the most recent first.
    async fn recent_runs(&self, scope: &Scope, limit: u32) -> StoreResult<Vec<RunRecord>>;

    /// Notes a warning for the next digest; one already waiting under `key` keeps its text and
    /// time.
    async fn add_digest_item(&self, scope: &Scope, item: &DigestItem) -> StoreResult<()>;

    /// The warnings waiting for the next digest, oldest first.
    async fn digest_items(&self, scope: &Scope) -> StoreResult<Vec<DigestItem>>;

    /// Forgets the digest items under `keys` (they were sent).
    async fn clear_digest(&self, scope: &Scope, keys: &[String]) -> StoreResult<()>;
}

/// How long [`Store::record_run`] keeps a run.
pub const RUNS_KEPT: chrono::Duration = chrono::Duration::days(30);

/// What one sync run did, as the status page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Its outcomes by status.
    pub counts: crate::sync::Counts,
    /// Why it stopped early, in words, when it did.
    pub stopped: Option<String>,
    /// Listings of Moment that stopped early, in words.
    pub listing_failures: Vec<String>,
}

impl RunRecord {
    /// The record of a finished report.
    pub fn of(report: &crate::sync::SyncReport) -> Self {
        Self {
            started_at: report.started_at,
            finished_at: report.finished_at,
            counts: report.counts,
            stopped: report.stopped.as_ref().map(ToString::to_string),
            listing_failures: report
                .listing_failures
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// A warning waiting for the next digest mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// What it is about (one item per key: a warned object, or a run warning's kind).
    pub key: String,
    /// The warning, in words.
    pub text: String,
    /// When it was first noted.
    pub at: DateTime<Utc>,
}

/// Opens the store a URL names: `memory:`, `sqlite:path/to/file.db` (created when missing;
/// feature `sqlite`) or `postgres://user@host/db` (feature `postgres`), and prepares its tables.
///
/// # Errors
/// [`StoreError`] when the URL names no store this build has, or it cannot be opened.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    let store: std::sync::Arc<dyn Store> = if url == "memory:" || url == "memory" {
        std::sync::Arc::new(MemoryStore::new())
    } else if url.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        {
            std::sync::Arc::new(SqliteStore::connect(url).await?)
        }
        #[cfg(not(feature = "sqlite"))]
        {
            return Err(StoreError::new(
                "this build has no SQLite store: enable the `sqlite` feature",
            ));
        }
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        #[cfg(feature = "postgres")]
        {
            std::sync::Arc::new(PostgresStore::connect(url).await?)
        }
        #[cfg(not(feature = "postgres"))]
        {
            return Err(StoreError::new(
                "this build has no PostgreSQL store: enable the `postgres` feature",
            ));
        }
    } else {
        return Err(StoreError::new(format!(
            "the store URL must start with memory:, sqlite: or postgres://, not {:?}",
            url.split(':').next().unwrap_or_default()
        )));
    };
    store.migrate().await?;
    Ok(store)
}
