//! The real-service programs' settings, read from environment variables.
//!
//! | variable | required | meaning |
//! |---|---|---|
//! | `MOMENT_COMPANY` | yes | the company code in Moment's address (`app.moment.team/<code>/…`) |
//! | `MOMENT_API_KEY` | yes | an API key from Moment's *Company / API keys* |
//! | `DKPLUS_TOKEN` | yes | an API token from dkPlus (*Menu / Settings*, tokens) |
//! | `DKPLUS_SALES_PERSON` | yes | the DK+ sales person number put on every invoice |
//! | `ERROR_EMAIL` | no | the address failure reports are meant for |
//! | `CONCURRENCY` | no | objects a backfill transfers at the same time (1 to 64, default 4) |
//! | `MOMENT_BASE_URL` | no | another Moment API root (a sandbox; loopback for tests) |
//! | `MOMENT_PAGE_BASE` | no | `0` (default) or `1`: the number of Moment's first page |
//! | `DKPLUS_BASE_URL` | no | another DK+ API root (loopback for tests) |
//! | `SETTLE_SECONDS` | no | how long an invoice whose post had no clear answer waits before DK+ is asked again whether it holds it (default 900: DK+ can take minutes to show an invoice at peak times) |
//! | `CLAIM_LEASE_SECONDS` | no | how long a process's claim on an invoice holds before another may take over after a crash (default 300; less than `SETTLE_SECONDS`) |
//! | `STORE_URL` | no | where the sync state is kept: `sqlite:moment-dkplus.db` (default, a file beside the program), `sqlite:/var/lib/moment-dkplus/state.db`, or `postgres://user:password@host/db` for several processes |
//! | `DKPLUS_COMPANY` | no | a name for the DK+ company the token belongs to (default `default`); one store may serve several |
//!
//! Secrets are handed straight to the clients, which never show them; nothing here prints them.

use std::fmt;
use std::sync::Arc;

use dkplus_client::DkPlusClient;
use moment_client::{MomentClient, PageBase};
use moment_dkplus_mapping::store::{self, Scope, Store};
use moment_dkplus_mapping::{ConfigProblem, IntegrationConfig};

/// The store used when `STORE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_STORE_URL: &str = "sqlite:moment-dkplus.db";

/// The DK+ company name used when `DKPLUS_COMPANY` is not set.
pub const DEFAULT_DKPLUS_COMPANY: &str = "default";

/// The two clients and the integration configuration, built from the environment.
#[derive(Debug)]
pub struct Setup {
    /// The Moment client.
    pub moment: MomentClient,
    /// The DK+ client.
    pub dkplus: DkPlusClient,
    /// The integration configuration.
    pub config: IntegrationConfig,
    /// Where the sync state is kept (may hold a password: never print it).
    pub store_url: StoreUrl,
    /// Whose books: the Moment company and the DK+ company.
    pub scope: Scope,
}

/// A store URL; shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// The URL as given.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL, password included, for [`store::open`].
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreUrl {
    /// The URL with any password (in the user part or as a `password` parameter) replaced by
    /// `***`; a database URL that cannot be read is not shown at all, only its scheme.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.as_str();
        // SQLite and memory URLs carry no credentials.
        if raw.starts_with("sqlite:") || raw.starts_with("memory:") || raw == "memory" {
            return f.write_str(raw);
        }
        let scheme = raw.split(':').next().unwrap_or_default();
        let Some(mut url) = url::Url::parse(raw).ok().filter(url::Url::has_host) else {
            return write!(f, "{scheme}:… (not a readable URL; not shown)");
        };
        if url.password().is_some() && url.set_password(Some("***")).is_err() {
            return write!(f, "{scheme}:… (not shown)");
        }
        let hidden: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret =
                    k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("passfile");
                (
                    k.into_owned(),
                    if secret {
                        "***".to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        if !hidden.is_empty() {
            url.query_pairs_mut().clear().extend_pairs(hidden);
        }
        f.write_str(url.as_str())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

impl Setup {
    /// Opens the store (creating its tables when needed).
    ///
    /// # Errors
    /// A sentence naming `STORE_URL` and what failed.
    pub async fn open_store(&self) -> Result<Arc<dyn Store>, String> {
        store::open(self.store_url.expose())
            .await
            .map_err(|e| format!("STORE_URL ({}): {}", self.store_url, e.message))
    }
}

/// The environment does not describe a usable setup; lists every problem with what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupError {
    /// Every problem found, one sentence each.
    pub problems: Vec<String>,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the settings are not complete:")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SetupError {}

/// Reads one variable: unset and blank are the same, surrounding whitespace is dropped (a key
/// pasted with a trailing newline still works).
fn read(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Reads a required variable, or records what to do when it is missing.
fn require(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &str,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    let value = read(lookup, name);
    if value.is_none() {
        problems.push(format!("{name} is not set: {what}"));
    }
    value
}

impl Setup {
    /// Reads the process environment (see the module docs for the variables).
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let lookup: &dyn Fn(&str) -> Option<String> = &lookup;
        let mut problems = Vec::new();
        let company = require(
            lookup,
            "MOMENT_COMPANY",
            "the company code from Moment's address, app.moment.team/<code>/…",
            &mut problems,
        );
        let api_key = require(
            lookup,
            "MOMENT_API_KEY",
            "create an API key in Moment under Company / API keys",
            &mut problems,
        );
        let token = require(
            lookup,
            "DKPLUS_TOKEN",
            "create an API token in dkPlus under Menu / Settings, tokens",
            &mut problems,
        );
        let sales_person = require(
            lookup,
            "DKPLUS_SALES_PERSON",
            "the number of the DK+ sales person put on every invoice (see Sales persons in DK+)",
            &mut problems,
        );
        let concurrency = read(lookup, "CONCURRENCY").and_then(|raw| match raw.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!(
                    "CONCURRENCY is {raw:?}, not a whole number: use 1 to 64"
                ));
                None
            }
        });
        let seconds = |name: &str, problems: &mut Vec<String>| {
            read(lookup, name).and_then(|raw| match raw.parse::<u64>() {
                Ok(n) => Some(std::time::Duration::from_secs(n)),
                Err(_) => {
                    problems.push(format!("{name} is {raw:?}, not a whole number of seconds"));
                    None
                }
            })
        };
        let settle_time = seconds("SETTLE_SECONDS", &mut problems);
        let claim_lease = seconds("CLAIM_LEASE_SECONDS", &mut problems);
        let page_base = match read(lookup, "MOMENT_PAGE_BASE").as_deref() {
            None | Some("0") => PageBase::Zero,
            Some("1") => PageBase::One,
            Some(other) => {
                problems.push(format!(
                    "MOMENT_PAGE_BASE is {other:?}: use 0 or 1 (the number of Moment's first page)"
                ));
                PageBase::Zero
            }
        };

        let mut config = IntegrationConfig::builder();
        if let Some(number) = &sales_person {
            config = config.sales_person(number.clone());
        }
        if let Some(address) = read(lookup, "ERROR_EMAIL") {
            config = config.error_email(address);
        }
        if let Some(n) = concurrency {
            config = config.concurrency(n);
        }
        if let Some(settle) = settle_time {
            config = config.settle_time(settle);
        }
        if let Some(lease) = claim_lease {
            config = config.claim_lease(lease);
        }
        let config = match config.build() {
            Ok(config) => Some(config),
            Err(e) => {
                // A missing sales person is already reported by its variable's name.
                problems.extend(
                    e.problems()
                        .iter()
                        .filter(|p| !matches!(p, ConfigProblem::SalesPersonMissing))
                        .map(|p| format!("configuration: {p}")),
                );
                None
            }
        };

        let moment = match (&company, &api_key) {
            (Some(company), Some(key)) => {
                let mut builder = MomentClient::builder()
                    .company_code(company.clone())
                    .api_key(key.clone())
                    .page_base(page_base);
                if let Some(url) = read(lookup, "MOMENT_BASE_URL") {
                    builder = builder.base_url(url);
                }
                match builder.build() {
                    Ok(client) => Some(client),
                    Err(e) => {
                        problems.push(format!("Moment settings (MOMENT_*): {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let dkplus = token.and_then(|token| {
            let mut builder = DkPlusClient::builder().token(token);
            if let Some(url) = read(lookup, "DKPLUS_BASE_URL") {
                builder = builder.base_url(url);
            }
            match builder.build() {
                Ok(client) => Some(client),
                Err(e) => {
                    problems.push(format!("DK+ settings (DKPLUS_*): {e}"));
                    None
                }
            }
        });

        let store_url = StoreUrl::new(
            read(lookup, "STORE_URL").unwrap_or_else(|| DEFAULT_STORE_URL.to_owned()),
        );
        if !["memory:", "sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| store_url.expose().starts_with(scheme))
        {
            problems.push(format!(
                "STORE_URL is {store_url}: use sqlite:path/to/file.db or postgres://user:password@host/database"
            ));
        }
        let dkplus_company =
            read(lookup, "DKPLUS_COMPANY").unwrap_or_else(|| DEFAULT_DKPLUS_COMPANY.to_owned());

        match (moment, dkplus, config, company) {
            (Some(moment), Some(dkplus), Some(config), Some(company)) if problems.is_empty() => {
                Ok(Self {
                    moment,
                    dkplus,
                    config,
                    store_url,
                    scope: Scope::new(company, dkplus_company),
                })
            }
            _ => Err(SetupError { problems }),
        }
    }
}

/// The settings of the environment with their store opened, or the message to print (the
/// programs exit with status 2 on it).
///
/// # Errors
/// What is wrong with the settings or the store, in words.
pub async fn from_env_with_store() -> Result<
    (
        Setup,
        std::sync::Arc<dyn moment_dkplus_mapping::store::Store>,
    ),
    String,
> {
    let setup = Setup::from_env().map_err(|e| e.to_string())?;
    let store = setup.open_store().await.map_err(|e| e.to_string())?;
    Ok((setup, store))
}

/// Sends log lines to stderr. `RUST_LOG` overrides `default_filter` (e.g. `RUST_LOG=info`).
pub fn init_logging(default_filter: &str) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never in a log file.
        .with_ansi(std::io::stderr().is_terminal());
    // A second call (tests) keeps the first subscriber.
    match std::env::var("LOG_FORMAT").ok().as_deref().map(str::trim) {
        Some("json") => {
            let _ = builder.json().flatten_event(true).try_init();
        }
        None | Some("" | "text") => {
            let _ = builder.try_init();
        }
        Some(other) => {
            let _ = builder.try_init();
            tracing::warn!(
                "LOG_FORMAT is {other:?}: use json (one JSON object per line) or text; logging text"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const COMPLETE: [(&str, &str); 4] = [
        ("MOMENT_COMPANY", "acme"),
        ("MOMENT_API_KEY", "moment-secret-key-123"),
        ("DKPLUS_TOKEN", "dkplus-secret-token-456"),
        ("DKPLUS_SALES_PERSON", "vef"),
    ];

    #[test]
    fn a_complete_environment_builds_clients_and_config() {
        let setup = Setup::from_lookup(lookup(&COMPLETE)).unwrap();
        assert_eq!(setup.moment.company_code(), "acme");
        assert_eq!(setup.config.sales_person().map(|s| s.as_str()), Some("vef"));
        assert_eq!(setup.config.concurrency(), 4);
        let shown = format!("{setup:?}");
        assert!(!shown.contains("moment-secret-key-123"), "{shown}");
        assert!(!shown.contains("dkplus-secret-token-456"), "{shown}");
        assert_eq!(setup.store_url.expose(), DEFAULT_STORE_URL);
        assert_eq!(setup.scope, Scope::new("acme", "default"));
    }

    #[test]
    fn a_store_password_is_never_shown() {
        let mut pairs = COMPLETE.to_vec();
        pairs.extend([
            (
                "STORE_URL",
                "postgres://sync:pg-secret-789@db.internal:5432/books",
            ),
            ("DKPLUS_COMPANY", "5501692829"),
        ]);
        let setup = Setup::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(setup.scope, Scope::new("acme", "5501692829"));
        let shown = format!("{setup:?} {}", setup.store_url);
        assert!(!shown.contains("pg-secret-789"), "{shown}");
        assert!(
            shown.contains("postgres://sync:***@db.internal:5432/books"),
            "{shown}"
        );

        for (url, shown) in [
            (
                "postgres://u:ab/cd@h/db",
                "postgres:… (not a readable URL; not shown)",
            ),
            (
                "postgres:u:pw@h",
                "postgres:… (not a readable URL; not shown)",
            ),
            (
                "postgres://u@h/db?sslmode=require&password=pw",
                "postgres://u@h/db?sslmode=require&password=***",
            ),
            (
                "postgres://u:p%40ss@h:5433/db",
                "postgres://u:***@h:5433/db",
            ),
            ("sqlite:books.db", "sqlite:books.db"),
        ] {
            assert_eq!(StoreUrl::new(url).to_string(), shown, "{url}");
        }

        let mut pairs = COMPLETE.to_vec();
        pairs.push(("STORE_URL", "mysql://u:pw-secret@host/db"));
        let err = Setup::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(err.problems[0].starts_with("STORE_URL"), "{err}");
        assert!(!err.to_string().contains("pw-secret"), "{err}");
    }

    #[test]
    fn every_missing_variable_is_named_with_what_to_do() {
        let err = Setup::from_lookup(lookup(&[("MOMENT_API_KEY", "  ")])).unwrap_err();
        let names: Vec<&str> = err
            .problems
            .iter()
            .filter_map(|p| p.split(' ').next())
            .collect();
        assert_eq!(
            names,
            [
                "MOMENT_COMPANY",
                "MOMENT_API_KEY",
                "DKPLUS_TOKEN",
                "DKPLUS_SALES_PERSON"
            ]
        );
        assert!(err.to_string().contains("Company / API keys"), "{err}");
    }

    #[test]
    fn bad_optional_values_are_refused_with_their_range() {
        let mut pairs = COMPLETE.to_vec();
        pairs.extend([
            ("CONCURRENCY", "many"),
            ("MOMENT_PAGE_BASE", "2"),
            ("ERROR_EMAIL", "not an address"),
        ]);
        let err = Setup::from_lookup(lookup(&pairs)).unwrap_err();
        assert_eq!(err.problems.len(), 3, "{err}");
        assert!(err.problems[0].contains("use 1 to 64"), "{err}");
        assert!(err.problems[1].contains("use 0 or 1"), "{err}");
        assert!(
            err.problems[2].contains("not a valid e-mail address"),
            "{err}"
        );

        let mut pairs = COMPLETE.to_vec();
        pairs.push(("CONCURRENCY", "0"));
        let err = Setup::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(err.problems[0].contains("concurrency is 0"), "{err}");
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_without_showing_the_token() {
        let mut pairs = COMPLETE.to_vec();
        pairs.push(("DKPLUS_BASE_URL", "http://dkplus.example.com/api/v1"));
        let err = Setup::from_lookup(lookup(&pairs)).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(err.problems[0].starts_with("DK+ settings"), "{err}");
        assert!(!err.to_string().contains("dkplus-secret-token-456"));
    }
}
