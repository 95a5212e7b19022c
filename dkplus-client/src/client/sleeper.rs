//! How the client waits between retries and for the request throttle. Tests swap in a sleeper that
//! records the delays instead of waiting them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Something that waits. The default uses `tokio::time::sleep`.
pub trait Sleeper: fmt::Debug + Send + Sync + 'static {
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Waits with `tokio::time::sleep` (and so follows tokio's paused clock in tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}
