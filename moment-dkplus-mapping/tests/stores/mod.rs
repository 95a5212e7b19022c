//! The three stores the tests run against: in memory, a SQLite file, and PostgreSQL.
//!
//! PostgreSQL is real: `TEST_POSTGRES_URL` names a database (`bash .ci/test` starts a throw-away
//! server and sets it). Without it the PostgreSQL tests fail — they never pass by skipping.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use moment_dkplus_mapping::store::{self, MemoryStore, Scope, Store};

/// A store kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
}

pub const ALL: [Kind; 3] = [Kind::Memory, Kind::Sqlite, Kind::Postgres];

/// The PostgreSQL database of the tests.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_POSTGRES_URL is not set: the PostgreSQL store tests need a real server. \
             Run the tests with `bash .ci/test`, which starts one, or set TEST_POSTGRES_URL to \
             a database you may write to (e.g. postgres://me@127.0.0.1:5432/test)"
        )
    })
}

fn counter() -> u32 {
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A scope no other test uses (the PostgreSQL database is shared by every test).
pub fn unique_scope(test: &str) -> Scope {
    Scope::new(
        format!("{test}-{}-{}", std::process::id(), counter()),
        "dk-test",
    )
}

/// A SQLite file that is removed with the value.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(test: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "moment-dkplus-{test}-{}-{}.db",
            std::process::id(),
            counter()
        ));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    pub fn url(&self) -> String {
        format!("sqlite:{}", self.0.display())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// An open, prepared store of `kind`, with the file to keep alive for SQLite.
pub async fn open(kind: Kind, test: &str) -> (Arc<dyn Store>, Option<TempFile>) {
    match kind {
        Kind::Memory => (Arc::new(MemoryStore::new()), None),
        Kind::Sqlite => {
            let file = TempFile::new(test);
            let store = store::open(&file.url())
                .await
                .expect("the SQLite store opens");
            (store, Some(file))
        }
        Kind::Postgres => {
            let store = store::open(&postgres_url())
                .await
                .expect("the PostgreSQL store opens");
            (store, None)
        }
    }
}
