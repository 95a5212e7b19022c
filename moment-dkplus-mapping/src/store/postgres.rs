//! [`PostgresStore`]: the store in a PostgreSQL database — for several processes and replicas.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Transaction};

use super::sql::sql_store;

/// The store in PostgreSQL. A ledger reference is held for the length of a transaction by an
/// advisory lock, so two processes cannot both find it missing; jobs are leased with
/// `FOR UPDATE SKIP LOCKED`, so one job goes to one worker.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names (TLS with rustls when the URL asks
    /// for it, e.g. `?sslmode=require`). Call [`Store::migrate`](super::Store::migrate) (or use
    /// [`super::open`]) before use.
    ///
    /// # Errors
    /// [`StoreError`](super::StoreError) when the database cannot be reached; its text never holds the URL.
    pub async fn connect(url: &str) -> Result<Self, super::StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| {
                super::StoreError::new(format!("cannot reach the PostgreSQL store: {e}"))
            })?;
        Ok(Self { pool })
    }

    async fn run_migrations(&self) -> Result<(), super::StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| {
                super::StoreError::new(format!("cannot prepare the PostgreSQL store: {e}"))
            })
    }

    async fn read(&self) -> Result<PoolConnection<Postgres>, super::StoreError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| super::StoreError::new(format!("cannot reach the PostgreSQL store: {e}")))
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Holds `reference` of `scope` until the transaction ends (a transaction-scoped advisory
    /// lock on a hash of the three keys).
    async fn lock_reference(
        conn: &mut PgConnection,
        scope: &super::Scope,
        reference: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2 || chr(31) || $3, 0))")
            .bind(&scope.moment_company)
            .bind(&scope.dkplus_company)
            .bind(reference)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The oldest due job, skipping jobs another transaction is leasing right now.
    const LEASE_SQL: &'static str = "SELECT id FROM jobs WHERE moment_company = $1 \
        AND dkplus_company = $2 AND ((state = 'queued' AND due <= $3) \
        OR (state = 'leased' AND lease_until <= $3)) ORDER BY due, id LIMIT 1 \
        FOR UPDATE SKIP LOCKED";
}

sql_store!(PostgresStore, Postgres, PgRow);
