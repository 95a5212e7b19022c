//! [`Spool`]: webhook bodies on disk, stored durably before Moment gets its answer.
//!
//! Layout under the spool directory:
//! - `incoming/`: a body being written; a file left here by a crash was never acknowledged
//!   and is removed when the spool opens;
//! - `pending/`: acknowledged bodies not yet handled, one file each, named so that the name
//!   order is the arrival order;
//! - `rejected/`: bodies that turned out unreadable, kept for a person to look at.
//!
//! A body is written to `incoming/`, flushed to disk, then renamed into `pending/` (a rename
//! within one file system is atomic), and the directory is flushed too. Only then is the
//! request answered, so an acknowledged event survives a crash or a power cut.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The name of one stored body (its file name in `pending/`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(String);

impl EntryId {
    /// The file name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A directory of webhook bodies waiting to be handled. One process per directory.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    sequence: AtomicU64,
}

const INCOMING: &str = "incoming";
const PENDING: &str = "pending";
const REJECTED: &str = "rejected";
const SUFFIX: &str = ".json";

impl Spool {
    /// Opens (creating when needed) the spool at `dir` and removes bodies whose writing was
    /// interrupted (they were never acknowledged).
    pub fn open(dir: impl AsRef<Path>) -> io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        for sub in [INCOMING, PENDING, REJECTED] {
            fs::create_dir_all(dir.join(sub))?;
        }
        for entry in fs::read_dir(dir.join(INCOMING))? {
            fs::remove_file(entry?.path())?;
        }
        Ok(Self {
            dir,
            sequence: AtomicU64::new(0),
        })
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `body` durably and returns its id. When this returns `Ok`, the body survives a
    /// crash; when it returns `Err`, the event must not be acknowledged.
    pub fn store(&self, body: &[u8]) -> io::Result<EntryId> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let name = format!("{nanos:024}-{sequence:010}{SUFFIX}");
        let incoming = self.dir.join(INCOMING).join(&name);
        let result = (|| {
            let mut file = File::create(&incoming)?;
            file.write_all(body)?;
            file.sync_all()?;
            fs::rename(&incoming, self.dir.join(PENDING).join(&name))?;
            sync_dir(&self.dir.join(PENDING))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&incoming);
        }
        result.map(|()| EntryId(name))
    }

    /// The stored bodies not yet handled, oldest first.
    pub fn pending(&self) -> io::Result<Vec<EntryId>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(self.dir.join(PENDING))? {
            let name = entry?.file_name();
            if let Some(name) = name.to_str().filter(|n| n.ends_with(SUFFIX)) {
                ids.push(EntryId(name.to_owned()));
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The body stored under `id`.
    pub fn read(&self, id: &EntryId) -> io::Result<Vec<u8>> {
        fs::read(self.dir.join(PENDING).join(&id.0))
    }

    /// Removes a handled body.
    pub fn complete(&self, id: &EntryId) -> io::Result<()> {
        fs::remove_file(self.dir.join(PENDING).join(&id.0))?;
        sync_dir(&self.dir.join(PENDING))
    }

    /// Moves an unreadable body to `rejected/`.
    pub fn reject(&self, id: &EntryId) -> io::Result<()> {
        fs::rename(
            self.dir.join(PENDING).join(&id.0),
            self.dir.join(REJECTED).join(&id.0),
        )?;
        sync_dir(&self.dir.join(PENDING))
    }
}

/// Flushes a directory's entries (the rename or removal of a file in it) to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("moment-dkplus-spool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn stored_bodies_survive_reopening_in_arrival_order() {
        let dir = temp_dir("reopen");
        let spool = Spool::open(&dir).unwrap();
        let first = spool.store(b"{\"n\":1}").unwrap();
        let second = spool.store(b"{\"n\":2}").unwrap();
        drop(spool);

        let spool = Spool::open(&dir).unwrap();
        assert_eq!(spool.pending().unwrap(), [first.clone(), second.clone()]);
        assert_eq!(spool.read(&first).unwrap(), b"{\"n\":1}");
        spool.complete(&first).unwrap();
        spool.reject(&second).unwrap();
        assert!(spool.pending().unwrap().is_empty());
        assert!(dir.join(REJECTED).join(second.as_str()).exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn interrupted_writes_are_dropped_on_open() {
        let dir = temp_dir("interrupted");
        let spool = Spool::open(&dir).unwrap();
        fs::write(dir.join(INCOMING).join("half-written.json"), b"{\"ev").unwrap();
        drop(spool);
        let spool = Spool::open(&dir).unwrap();
        assert!(spool.pending().unwrap().is_empty());
        assert_eq!(fs::read_dir(dir.join(INCOMING)).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_store_that_cannot_write_reports_an_error() {
        let dir = temp_dir("unwritable");
        let spool = Spool::open(&dir).unwrap();
        fs::remove_dir_all(dir.join(PENDING)).unwrap();
        assert!(spool.store(b"{}").is_err());
        assert_eq!(fs::read_dir(dir.join(INCOMING)).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
