//! Per-run caches: each key is looked up once, even when many tasks ask at the same time.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// How many finished values a [`SingleFlight`] keeps before it forgets them, so a backfill of
/// a hundred thousand customers runs in flat memory. A forgotten value is simply looked up again.
pub(crate) const CACHE_CAPACITY: usize = 4096;

/// A map of lazily computed values. Concurrent callers for the same key wait for one
/// computation; a failed computation is not kept, so the next caller tries again. At most
/// [`CACHE_CAPACITY`] finished values are kept; computations under way are never dropped.
pub(crate) struct SingleFlight<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
    capacity: usize,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self::with_capacity(CACHE_CAPACITY)
    }
}

impl<K, V> SingleFlight<K, V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

/// Makes room for one more entry: when full, forgets every finished value (cells still being
/// computed, or waited for, stay).
fn make_room<K, V>(cells: &mut HashMap<K, Arc<OnceCell<V>>>, capacity: usize) {
    if cells.len() >= capacity {
        cells.retain(|_, cell| !cell.initialized() || Arc::strong_count(cell) > 1);
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    pub(crate) async fn get_or_try_init<E, F, Fut>(&self, key: &K, init: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            if !cells.contains_key(key) {
                make_room(&mut cells, self.capacity);
            }
            cells.entry(key.clone()).or_default().clone()
        };
        cell.get_or_try_init(init).await.cloned()
    }

    /// Stores a value computed elsewhere (e.g. an object that came with a listing).
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if !cells.contains_key(&key) {
            make_room(&mut cells, self.capacity);
        }
        let cell = cells.entry(key).or_default();
        let _ = cell.set(value);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cells.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Per-key async locks that live as long as someone holds or waits for them.
#[derive(Default)]
pub(crate) struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

pub(crate) struct KeyGuard<'a> {
    owner: &'a KeyedLocks,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    pub(crate) async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(key.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        KeyGuard {
            owner: self,
            key: key.to_owned(),
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn single_flight_runs_once_per_key_and_forgets_errors() {
        let flight: SingleFlight<u32, u32> = SingleFlight::default();
        let calls = AtomicUsize::new(0);
        let run = |v: u32| {
            let calls = &calls;
            let flight = &flight;
            async move {
                flight
                    .get_or_try_init(&1, || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>(v)
                    })
                    .await
            }
        };
        let (a, b) = tokio::join!(run(10), run(20));
        assert_eq!(a, b);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let failed: Result<u32, &str> = flight.get_or_try_init(&2, || async { Err("down") }).await;
        assert_eq!(failed, Err("down"));
        let ok: Result<u32, &str> = flight.get_or_try_init(&2, || async { Ok(5) }).await;
        assert_eq!(ok, Ok(5), "a failure is not cached");
    }

    #[tokio::test]
    async fn single_flight_stays_bounded() {
        let flight: SingleFlight<u32, u32> = SingleFlight::with_capacity(8);
        for key in 0..1000 {
            let v: Result<u32, ()> = flight
                .get_or_try_init(&key, || async move { Ok(key * 2) })
                .await;
            assert_eq!(v, Ok(key * 2));
            flight.insert(key + 10_000, key);
            assert!(flight.len() <= 8, "{}", flight.len());
        }
        // A forgotten value is computed again, correctly.
        let v: Result<u32, ()> = flight.get_or_try_init(&0, || async { Ok(0) }).await;
        assert_eq!(v, Ok(0));
    }

    #[tokio::test]
    async fn keyed_locks_serialize_one_key_and_clean_up() {
        let locks = KeyedLocks::default();
        let first = locks.lock("1042").await;
        let other = locks.lock("1043").await; // another key does not wait
        assert_eq!(locks.len(), 2);
        let waiting =
            tokio::time::timeout(std::time::Duration::from_millis(20), locks.lock("1042")).await;
        assert!(waiting.is_err(), "same key waits");
        drop(first);
        drop(other);
        assert_eq!(locks.len(), 0);
        let _again = locks.lock("1042").await;
    }
}
