//! [`SqliteStore`]: the store in one SQLite file — the embedded default: nothing to install,
//! several processes on one machine may share the file.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::sql::sql_store;

/// How long a process waits for another's write lock before the store call fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often preparing the tables is tried when processes start at the same time.
const MIGRATION_ATTEMPTS: u32 = 5;

/// The store in a SQLite file (created when missing; write-ahead log, so readers do not wait for
/// writers). Every change is one `BEGIN IMMEDIATE` transaction.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (or creates) the file a `sqlite:` URL names, e.g. `sqlite:sync-state.db`. Call
    /// [`Store::migrate`](super::Store::migrate) (or use [`super::open`]) before use.
    ///
    /// # Errors
    /// [`StoreError`](super::StoreError) when the file cannot be opened or created.
    pub async fn connect(url: &str) -> Result<Self, super::StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| super::StoreError::new(format!("the SQLite URL is not valid: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| super::StoreError::new(format!("cannot open the SQLite store: {e}")))?;
        Ok(Self { pool })
    }

    /// Creates or migrates the tables. SQLite has no lock to hold across the migrator's own
    /// transactions, so when processes start together one of them may try a migration another
    /// has just applied; each migration is one transaction (it rolled back), and the next try
    /// finds it applied.
    async fn run_migrations(&self) -> Result<(), super::StoreError> {
        let migrator = sqlx::migrate!("./migrations/sqlite");
        let mut attempt = 1;
        loop {
            match migrator.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < MIGRATION_ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "migrating the SQLite store again");
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(super::StoreError::new(format!(
                        "cannot prepare the SQLite store: {e}"
                    )));
                }
            }
        }
    }

    async fn read(&self) -> Result<PoolConnection<Sqlite>, super::StoreError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| super::StoreError::new(format!("cannot reach the SQLite store: {e}")))
    }

    /// A write transaction holding the database's write lock from its first statement, so a
    /// read followed by a write cannot be overtaken by another process's write.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// The write lock already serialises every write transaction.
    async fn lock_reference(
        _conn: &mut SqliteConnection,
        _scope: &super::Scope,
        _reference: &str,
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// The oldest due job: queued and due, or leased with its lease run out.
    const LEASE_SQL: &'static str = "SELECT id FROM jobs WHERE moment_company = $1 \
        AND dkplus_company = $2 AND ((state = 'queued' AND due <= $3) \
        OR (state = 'leased' AND lease_until <= $3)) ORDER BY due, id LIMIT 1";
}

sql_store!(SqliteStore, Sqlite, SqliteRow);
