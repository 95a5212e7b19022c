//! [`MemoryStore`]: the store in one process's memory — for tests, and for an engine that runs
//! in a single process and may forget on restart (DK+ is still looked up by reference before
//! every post, so a restart doubles nothing; it only forgets what it was waiting for).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ledger::{self, Claim, ClaimRequest, LedgerEntry, Settlement};
use super::{
    DigestItem, Job, JobId, JobState, ObjectState, RUNS_KEPT, RunRecord, Scope, Store, StoreResult,
};
use crate::sync::ObjectKind;

#[derive(Default)]
struct State {
    ledger: HashMap<Scope, BTreeMap<String, LedgerEntry>>,
    flags: HashMap<(Scope, String), DateTime<Utc>>,
    objects: HashMap<(Scope, ObjectKind, i64), ObjectState>,
    cursors: HashMap<Scope, DateTime<Utc>>,
    jobs: BTreeMap<JobId, (Scope, Job)>,
    next_job: i64,
    notified: HashMap<(Scope, String), DateTime<Utc>>,
    facts: HashMap<(Scope, String), (String, DateTime<Utc>)>,
    runs: HashMap<Scope, Vec<RunRecord>>,
    digest: HashMap<Scope, BTreeMap<String, DigestItem>>,
}

/// The store in memory, shared by every clone of the engine that holds it.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

fn after(at: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl Store for MemoryStore {
    async fn migrate(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn ledger_entry(
        &self,
        scope: &Scope,
        reference: &str,
    ) -> StoreResult<Option<LedgerEntry>> {
        Ok(self
            .lock()
            .ledger
            .get(scope)
            .and_then(|l| l.get(reference))
            .cloned())
    }

    async fn claim(&self, scope: &Scope, request: &ClaimRequest<'_>) -> StoreResult<Claim> {
        let mut state = self.lock();
        let entries = state.ledger.entry(scope.clone()).or_default();
        let (answer, write) = ledger::claim(entries.get(request.reference), request);
        if let Some(entry) = write {
            entries.insert(entry.reference.clone(), entry);
        }
        Ok(answer)
    }

    async fn start_post(
        &self,
        scope: &Scope,
        reference: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        let entries = state.ledger.entry(scope.clone()).or_default();
        let Some(entry) = entries.get(reference) else {
            return Ok(false);
        };
        match ledger::start_post(entry, owner, now, lease) {
            Ok(next) => {
                entries.insert(reference.to_owned(), next);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    async fn settle(
        &self,
        scope: &Scope,
        reference: &str,
        owner: &str,
        now: DateTime<Utc>,
        settlement: &Settlement,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        let entries = state.ledger.entry(scope.clone()).or_default();
        let Some(entry) = entries.get(reference) else {
            return Ok(false);
        };
        match ledger::settle(entry, owner, now, settlement) {
            Ok(next) => {
                entries.insert(reference.to_owned(), next);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    async fn confirm_not_posted(
        &self,
        scope: &Scope,
        reference: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        let entries = state.ledger.entry(scope.clone()).or_default();
        match entries
            .get(reference)
            .and_then(|e| ledger::confirm_not_posted(e, now))
        {
            Some(next) => {
                entries.insert(reference.to_owned(), next);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn seed_ledger(
        &self,
        scope: &Scope,
        invoices: &[(String, Option<String>)],
        now: DateTime<Utc>,
        seeding: ledger::Seeding,
    ) -> StoreResult<usize> {
        let mut state = self.lock();
        let entries = state.ledger.entry(scope.clone()).or_default();
        let mut new = 0;
        for (reference, number) in invoices {
            if let Some(next) =
                seeding.apply(entries.get(reference), reference, number.as_deref(), now)
            {
                entries.insert(reference.clone(), next);
                new += 1;
            }
        }
        Ok(new)
    }

    async fn ledger(&self, scope: &Scope) -> StoreResult<Vec<LedgerEntry>> {
        Ok(self
            .lock()
            .ledger
            .get(scope)
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn flag(&self, scope: &Scope, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self
            .lock()
            .flags
            .get(&(scope.clone(), name.to_owned()))
            .copied())
    }

    async fn set_flag(&self, scope: &Scope, name: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.lock()
            .flags
            .insert((scope.clone(), name.to_owned()), at);
        Ok(())
    }

    async fn object_state(
        &self,
        scope: &Scope,
        kind: ObjectKind,
        moment_id: i64,
    ) -> StoreResult<Option<ObjectState>> {
        Ok(self
            .lock()
            .objects
            .get(&(scope.clone(), kind, moment_id))
            .cloned())
    }

    async fn record_object(&self, scope: &Scope, object: &ObjectState) -> StoreResult<()> {
        self.lock().objects.insert(
            (scope.clone(), object.kind, object.moment_id),
            object.clone(),
        );
        Ok(())
    }

    async fn due_objects(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ObjectState>> {
        let state = self.lock();
        let mut due: Vec<ObjectState> = state
            .objects
            .iter()
            .filter(|((s, _, _), o)| s == scope && o.next_attempt_at.is_some_and(|at| at <= now))
            .map(|(_, o)| o.clone())
            .collect();
        // The databases' order: the kind by its stored name.
        due.sort_by_key(|o| (o.next_attempt_at, o.kind.to_string(), o.moment_id));
        Ok(due)
    }

    async fn cursor(&self, scope: &Scope) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.lock().cursors.get(scope).copied())
    }

    async fn set_cursor(
        &self,
        scope: &Scope,
        at: DateTime<Utc>,
        only_forward: bool,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        let cursor = state.cursors.entry(scope.clone()).or_insert(at);
        if !only_forward || at > *cursor {
            *cursor = at;
        }
        Ok(())
    }

    async fn enqueue(
        &self,
        scope: &Scope,
        payload: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<JobId> {
        let mut state = self.lock();
        state.next_job += 1;
        let id = JobId(state.next_job);
        let job = Job {
            id,
            payload: payload.to_owned(),
            state: JobState::Queued,
            attempts: 0,
            due: now,
            worker: None,
            lease_until: None,
            last_error: None,
            created_at: now,
        };
        state.jobs.insert(id, (scope.clone(), job));
        Ok(id)
    }

    async fn lease(
        &self,
        scope: &Scope,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<Option<Job>> {
        let mut state = self.lock();
        let due = state
            .jobs
            .values_mut()
            .filter(|(s, job)| {
                s == scope
                    && match job.state {
                        JobState::Queued => job.due <= now,
                        JobState::Leased => job.lease_until.is_some_and(|until| until <= now),
                        _ => false,
                    }
            })
            .min_by_key(|(_, job)| (job.due, job.id));
        Ok(due.map(|(_, job)| {
            job.state = JobState::Leased;
            job.attempts = job.attempts.saturating_add(1);
            job.worker = Some(worker.to_owned());
            job.lease_until = Some(after(now, lease));
            job.clone()
        }))
    }

    async fn complete(&self, id: JobId, worker: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self.update_held(id, worker, |job| {
            job.state = JobState::Done;
            job.due = now;
        }))
    }

    async fn retry_job(
        &self,
        id: JobId,
        worker: &str,
        due: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool> {
        Ok(self.update_held(id, worker, |job| {
            job.state = JobState::Queued;
            job.due = due;
            job.last_error = Some(error.to_owned());
        }))
    }

    async fn dead_letter(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        Ok(self.update_held(id, worker, |job| {
            job.state = JobState::Dead;
            job.due = now;
            job.last_error = Some(error.to_owned());
        }))
    }

    async fn jobs(&self, scope: &Scope, job_state: JobState) -> StoreResult<Vec<Job>> {
        let state = self.lock();
        let mut jobs: Vec<Job> = state
            .jobs
            .values()
            .filter(|(s, job)| s == scope && job.state == job_state)
            .map(|(_, job)| job.clone())
            .collect();
        jobs.sort_by_key(|job| (job.created_at, job.id));
        Ok(jobs)
    }

    async fn prune_jobs(&self, scope: &Scope, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut state = self.lock();
        let count = state.jobs.len();
        state
            .jobs
            .retain(|_, (s, job)| !(s == scope && job.state == JobState::Done && job.due < before));
        Ok((count - state.jobs.len()) as u64)
    }

    async fn notified(&self, scope: &Scope, key: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self
            .lock()
            .notified
            .get(&(scope.clone(), key.to_owned()))
            .copied())
    }

    async fn claim_notified(
        &self,
        scope: &Scope,
        key: &str,
        at: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        let noted = state.notified.entry((scope.clone(), key.to_owned()));
        match noted {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if *e.get() < unless_since {
                    e.insert(at);
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(at);
                Ok(true)
            }
        }
    }

    async fn forget_notified(&self, scope: &Scope, key: &str) -> StoreResult<()> {
        self.lock()
            .notified
            .remove(&(scope.clone(), key.to_owned()));
        Ok(())
    }

    async fn notified_keys(
        &self,
        scope: &Scope,
        prefix: &str,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        let mut keys: Vec<(String, DateTime<Utc>)> = self
            .lock()
            .notified
            .iter()
            .filter(|((s, key), _)| s == scope && key.starts_with(prefix))
            .map(|((_, key), at)| (key.clone(), *at))
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn mark_notified(&self, scope: &Scope, key: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.lock()
            .notified
            .insert((scope.clone(), key.to_owned()), at);
        Ok(())
    }

    async fn dkplus_fact(
        &self,
        scope: &Scope,
        key: &str,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        Ok(self
            .lock()
            .facts
            .get(&(scope.clone(), key.to_owned()))
            .cloned())
    }

    async fn set_dkplus_fact(
        &self,
        scope: &Scope,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.lock()
            .facts
            .insert((scope.clone(), key.to_owned()), (value.to_owned(), at));
        Ok(())
    }

    async fn objects(&self, scope: &Scope) -> StoreResult<Vec<ObjectState>> {
        let state = self.lock();
        let mut objects: Vec<ObjectState> = state
            .objects
            .iter()
            .filter(|((s, _, _), _)| s == scope)
            .map(|(_, o)| o.clone())
            .collect();
        objects.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.kind.to_string().cmp(&b.kind.to_string()))
                .then_with(|| a.moment_id.cmp(&b.moment_id))
        });
        Ok(objects)
    }

    async fn requeue_dead(
        &self,
        scope: &Scope,
        id: JobId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        match state.jobs.get_mut(&id) {
            Some((s, job)) if s == scope && job.state == JobState::Dead => {
                job.state = JobState::Queued;
                job.attempts = 0;
                job.due = now;
                job.worker = None;
                job.lease_until = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn record_run(&self, scope: &Scope, run: &RunRecord) -> StoreResult<()> {
        let mut state = self.lock();
        let runs = state.runs.entry(scope.clone()).or_default();
        runs.push(run.clone());
        let oldest = run.finished_at - RUNS_KEPT;
        runs.retain(|r| r.started_at >= oldest);
        Ok(())
    }

    async fn recent_runs(&self, scope: &Scope, limit: u32) -> StoreResult<Vec<RunRecord>> {
        let state = self.lock();
        let mut runs: Vec<RunRecord> = state.runs.get(scope).cloned().unwrap_or_default();
        // Most recent first; among equal start times the later recorded first (the databases'
        // order by id).
        runs.reverse();
        runs.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        runs.truncate(limit as usize);
        Ok(runs)
    }

    async fn add_digest_item(&self, scope: &Scope, item: &DigestItem) -> StoreResult<()> {
        self.lock()
            .digest
            .entry(scope.clone())
            .or_default()
            .entry(item.key.clone())
            .or_insert_with(|| item.clone());
        Ok(())
    }

    async fn digest_items(&self, scope: &Scope) -> StoreResult<Vec<DigestItem>> {
        let state = self.lock();
        let mut items: Vec<DigestItem> = state
            .digest
            .get(scope)
            .map(|d| d.values().cloned().collect())
            .unwrap_or_default();
        items.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
        Ok(items)
    }

    async fn clear_digest(&self, scope: &Scope, keys: &[String]) -> StoreResult<()> {
        if let Some(digest) = self.lock().digest.get_mut(scope) {
            for key in keys {
                digest.remove(key);
            }
        }
        Ok(())
    }
}

impl MemoryStore {
    /// Changes a job `worker` holds; `false` when it does not hold it.
    fn update_held(&self, id: JobId, worker: &str, change: impl FnOnce(&mut Job)) -> bool {
        let mut state = self.lock();
        match state.jobs.get_mut(&id) {
            Some((_, job))
                if job.state == JobState::Leased && job.worker.as_deref() == Some(worker) =>
            {
                change(job);
                job.worker = None;
                job.lease_until = None;
                true
            }
            _ => false,
        }
    }
}
