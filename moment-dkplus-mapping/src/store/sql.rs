//! The SQL both database stores run: the same statements on SQLite and PostgreSQL (`$n`
//! parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`, times as Unix milliseconds), generated
//! for each by [`sql_store!`]. What differs is how a write transaction begins and how it holds
//! a reference or a job against other processes, which each backend supplies:
//!
//! - `begin_write()`: a transaction that may write (SQLite: `BEGIN IMMEDIATE`, which takes the
//!   database's write lock up front; PostgreSQL: an ordinary transaction);
//! - `lock_reference(conn, scope, reference)`: holds one ledger reference until commit
//!   (PostgreSQL: a transaction-scoped advisory lock, so two processes cannot both find a
//!   reference missing and insert it; SQLite: nothing more — the write lock already serialises);
//! - `LEASE_SQL`: the pick of the next due job (PostgreSQL adds `FOR UPDATE SKIP LOCKED`).

use chrono::{DateTime, Utc};

use super::StoreError;

/// A write transaction of a database store: the connection to run statements on, and commit.
/// Dropped without `commit`, it is rolled back.
pub(super) trait WriteTx {
    /// The connection the transaction runs on.
    type Conn;
    /// The connection.
    fn conn(&mut self) -> &mut Self::Conn;
}

impl<DB: sqlx::Database> WriteTx for sqlx::Transaction<'static, DB> {
    type Conn = DB::Connection;

    fn conn(&mut self) -> &mut DB::Connection {
        self
    }
}

/// The object kind of its stored name (`customer`, `project`, `invoice`, `product`).
pub(super) fn object_kind(name: &str) -> Option<crate::sync::ObjectKind> {
    crate::sync::ObjectKind::from_name(name)
}

/// Unix milliseconds of a time, as stored.
pub(super) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The time of stored Unix milliseconds.
pub(super) fn time(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// A database error as a store error, without the connection string.
pub(super) fn db_error(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::new(format!("{what}: {e}"))
}

/// A table that keeps one time per name and scope; the names are fixed here, never user input.
#[derive(Clone, Copy)]
pub(super) struct NamedTimes {
    /// The table.
    pub(super) table: &'static str,
    /// Its name column.
    pub(super) key: &'static str,
    /// What a failed read was doing (for the error).
    pub(super) reading: &'static str,
    /// What a failed write was doing.
    pub(super) writing: &'static str,
}

/// One-off facts (`ledger_seeded_from_dkplus`).
pub(super) const FLAGS: NamedTimes = NamedTimes {
    table: "flags",
    key: "name",
    reading: "reading a flag",
    writing: "setting a flag",
};

/// What has been notified, so alerts are not repeated.
pub(super) const NOTIFIED: NamedTimes = NamedTimes {
    table: "notified",
    key: "key",
    reading: "reading what was notified",
    writing: "noting a notification",
};

/// Generates `impl Store` for a database store from the shared statements: `$store` is the
/// store type, `$db` its `sqlx` database and `$row` its row type. The store type must have
/// `begin_write` (a `sqlx::Transaction`), `lock_reference`, `read` (a pooled connection),
/// `run_migrations` and `LEASE_SQL`.
macro_rules! sql_store {
    ($store:ty, $db:ty, $row:ty) => {
        use $crate::store::ledger::{self as protocol, Claim, ClaimRequest, LedgerEntry, Settlement};
        use $crate::store::sql::{db_error, millis, object_kind, time, NamedTimes, FLAGS, NOTIFIED};
        use $crate::store::{
            DigestItem, Job, JobId, JobState, LedgerState, ObjectState, RunRecord, Scope, StoreError,
            RUNS_KEPT,
        };
        use sqlx::Row as _;
        use $crate::store::sql::WriteTx as _;

        const ENTRY_COLUMNS: &str = "reference, moment_id, state, dkplus_number, owner, \
            lease_until, posting_at, posts, last_error, updated_at";

        fn entry_of(row: &$row) -> Result<LedgerEntry, sqlx::Error> {
            let state: String = row.try_get("state")?;
            Ok(LedgerEntry {
                reference: row.try_get("reference")?,
                moment_id: row.try_get("moment_id")?,
                // A state this build does not know (written by a newer one): treated as an
                // unclear post — never posted before the settle time and a look-up.
                state: LedgerState::from_key(&state).unwrap_or(LedgerState::OutcomeUnknown),
                dkplus_number: row.try_get("dkplus_number")?,
                owner: row.try_get("owner")?,
                lease_until: row.try_get::<Option<i64>, _>("lease_until")?.map(time),
                posting_at: row.try_get::<Option<i64>, _>("posting_at")?.map(time),
                posts: u32::try_from(row.try_get::<i64, _>("posts")?).unwrap_or(u32::MAX),
                last_error: row.try_get("last_error")?,
                updated_at: time(row.try_get("updated_at")?),
            })
        }

        /// An object's state from a row of `objects` (`None` for a kind this build does not
        /// know).
        fn object_of(row: &$row) -> Result<Option<ObjectState>, sqlx::Error> {
            let kind: String = row.try_get("kind")?;
            let Some(kind) = object_kind(&kind) else {
                return Ok(None);
            };
            Ok(Some(ObjectState {
                kind,
                moment_id: row.try_get("moment_id")?,
                dkplus_key: row.try_get("dkplus_key")?,
                last_status: row.try_get("last_status")?,
                fingerprint: row.try_get("fingerprint")?,
                last_error: row.try_get("last_error")?,
                next_attempt_at: row
                    .try_get::<Option<i64>, _>("next_attempt_at")?
                    .map(time),
                updated_at: time(row.try_get("updated_at")?),
            }))
        }

        fn job_of(row: &$row) -> Result<Job, sqlx::Error> {
            let state: String = row.try_get("state")?;
            Ok(Job {
                id: JobId(row.try_get("id")?),
                payload: row.try_get("payload")?,
                state: JobState::from_key(&state).unwrap_or(JobState::Dead),
                attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                due: time(row.try_get("due")?),
                worker: row.try_get("worker")?,
                lease_until: row.try_get::<Option<i64>, _>("lease_until")?.map(time),
                last_error: row.try_get("last_error")?,
                created_at: time(row.try_get("created_at")?),
            })
        }

        async fn read_entry(
            conn: &mut <$db as sqlx::Database>::Connection,
            scope: &Scope,
            reference: &str,
        ) -> Result<Option<LedgerEntry>, sqlx::Error> {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM ledger \
                 WHERE moment_company = $1 AND dkplus_company = $2 AND reference = $3"
            );
            sqlx::query(&sql)
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(reference)
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(entry_of)
                .transpose()
        }

        async fn write_entry(
            conn: &mut <$db as sqlx::Database>::Connection,
            scope: &Scope,
            entry: &LedgerEntry,
        ) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO ledger (moment_company, dkplus_company, reference, moment_id, state, \
                 dkplus_number, owner, lease_until, posting_at, posts, last_error, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (moment_company, dkplus_company, reference) DO UPDATE SET \
                 moment_id = excluded.moment_id, state = excluded.state, \
                 dkplus_number = excluded.dkplus_number, owner = excluded.owner, \
                 lease_until = excluded.lease_until, posting_at = excluded.posting_at, \
                 posts = excluded.posts, last_error = excluded.last_error, \
                 updated_at = excluded.updated_at",
            )
            .bind(&scope.moment_company)
            .bind(&scope.dkplus_company)
            .bind(&entry.reference)
            .bind(entry.moment_id)
            .bind(entry.state.key())
            .bind(&entry.dkplus_number)
            .bind(&entry.owner)
            .bind(entry.lease_until.map(millis))
            .bind(entry.posting_at.map(millis))
            .bind(i64::from(entry.posts))
            .bind(&entry.last_error)
            .bind(millis(entry.updated_at))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        impl $store {
            /// Reads the entry of `reference` under its lock, lets `change` decide, writes what it
            /// returns and commits — one transaction.
            async fn change_entry<T>(
                &self,
                scope: &Scope,
                reference: &str,
                what: &str,
                change: impl FnOnce(Option<&LedgerEntry>) -> (T, Option<LedgerEntry>) + Send,
            ) -> Result<T, StoreError> {
                let fail = db_error(what);
                let mut tx = self.begin_write().await.map_err(&fail)?;
                Self::lock_reference(tx.conn(), scope, reference)
                    .await
                    .map_err(&fail)?;
                let entry = read_entry(tx.conn(), scope, reference)
                    .await
                    .map_err(&fail)?;
                let (answer, write) = change(entry.as_ref());
                if let Some(next) = write {
                    write_entry(tx.conn(), scope, &next).await.map_err(&fail)?;
                }
                tx.commit().await.map_err(&fail)?;
                Ok(answer)
            }

            /// Reads the time kept under `key` in a table of named times (`flags`, `notified`).
            async fn named_time(
                &self,
                table: NamedTimes,
                scope: &Scope,
                key: &str,
            ) -> Result<Option<DateTime<Utc>>, StoreError> {
                let mut conn = self.read().await?;
                let sql = format!(
                    "SELECT at FROM {} WHERE moment_company = $1 AND dkplus_company = $2 AND {} = $3",
                    table.table, table.key
                );
                let at: Option<i64> = sqlx::query_scalar(&sql)
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error(table.reading))?;
                Ok(at.map(time))
            }

            /// Keeps `at` under `key` in a table of named times, in one transaction.
            async fn set_named_time(
                &self,
                table: NamedTimes,
                scope: &Scope,
                key: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let fail = db_error(table.writing);
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let sql = format!(
                    "INSERT INTO {table} (moment_company, dkplus_company, {key}, at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (moment_company, dkplus_company, {key}) DO UPDATE SET at = excluded.at",
                    table = table.table,
                    key = table.key
                );
                sqlx::query(&sql)
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .bind(key)
                    .bind(millis(at))
                    .execute(tx.conn())
                    .await
                    .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            /// Changes a job `worker` holds, in one transaction; `false` when it does not hold it.
            async fn change_held_job(
                &self,
                id: JobId,
                worker: &str,
                state: JobState,
                due: Option<i64>,
                error: Option<&str>,
            ) -> Result<bool, StoreError> {
                let fail = db_error("updating a job");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let changed = sqlx::query(
                    "UPDATE jobs SET state = $1, due = COALESCE($2, due), \
                     last_error = COALESCE($3, last_error), worker = NULL, lease_until = NULL \
                     WHERE id = $4 AND state = 'leased' AND worker = $5",
                )
                .bind(state.key())
                .bind(due)
                .bind(error)
                .bind(id.0)
                .bind(worker)
                .execute(tx.conn())
                .await
                .map_err(&fail)?
                .rows_affected();
                tx.commit().await.map_err(&fail)?;
                Ok(changed == 1)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn migrate(&self) -> Result<(), StoreError> {
                self.run_migrations().await
            }

            async fn ledger_entry(
                &self,
                scope: &Scope,
                reference: &str,
            ) -> Result<Option<LedgerEntry>, StoreError> {
                let mut conn = self.read().await?;
                read_entry(&mut conn, scope, reference)
                    .await
                    .map_err(db_error("reading the ledger"))
            }

            async fn claim(
                &self,
                scope: &Scope,
                request: &ClaimRequest<'_>,
            ) -> Result<Claim, StoreError> {
                self.change_entry(scope, request.reference, "claiming an invoice", |entry| {
                    protocol::claim(entry, request)
                })
                .await
            }

            async fn start_post(
                &self,
                scope: &Scope,
                reference: &str,
                owner: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
            ) -> Result<bool, StoreError> {
                self.change_entry(scope, reference, "recording a post", |entry| {
                    match entry.map(|e| protocol::start_post(e, owner, now, lease)) {
                        Some(Ok(next)) => (true, Some(next)),
                        _ => (false, None),
                    }
                })
                .await
            }

            async fn settle(
                &self,
                scope: &Scope,
                reference: &str,
                owner: &str,
                now: DateTime<Utc>,
                settlement: &Settlement,
            ) -> Result<bool, StoreError> {
                self.change_entry(scope, reference, "recording an invoice's outcome", |entry| {
                    match entry.map(|e| protocol::settle(e, owner, now, settlement)) {
                        Some(Ok(next)) => (true, Some(next)),
                        _ => (false, None),
                    }
                })
                .await
            }

            async fn confirm_not_posted(
                &self,
                scope: &Scope,
                reference: &str,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                self.change_entry(scope, reference, "releasing an unclear post", |entry| {
                    match entry.and_then(|e| protocol::confirm_not_posted(e, now)) {
                        Some(next) => (true, Some(next)),
                        None => (false, None),
                    }
                })
                .await
            }

            async fn seed_ledger(
                &self,
                scope: &Scope,
                invoices: &[(String, Option<String>)],
                now: DateTime<Utc>,
                seeding: protocol::Seeding,
            ) -> Result<usize, StoreError> {
                let fail = db_error("seeding the ledger");
                let mut new = 0;
                // In reference order, each once: two processes seeding at once take the
                // references' locks in the same order, so neither waits on the other forever.
                let mut invoices: Vec<&(String, Option<String>)> = invoices.iter().collect();
                invoices.sort_by(|a, b| a.0.cmp(&b.0));
                invoices.dedup_by(|a, b| a.0 == b.0);
                // In chunks: one transaction per chunk keeps other processes' claims flowing.
                for chunk in invoices.chunks(200) {
                    let mut tx = self.begin_write().await.map_err(&fail)?;
                    for &(reference, number) in chunk {
                        Self::lock_reference(tx.conn(), scope, reference)
                            .await
                            .map_err(&fail)?;
                        let entry = read_entry(tx.conn(), scope, reference)
                            .await
                            .map_err(&fail)?;
                        if let Some(next) =
                            seeding.apply(entry.as_ref(), reference, number.as_deref(), now)
                        {
                            write_entry(tx.conn(), scope, &next).await.map_err(&fail)?;
                            new += 1;
                        }
                    }
                    tx.commit().await.map_err(&fail)?;
                }
                Ok(new)
            }

            async fn ledger(&self, scope: &Scope) -> Result<Vec<LedgerEntry>, StoreError> {
                let fail = db_error("reading the ledger");
                let mut conn = self.read().await?;
                let sql = format!(
                    "SELECT {ENTRY_COLUMNS} FROM ledger \
                     WHERE moment_company = $1 AND dkplus_company = $2 ORDER BY reference"
                );
                let rows = sqlx::query(&sql)
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(&fail)?;
                rows.iter().map(entry_of).collect::<Result<_, _>>().map_err(&fail)
            }

            async fn flag(
                &self,
                scope: &Scope,
                name: &str,
            ) -> Result<Option<DateTime<Utc>>, StoreError> {
                self.named_time(FLAGS, scope, name).await
            }

            async fn set_flag(
                &self,
                scope: &Scope,
                name: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                self.set_named_time(FLAGS, scope, name, at).await
            }

            async fn object_state(
                &self,
                scope: &Scope,
                kind: $crate::sync::ObjectKind,
                moment_id: i64,
            ) -> Result<Option<ObjectState>, StoreError> {
                let fail = db_error("reading an object's state");
                let mut conn = self.read().await?;
                let row = sqlx::query(
                    "SELECT dkplus_key, last_status, fingerprint, last_error, next_attempt_at, \
                     updated_at FROM objects WHERE moment_company = $1 AND dkplus_company = $2 \
                     AND kind = $3 AND moment_id = $4",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(kind.to_string())
                .bind(moment_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(&fail)?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let read = || -> Result<ObjectState, sqlx::Error> {
                    Ok(ObjectState {
                        kind,
                        moment_id,
                        dkplus_key: row.try_get("dkplus_key")?,
                        last_status: row.try_get("last_status")?,
                        fingerprint: row.try_get("fingerprint")?,
                        last_error: row.try_get("last_error")?,
                        next_attempt_at: row
                            .try_get::<Option<i64>, _>("next_attempt_at")?
                            .map(time),
                        updated_at: time(row.try_get("updated_at")?),
                    })
                };
                read().map(Some).map_err(&fail)
            }

            async fn record_object(
                &self,
                scope: &Scope,
                object: &ObjectState,
            ) -> Result<(), StoreError> {
                let fail = db_error("recording an object's state");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                sqlx::query(
                    "INSERT INTO objects (moment_company, dkplus_company, kind, moment_id, \
                     dkplus_key, last_status, fingerprint, last_error, next_attempt_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (moment_company, dkplus_company, kind, moment_id) DO UPDATE SET \
                     dkplus_key = excluded.dkplus_key, last_status = excluded.last_status, \
                     fingerprint = excluded.fingerprint, last_error = excluded.last_error, \
                     next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(object.kind.to_string())
                .bind(object.moment_id)
                .bind(&object.dkplus_key)
                .bind(&object.last_status)
                .bind(&object.fingerprint)
                .bind(&object.last_error)
                .bind(object.next_attempt_at.map(millis))
                .bind(millis(object.updated_at))
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn due_objects(
                &self,
                scope: &Scope,
                now: DateTime<Utc>,
            ) -> Result<Vec<ObjectState>, StoreError> {
                let fail = db_error("reading the objects due for another attempt");
                let mut conn = self.read().await?;
                let rows = sqlx::query(
                    "SELECT kind, moment_id, dkplus_key, last_status, fingerprint, last_error, \
                     next_attempt_at, updated_at FROM objects WHERE moment_company = $1 \
                     AND dkplus_company = $2 AND next_attempt_at IS NOT NULL \
                     AND next_attempt_at <= $3 ORDER BY next_attempt_at, kind, moment_id",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(millis(now))
                .fetch_all(&mut *conn)
                .await
                .map_err(&fail)?;
                let mut due = Vec::new();
                for row in &rows {
                    due.extend(object_of(row).map_err(&fail)?);
                }
                Ok(due)
            }

            async fn cursor(&self, scope: &Scope) -> Result<Option<DateTime<Utc>>, StoreError> {
                let mut conn = self.read().await?;
                let at: Option<i64> = sqlx::query_scalar(
                    "SELECT at FROM cursors WHERE moment_company = $1 AND dkplus_company = $2",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("reading the backfill cursor"))?;
                Ok(at.map(time))
            }

            async fn set_cursor(
                &self,
                scope: &Scope,
                at: DateTime<Utc>,
                only_forward: bool,
            ) -> Result<(), StoreError> {
                let fail = db_error("moving the backfill cursor");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let sql = if only_forward {
                    "INSERT INTO cursors (moment_company, dkplus_company, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (moment_company, dkplus_company) DO UPDATE SET at = excluded.at \
                     WHERE cursors.at < excluded.at"
                } else {
                    "INSERT INTO cursors (moment_company, dkplus_company, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (moment_company, dkplus_company) DO UPDATE SET at = excluded.at"
                };
                sqlx::query(sql)
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .bind(millis(at))
                    .execute(tx.conn())
                    .await
                    .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn enqueue(
                &self,
                scope: &Scope,
                payload: &str,
                now: DateTime<Utc>,
            ) -> Result<JobId, StoreError> {
                let fail = db_error("storing a job");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO jobs (moment_company, dkplus_company, payload, state, attempts, \
                     due, created_at) VALUES ($1, $2, $3, 'queued', 0, $4, $4) RETURNING id",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(payload)
                .bind(millis(now))
                .fetch_one(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)?;
                Ok(JobId(id))
            }

            async fn lease(
                &self,
                scope: &Scope,
                worker: &str,
                now: DateTime<Utc>,
                lease: std::time::Duration,
            ) -> Result<Option<Job>, StoreError> {
                let fail = db_error("leasing a job");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let id: Option<i64> = sqlx::query_scalar(Self::LEASE_SQL)
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .bind(millis(now))
                    .fetch_optional(tx.conn())
                    .await
                    .map_err(&fail)?;
                let Some(id) = id else {
                    tx.commit().await.map_err(&fail)?;
                    return Ok(None);
                };
                let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                let row = sqlx::query(
                    "UPDATE jobs SET state = 'leased', attempts = attempts + 1, worker = $1, \
                     lease_until = $2 WHERE id = $3 RETURNING id, payload, state, attempts, due, \
                     worker, lease_until, last_error, created_at",
                )
                .bind(worker)
                .bind(millis(until))
                .bind(id)
                .fetch_one(tx.conn())
                .await
                .map_err(&fail)?;
                let job = job_of(&row).map_err(&fail)?;
                tx.commit().await.map_err(&fail)?;
                Ok(Some(job))
            }

            async fn complete(
                &self,
                id: JobId,
                worker: &str,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                self.change_held_job(id, worker, JobState::Done, Some(millis(now)), None)
                    .await
            }

            async fn retry_job(
                &self,
                id: JobId,
                worker: &str,
                due: DateTime<Utc>,
                error: &str,
            ) -> Result<bool, StoreError> {
                self.change_held_job(id, worker, JobState::Queued, Some(millis(due)), Some(error))
                    .await
            }

            async fn dead_letter(
                &self,
                id: JobId,
                worker: &str,
                error: &str,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                self.change_held_job(id, worker, JobState::Dead, Some(millis(now)), Some(error))
                    .await
            }

            async fn jobs(&self, scope: &Scope, state: JobState) -> Result<Vec<Job>, StoreError> {
                let fail = db_error("reading jobs");
                let mut conn = self.read().await?;
                let rows = sqlx::query(
                    "SELECT id, payload, state, attempts, due, worker, lease_until, last_error, \
                     created_at FROM jobs WHERE moment_company = $1 AND dkplus_company = $2 \
                     AND state = $3 ORDER BY created_at, id",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(state.key())
                .fetch_all(&mut *conn)
                .await
                .map_err(&fail)?;
                rows.iter().map(job_of).collect::<Result<_, _>>().map_err(&fail)
            }

            async fn prune_jobs(
                &self,
                scope: &Scope,
                before: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let fail = db_error("deleting handled jobs");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let deleted = sqlx::query(
                    "DELETE FROM jobs WHERE moment_company = $1 AND dkplus_company = $2 \
                     AND state = 'done' AND due < $3",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(millis(before))
                .execute(tx.conn())
                .await
                .map_err(&fail)?
                .rows_affected();
                tx.commit().await.map_err(&fail)?;
                Ok(deleted)
            }

            async fn notified(
                &self,
                scope: &Scope,
                key: &str,
            ) -> Result<Option<DateTime<Utc>>, StoreError> {
                self.named_time(NOTIFIED, scope, key).await
            }

            async fn claim_notified(
                &self,
                scope: &Scope,
                key: &str,
                at: DateTime<Utc>,
                unless_since: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let fail = db_error(NOTIFIED.writing);
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let claimed = sqlx::query(
                    "INSERT INTO notified (moment_company, dkplus_company, key, at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (moment_company, dkplus_company, key) \
                     DO UPDATE SET at = excluded.at WHERE notified.at < $5",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(key)
                .bind(millis(at))
                .bind(millis(unless_since))
                .execute(tx.conn())
                .await
                .map_err(&fail)?
                .rows_affected();
                tx.commit().await.map_err(&fail)?;
                Ok(claimed == 1)
            }

            async fn forget_notified(&self, scope: &Scope, key: &str) -> Result<(), StoreError> {
                let fail = db_error(NOTIFIED.writing);
                let mut tx = self.begin_write().await.map_err(&fail)?;
                sqlx::query(
                    "DELETE FROM notified WHERE moment_company = $1 AND dkplus_company = $2 \
                     AND key = $3",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(key)
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn notified_keys(
                &self,
                scope: &Scope,
                prefix: &str,
            ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
                let mut conn = self.read().await?;
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT key, at FROM notified WHERE moment_company = $1 \
                     AND dkplus_company = $2 AND substr(key, 1, length($3)) = $3 ORDER BY key",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(prefix)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_error(NOTIFIED.reading))?;
                Ok(rows.into_iter().map(|(key, at)| (key, time(at))).collect())
            }

            async fn dkplus_fact(
                &self,
                scope: &Scope,
                key: &str,
            ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
                let mut conn = self.read().await?;
                let row: Option<(String, i64)> = sqlx::query_as(
                    "SELECT value, at FROM dkplus_facts \
                     WHERE moment_company = $1 AND dkplus_company = $2 AND key = $3",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("reading what DK+ holds"))?;
                Ok(row.map(|(value, at)| (value, time(at))))
            }

            async fn set_dkplus_fact(
                &self,
                scope: &Scope,
                key: &str,
                value: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let fail = db_error("noting what DK+ holds");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                sqlx::query(
                    "INSERT INTO dkplus_facts (moment_company, dkplus_company, key, value, at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (moment_company, dkplus_company, key) \
                     DO UPDATE SET value = excluded.value, at = excluded.at",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(key)
                .bind(value)
                .bind(millis(at))
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn mark_notified(
                &self,
                scope: &Scope,
                key: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                self.set_named_time(NOTIFIED, scope, key, at).await
            }

            async fn objects(&self, scope: &Scope) -> Result<Vec<ObjectState>, StoreError> {
                let fail = db_error("reading the objects' states");
                let mut conn = self.read().await?;
                let rows = sqlx::query(
                    "SELECT kind, moment_id, dkplus_key, last_status, fingerprint, last_error, \
                     next_attempt_at, updated_at FROM objects WHERE moment_company = $1 \
                     AND dkplus_company = $2 ORDER BY updated_at DESC, kind, moment_id",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .fetch_all(&mut *conn)
                .await
                .map_err(&fail)?;
                let mut objects = Vec::with_capacity(rows.len());
                for row in &rows {
                    objects.extend(object_of(row).map_err(&fail)?);
                }
                Ok(objects)
            }

            async fn requeue_dead(
                &self,
                scope: &Scope,
                id: JobId,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let fail = db_error("handing a set-aside job out again");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                let changed = sqlx::query(
                    "UPDATE jobs SET state = 'queued', attempts = 0, due = $1, worker = NULL, \
                     lease_until = NULL WHERE id = $2 AND moment_company = $3 \
                     AND dkplus_company = $4 AND state = 'dead'",
                )
                .bind(millis(now))
                .bind(id.0)
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .execute(tx.conn())
                .await
                .map_err(&fail)?
                .rows_affected();
                tx.commit().await.map_err(&fail)?;
                Ok(changed == 1)
            }

            async fn record_run(&self, scope: &Scope, run: &RunRecord) -> Result<(), StoreError> {
                let fail = db_error("recording a run");
                let record = serde_json::to_string(run)
                    .map_err(|e| StoreError::new(format!("recording a run: {e}")))?;
                let mut tx = self.begin_write().await.map_err(&fail)?;
                sqlx::query(
                    "INSERT INTO runs (moment_company, dkplus_company, started_at, record) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(millis(run.started_at))
                .bind(&record)
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                sqlx::query(
                    "DELETE FROM runs WHERE moment_company = $1 AND dkplus_company = $2 \
                     AND started_at < $3",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(millis(run.finished_at - RUNS_KEPT))
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn recent_runs(
                &self,
                scope: &Scope,
                limit: u32,
            ) -> Result<Vec<RunRecord>, StoreError> {
                let fail = db_error("reading the recent runs");
                let mut conn = self.read().await?;
                let records: Vec<String> = sqlx::query_scalar(
                    "SELECT record FROM runs WHERE moment_company = $1 AND dkplus_company = $2 \
                     ORDER BY started_at DESC, id DESC LIMIT $3",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(&fail)?;
                // A record this build cannot read (written by a newer one) is left out.
                Ok(records
                    .iter()
                    .filter_map(|r| serde_json::from_str(r).ok())
                    .collect())
            }

            async fn add_digest_item(
                &self,
                scope: &Scope,
                item: &DigestItem,
            ) -> Result<(), StoreError> {
                let fail = db_error("noting a warning for the digest");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                sqlx::query(
                    "INSERT INTO alert_digest (moment_company, dkplus_company, key, text, at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (moment_company, dkplus_company, key) DO NOTHING",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .bind(&item.key)
                .bind(&item.text)
                .bind(millis(item.at))
                .execute(tx.conn())
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)
            }

            async fn digest_items(&self, scope: &Scope) -> Result<Vec<DigestItem>, StoreError> {
                let fail = db_error("reading the digest");
                let mut conn = self.read().await?;
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT key, text, at FROM alert_digest WHERE moment_company = $1 \
                     AND dkplus_company = $2 ORDER BY at, key",
                )
                .bind(&scope.moment_company)
                .bind(&scope.dkplus_company)
                .fetch_all(&mut *conn)
                .await
                .map_err(&fail)?;
                Ok(rows
                    .into_iter()
                    .map(|(key, text, at)| DigestItem {
                        key,
                        text,
                        at: time(at),
                    })
                    .collect())
            }

            async fn clear_digest(&self, scope: &Scope, keys: &[String]) -> Result<(), StoreError> {
                let fail = db_error("clearing the digest");
                let mut tx = self.begin_write().await.map_err(&fail)?;
                for key in keys {
                    sqlx::query(
                        "DELETE FROM alert_digest WHERE moment_company = $1 \
                         AND dkplus_company = $2 AND key = $3",
                    )
                    .bind(&scope.moment_company)
                    .bind(&scope.dkplus_company)
                    .bind(key)
                    .execute(tx.conn())
                    .await
                    .map_err(&fail)?;
                }
                tx.commit().await.map_err(&fail)
            }
        }
    };
}
pub(super) use sql_store;
