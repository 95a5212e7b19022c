//! The webhook receiver's settings ([`ReceiverSettings`], from the environment). Everything
//! else is the library's ([`moment_dkplus_mapping::receiver`]): the HTTP side as an axum
//! router, the shared secret, the durable queue, its worker and the safety net.
//!
//! | variable | required | meaning |
//! |---|---|---|
//! | `WEBHOOK_SECRET` | yes | at least 16 characters (letters, digits, `-`, `_`, `.`) |
//! | `WEBHOOK_SECRET_HEADER` | no | the header that may carry the secret (default `X-Webhook-Secret`) |
//! | `WEBHOOK_LISTEN` | no | address to listen on (default `127.0.0.1:8080`) |
//! | `WEBHOOK_MAX_BODY_BYTES` | no | largest body accepted (default 65536) |
//! | `WEBHOOK_MAX_ATTEMPTS` | no | attempts before an event is given up and kept for a person (1 to 100, default 10) |
//! | `WEBHOOK_RETRY_SECONDS` | no | the wait before an event that could not be handled yet is tried again, doubling up to 15 minutes (1 to 900, default 30) |
//! | `WEBHOOK_LEASE_SECONDS` | no | how long a receiver holds an event before another may take it over after a crash (10 to 3600, default 600; at least twice the claim lease) |
//! | `WEBHOOK_BACKFILL_MINUTES` | no | minutes between safety-net catch-ups (default 60, `0` turns it off) |
//! | `ADMIN_SECRET` | no | turns the status page on (`/status`): the secret an operator signs in with (at least 16 characters) |
//! | `SHUTDOWN_GRACE_SECONDS` | no | how long a stop waits for requests and the event under way (0 to 60, default 8) |
//! | `PAYMENTS_TO_MOMENT` | no | `on` registers in Moment what DK+ shows as paid (default `off`: Moment's payment API names are assumed) |
//! | `PAYMENTS_EVERY_HOURS` | no | hours between payment syncs (1 to 168, default 24) |
//!
//! Received events wait in the store (`STORE_URL`, see [`Setup`](crate::setup::Setup)).

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderName;
use moment_dkplus_mapping::receiver::{QueueSettings, RetrySchedule};

use crate::setup::SetupError;
use moment_dkplus_mapping::receiver::SharedSecret;

/// The default header that may carry the secret.
pub const DEFAULT_SECRET_HEADER: &str = "x-webhook-secret";

/// The receiver's own settings (the clients and the configuration come from
/// [`Setup`](crate::setup::Setup)).
#[derive(Clone, Debug)]
pub struct ReceiverSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The secret every request must carry.
    pub secret: SharedSecret,
    /// The header that may carry it.
    pub secret_header: HeaderName,
    /// The largest body accepted.
    pub max_body_bytes: usize,
    /// How the queue retries, gives up and leases.
    pub queue: QueueSettings,
    /// Time between safety-net backfills; `None` when turned off.
    pub backfill_every: Option<Duration>,
    /// The status page's sign-in secret; `None` leaves the page off.
    pub admin_secret: Option<SharedSecret>,
    /// How long a stop waits for requests and the event under way.
    pub shutdown_grace: Duration,
    /// Time between payment syncs to Moment; `None` when off (the default).
    pub payments_every: Option<Duration>,
}

/// The default [`ReceiverSettings::shutdown_grace`]: under the 10 s a container runtime
/// waits before it kills.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

impl ReceiverSettings {
    /// Reads the process environment (see the module docs).
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let read = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let secret = match read("WEBHOOK_SECRET") {
            None => {
                problems.push(
                    "WEBHOOK_SECRET is not set: choose a random secret of at least 16 characters \
                     and put it in the webhook URL you give Moment (…/webhooks/moment?secret=…)"
                        .to_owned(),
                );
                None
            }
            Some(value) => match SharedSecret::new(value) {
                Ok(secret) => Some(secret),
                Err(e) => {
                    problems.push(format!("WEBHOOK_SECRET: {e}"));
                    None
                }
            },
        };
        let secret_header = match read("WEBHOOK_SECRET_HEADER") {
            None => Some(HeaderName::from_static(DEFAULT_SECRET_HEADER)),
            Some(name) => match HeaderName::try_from(name.as_str()) {
                Ok(header) => Some(header),
                Err(_) => {
                    problems.push(format!(
                        "WEBHOOK_SECRET_HEADER is {name:?}, which is not a header name"
                    ));
                    None
                }
            },
        };
        let listen = match read("WEBHOOK_LISTEN") {
            None => Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            Some(text) => match text.parse::<SocketAddr>() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    problems.push(format!(
                        "WEBHOOK_LISTEN is {text:?}: use an address and port such as 0.0.0.0:8080"
                    ));
                    None
                }
            },
        };
        let max_body_bytes = match read("WEBHOOK_MAX_BODY_BYTES") {
            None => Some(moment_client::webhook::DEFAULT_BODY_LIMIT),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1024..=16 * 1024 * 1024).contains(&n) => Some(n),
                _ => {
                    problems.push(format!(
                        "WEBHOOK_MAX_BODY_BYTES is {text:?}: use a number of bytes from 1024 to 16777216"
                    ));
                    None
                }
            },
        };
        let backfill_every = match read("WEBHOOK_BACKFILL_MINUTES") {
            None => Some(Some(Duration::from_secs(60 * 60))),
            Some(text) => match text.parse::<u64>() {
                Ok(0) => Some(None),
                Ok(n) if n <= 7 * 24 * 60 => Some(Some(Duration::from_secs(n * 60))),
                _ => {
                    problems.push(format!(
                        "WEBHOOK_BACKFILL_MINUTES is {text:?}: use whole minutes up to 10080 (a week), or 0 to turn it off"
                    ));
                    None
                }
            },
        };
        let admin_secret = read("ADMIN_SECRET").and_then(|value| match SharedSecret::new(value) {
            Ok(secret) => Some(secret),
            Err(e) => {
                problems.push(format!("ADMIN_SECRET: {e}"));
                None
            }
        });
        if admin_secret.is_some() && admin_secret == secret {
            problems.push(
                "ADMIN_SECRET is the same as WEBHOOK_SECRET, which travels in URLs and proxy logs: \
                 choose another random secret for the status page"
                    .to_owned(),
            );
        }
        let payments_on = match read("PAYMENTS_TO_MOMENT").as_deref() {
            None | Some("off" | "false" | "0" | "no") => Some(false),
            Some("on" | "true" | "1" | "yes") => Some(true),
            Some(other) => {
                problems.push(format!(
                    "PAYMENTS_TO_MOMENT is {other:?}: use on or off (off by default)"
                ));
                None
            }
        };
        let mut bounded = |name: &str, range: std::ops::RangeInclusive<u64>, what: &str| {
            read(name).and_then(|text| match text.parse::<u64>() {
                Ok(n) if range.contains(&n) => Some(Duration::from_secs(n)),
                _ => {
                    problems.push(format!(
                        "{name} is {text:?}: use {what} from {} to {}",
                        range.start(),
                        range.end()
                    ));
                    None
                }
            })
        };
        let shutdown_grace = bounded("SHUTDOWN_GRACE_SECONDS", 0..=60, "whole seconds");
        let payments_hours = bounded("PAYMENTS_EVERY_HOURS", 1..=168, "whole hours");
        let retry_first = bounded("WEBHOOK_RETRY_SECONDS", 1..=900, "whole seconds");
        let lease = bounded("WEBHOOK_LEASE_SECONDS", 10..=3600, "whole seconds");
        let max_attempts = match read("WEBHOOK_MAX_ATTEMPTS") {
            None => Some(QueueSettings::default().max_attempts),
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Some(n),
                _ => {
                    problems.push(format!(
                        "WEBHOOK_MAX_ATTEMPTS is {text:?}: use a whole number from 1 to 100"
                    ));
                    None
                }
            },
        };
        match (
            secret,
            secret_header,
            listen,
            max_body_bytes,
            max_attempts,
            backfill_every,
        ) {
            (
                Some(secret),
                Some(secret_header),
                Some(listen),
                Some(max_body_bytes),
                Some(max_attempts),
                Some(backfill_every),
            ) if problems.is_empty() => {
                let defaults = QueueSettings::default();
                Ok(Self {
                    listen,
                    secret,
                    secret_header,
                    max_body_bytes,
                    queue: QueueSettings {
                        max_attempts,
                        retry: RetrySchedule {
                            first: retry_first.unwrap_or(defaults.retry.first),
                            ..defaults.retry
                        },
                        lease: lease.unwrap_or(defaults.lease),
                        ..defaults
                    },
                    backfill_every,
                    admin_secret,
                    shutdown_grace: shutdown_grace.unwrap_or(DEFAULT_SHUTDOWN_GRACE),
                    // `bounded` read the hours as seconds.
                    payments_every: (payments_on == Some(true)).then(|| {
                        Duration::from_secs(
                            payments_hours.map_or(24 * 3600, |h| h.as_secs() * 3600),
                        )
                    }),
                })
            }
            _ => Err(SetupError { problems }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_only_the_secret() {
        let settings = ReceiverSettings::from_lookup(|name| {
            (name == "WEBHOOK_SECRET").then(|| "0123456789abcdef".to_owned())
        })
        .unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.secret_header.as_str(), "x-webhook-secret");
        assert_eq!(settings.max_body_bytes, 64 * 1024);
        assert_eq!(settings.backfill_every, Some(Duration::from_secs(3600)));
        assert_eq!(settings.queue, QueueSettings::default());
        assert!(settings.admin_secret.is_none(), "the status page is off");
        assert_eq!(settings.payments_every, None, "payments to Moment are off");
        assert_eq!(settings.shutdown_grace, Duration::from_secs(8));
    }

    #[test]
    fn every_bad_value_is_listed() {
        let err = ReceiverSettings::from_lookup(|name| {
            Some(
                match name {
                    "WEBHOOK_SECRET" => "short",
                    "WEBHOOK_SECRET_HEADER" => "bad header",
                    "WEBHOOK_LISTEN" => "localhost",
                    "WEBHOOK_MAX_BODY_BYTES" => "10",
                    "WEBHOOK_MAX_ATTEMPTS" => "0",
                    "WEBHOOK_RETRY_SECONDS" => "0",
                    "WEBHOOK_LEASE_SECONDS" => "5",
                    "WEBHOOK_BACKFILL_MINUTES" => "-1",
                    "ADMIN_SECRET" => "admin",
                    "SHUTDOWN_GRACE_SECONDS" => "600",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .unwrap_err();
        let names: Vec<&str> = err
            .problems
            .iter()
            .map(|p| p.split([' ', ':']).next().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            [
                "WEBHOOK_SECRET",
                "WEBHOOK_SECRET_HEADER",
                "WEBHOOK_LISTEN",
                "WEBHOOK_MAX_BODY_BYTES",
                "WEBHOOK_BACKFILL_MINUTES",
                "ADMIN_SECRET",
                "SHUTDOWN_GRACE_SECONDS",
                "WEBHOOK_RETRY_SECONDS",
                "WEBHOOK_LEASE_SECONDS",
                "WEBHOOK_MAX_ATTEMPTS"
            ]
        );
    }

    #[test]
    fn the_safety_net_can_be_turned_off() {
        let settings = ReceiverSettings::from_lookup(|name| match name {
            "WEBHOOK_SECRET" => Some("0123456789abcdef".into()),
            "WEBHOOK_BACKFILL_MINUTES" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.backfill_every, None);
    }

    #[test]
    fn the_admin_secret_may_not_be_the_webhook_secret() {
        let err = ReceiverSettings::from_lookup(|name| match name {
            "WEBHOOK_SECRET" | "ADMIN_SECRET" => Some("0123456789abcdef".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.problems[0].starts_with("ADMIN_SECRET is the same as WEBHOOK_SECRET"));
    }

    #[test]
    fn payments_to_moment_are_turned_on_by_name_daily_by_default() {
        let settings = |pairs: &'static [(&'static str, &'static str)]| {
            ReceiverSettings::from_lookup(move |name| {
                if name == "WEBHOOK_SECRET" {
                    return Some("0123456789abcdef".into());
                }
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            })
        };
        let on = settings(&[("PAYMENTS_TO_MOMENT", "on")]).unwrap();
        assert_eq!(on.payments_every, Some(Duration::from_secs(24 * 3600)));
        let hourly = settings(&[("PAYMENTS_TO_MOMENT", "on"), ("PAYMENTS_EVERY_HOURS", "1")]);
        assert_eq!(
            hourly.unwrap().payments_every,
            Some(Duration::from_secs(3600))
        );
        let wrong = settings(&[("PAYMENTS_TO_MOMENT", "sometimes")]).unwrap_err();
        assert!(wrong.problems[0].starts_with("PAYMENTS_TO_MOMENT is \"sometimes\""));
    }
}
