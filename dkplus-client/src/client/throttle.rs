//! An optional minimum interval between requests. DK+ publishes no rate limits, so the client can
//! be told to space its requests out (off by default).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out request slots at least `interval` apart, across all clones of a client.
#[derive(Debug)]
pub(crate) struct Throttle {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Throttle {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Reserves the next slot and returns how long to wait for it.
    pub(crate) fn reserve(&self) -> Duration {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-reservation; the slot value is
        // still a plain instant, so keep using it.
        let mut next = self
            .next_slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = match *next {
            Some(slot) if slot > now => slot,
            _ => now,
        };
        *next = Some(start + self.interval);
        start - now
    }

    pub(crate) async fn wait(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_interval() {
        let throttle = Throttle::new(Duration::from_millis(250));
        assert_eq!(throttle.reserve(), Duration::ZERO);
        assert_eq!(throttle.reserve(), Duration::from_millis(250));
        assert_eq!(throttle.reserve(), Duration::from_millis(500));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(throttle.reserve(), Duration::ZERO);
    }
}
