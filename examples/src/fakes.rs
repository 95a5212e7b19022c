//! The `fakes` program's parts: its options, the seeded world it serves, and the commands it
//! takes on stdin (see `src/bin/fakes.rs` for the usage).

use std::collections::BTreeMap;
use std::time::Duration;

use dkplus_client::testing::{Chaos, ChaosCounts, FakeDkPlus};
use moment_client::InvoiceState;
use moment_client::testing::FakeMoment;
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use serde::{Deserialize, Serialize};

use crate::bench::workload::Workload;

/// How the program is used.
pub const USAGE: &str = "\
usage: fakes [--invoices N] [--seed N] [--server-errors N] [--rate-limited N]
             [--lost-answers N] [--visibility-lag-ms N] [--latency-ms N]

Serves a fake Moment and a fake DK+ on loopback and prints the environment that points the
other programs at them; stops on Ctrl-C, SIGTERM or the command `quit`.

  --invoices N           a generated company with N finalized invoices (default: the demo company)
  --seed N               seeds the random faults (default 1)
  --server-errors N      DK+ answers 503 to N requests in a thousand (default 0)
  --rate-limited N       DK+ answers 429 (Retry-After: 1) to N requests in a thousand (default 0)
  --lost-answers N       DK+ books N invoice posts in a thousand, then answers 502 (default 0)
  --visibility-lag-ms N  a booked invoice shows in DK+'s look-ups N ms later (default 0)
  --latency-ms N         both fakes answer N ms late (default 0)

Commands on stdin, one a line, each answered with one line on stdout:
  stats                  the books: JSON with Moment's and DK+'s invoices, duplicates, missing, faults
  calm                   no more faults and no visibility lag
  deliver URL...         Moment's webhook for every finalized invoice, each to the next URL in
                         turn (another when one refuses, as a load balancer would), retried
  quit                   stops";

/// The sales person the fakes know and the printed environment names.
pub const SALES_PERSON: &str = "vef";

/// What the program serves.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FakesOptions {
    /// A generated company with this many invoices; the demo company when `None`.
    pub invoices: Option<usize>,
    /// The random faults of DK+.
    pub chaos: Chaos,
    /// How late a booked invoice shows in DK+'s look-ups.
    pub visibility_lag: Option<Duration>,
    /// How late both fakes answer.
    pub latency: Option<Duration>,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FakesCommand {
    /// Serve.
    Run(FakesOptions),
    /// `--help`.
    Help,
}

/// Reads the command line (without the program name).
///
/// # Errors
/// A sentence naming the option to fix.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<FakesCommand, String> {
    let mut options = FakesOptions {
        chaos: Chaos {
            seed: 1,
            ..Chaos::default()
        },
        ..FakesOptions::default()
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(FakesCommand::Help);
        }
        let mut value = |max: u64| -> Result<u64, String> {
            let text = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
            match text.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(format!("{arg} is {text:?}: use a whole number up to {max}")),
            }
        };
        let per_mille = |n: u64| u16::try_from(n).unwrap_or(1000);
        match arg.as_str() {
            "--invoices" => {
                options.invoices = Some(usize::try_from(value(1_000_000)?).unwrap_or(0));
            }
            "--seed" => options.chaos.seed = value(u64::MAX)?,
            "--server-errors" => options.chaos.server_errors = per_mille(value(1000)?),
            "--rate-limited" => options.chaos.rate_limited = per_mille(value(1000)?),
            "--lost-answers" => options.chaos.lost_invoice_answers = per_mille(value(1000)?),
            "--visibility-lag-ms" => {
                options.visibility_lag =
                    Some(Duration::from_millis(value(3_600_000)?)).filter(|d| !d.is_zero());
            }
            "--latency-ms" => {
                options.latency =
                    Some(Duration::from_millis(value(60_000)?)).filter(|d| !d.is_zero());
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(FakesCommand::Run(options))
}

/// The two fakes, seeded.
pub struct Fakes {
    /// The fake Moment.
    pub moment: FakeMoment,
    /// The fake DK+.
    pub dkplus: FakeDkPlus,
    chaos: Chaos,
}

impl std::fmt::Debug for Fakes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fakes")
            .field("moment", &self.moment.uri())
            .field("dkplus", &self.dkplus.uri())
            .finish_non_exhaustive()
    }
}

/// What DK+'s books hold, held against Moment's finalized invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Books {
    /// Finalized invoices and credit notes in Moment.
    pub moment_invoices: usize,
    /// Invoices in DK+ (also those not yet shown in look-ups).
    pub dkplus_invoices: usize,
    /// References DK+ holds more than once, with how often.
    pub duplicates: BTreeMap<String, usize>,
    /// Moment numbers DK+ does not hold.
    pub missing: Vec<String>,
    /// The DK+ number of each reference DK+ holds once.
    pub numbers: BTreeMap<String, String>,
    /// The faults DK+ caused so far.
    pub faults: ChaosCounts,
}

impl Fakes {
    /// Starts both fakes and seeds them as `options` say (requests are counted, not recorded,
    /// so a long run keeps its memory).
    ///
    /// # Errors
    /// A sentence when a client of the fakes cannot be built.
    pub async fn start(options: &FakesOptions) -> Result<Self, String> {
        let config = IntegrationConfig::builder()
            .sales_person(SALES_PERSON)
            .build()
            .map_err(|e| e.to_string())?;
        let mut moment = FakeMoment::builder().record_requests(false);
        let mut dkplus = FakeDkPlus::builder().record_requests(false);
        if let Some(latency) = options.latency {
            moment = moment.latency(latency);
            dkplus = dkplus.latency(latency);
        }
        let world = FakeWorld::assemble(
            moment.start().await,
            dkplus.start().await,
            config,
            |m| m,
            |d| d,
        )
        .map_err(|e| e.to_string())?;
        match options.invoices {
            Some(n) => Workload {
                invoices: n,
                customers: n.clamp(1, 100),
                lines_per_invoice: 3,
                ..Workload::default()
            }
            .seed(&world.moment),
            None => {
                DemoCompany::seed(&world);
            }
        }
        world.dkplus.set_chaos(Some(options.chaos));
        world
            .dkplus
            .set_invoice_visibility_lag(options.visibility_lag);
        let FakeWorld { moment, dkplus, .. } = world;
        Ok(Self {
            moment,
            dkplus,
            chaos: options.chaos,
        })
    }

    /// The environment for the other programs, one `NAME=value` a line.
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MOMENT_BASE_URL", self.moment.uri()),
            ("MOMENT_COMPANY", self.moment.company_code()),
            ("MOMENT_API_KEY", self.moment.api_key()),
            ("DKPLUS_BASE_URL", self.dkplus.uri()),
            ("DKPLUS_TOKEN", self.dkplus.token().to_owned()),
            ("DKPLUS_SALES_PERSON", SALES_PERSON.to_owned()),
        ]
    }

    /// No more faults and no visibility lag (the fault counts are kept).
    pub fn calm(&self) {
        self.dkplus.set_chaos(Some(Chaos {
            seed: self.chaos.seed,
            ..Chaos::default()
        }));
        self.dkplus.set_invoice_visibility_lag(None);
    }

    /// DK+'s books held against Moment's finalized invoices.
    pub fn books(&self) -> Books {
        let expected: Vec<String> = self
            .moment
            .invoices()
            .into_iter()
            .filter(|i| i.state == Some(InvoiceState::Finalized))
            .filter_map(|i| i.invoice_number.map(|n| n.to_string()))
            .collect();
        let booked = self.dkplus.invoices();
        let mut by_reference: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for invoice in &booked {
            if let Some(reference) = &invoice.reference {
                by_reference.entry(reference.clone()).or_default().push(
                    invoice
                        .number
                        .as_ref()
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                );
            }
        }
        Books {
            moment_invoices: expected.len(),
            dkplus_invoices: booked.len(),
            duplicates: by_reference
                .iter()
                .filter(|(_, numbers)| numbers.len() > 1)
                .map(|(reference, numbers)| (reference.clone(), numbers.len()))
                .collect(),
            missing: expected
                .iter()
                .filter(|n| !by_reference.contains_key(*n))
                .cloned()
                .collect(),
            numbers: by_reference
                .iter()
                .filter(|(_, numbers)| numbers.len() == 1)
                .map(|(reference, numbers)| (reference.clone(), numbers[0].clone()))
                .collect(),
            faults: self.dkplus.chaos_counts(),
        }
    }

    /// The webhook body Moment sends for every finalized invoice, in id order.
    pub fn invoice_webhooks(&self) -> Vec<String> {
        let mut invoices = self.moment.invoices();
        invoices.sort_by_key(|i| i.id);
        invoices
            .iter()
            .filter(|i| i.state == Some(InvoiceState::Finalized))
            .filter_map(|i| self.moment.webhook_body_for_invoice(i.id, "CREATE_NEW"))
            .collect()
    }
}

/// How a delivery of webhooks went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Events a receiver accepted.
    pub delivered: usize,
    /// Attempts a receiver refused or did not answer, tried again.
    pub retries: usize,
    /// Events no receiver accepted after every attempt.
    pub failed: usize,
}

/// Attempts per event before a delivery gives up.
const DELIVERY_ATTEMPTS: usize = 60;

/// Posts each body to the next URL in turn (eight at a time); a refused or unanswered attempt
/// goes to the next URL after a short wait, as a load balancer and Moment's retries would.
pub async fn deliver(bodies: Vec<String>, urls: &[String]) -> Delivery {
    use futures_util::StreamExt;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    if urls.is_empty() {
        return Delivery {
            failed: bodies.len(),
            ..Delivery::default()
        };
    }
    let results: Vec<(bool, usize)> = futures_util::stream::iter(bodies.into_iter().enumerate())
        .map(|(i, body)| {
            let client = client.clone();
            async move {
                for attempt in 0..DELIVERY_ATTEMPTS {
                    let url = &urls[(i + attempt) % urls.len()];
                    let answer = client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    if answer.is_ok_and(|a| a.status().is_success()) {
                        return (true, attempt);
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                (false, DELIVERY_ATTEMPTS)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results
        .into_iter()
        .fold(Delivery::default(), |mut d, (ok, retries)| {
            if ok {
                d.delivered += 1;
            } else {
                d.failed += 1;
            }
            d.retries += retries;
            d
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_are_read_with_their_defaults() {
        let FakesCommand::Run(options) = parse(args("")).unwrap() else {
            panic!("help");
        };
        assert_eq!(options.invoices, None);
        assert_eq!(options.chaos.seed, 1);
        assert_eq!(options.chaos.server_errors, 0);
        let FakesCommand::Run(options) = parse(args(
            "--invoices 500 --seed 9 --server-errors 20 --rate-limited 10 --lost-answers 50 --visibility-lag-ms 1500",
        ))
        .unwrap() else {
            panic!("help");
        };
        assert_eq!(options.invoices, Some(500));
        assert_eq!(
            options.chaos,
            Chaos {
                seed: 9,
                server_errors: 20,
                rate_limited: 10,
                lost_invoice_answers: 50
            }
        );
        assert_eq!(options.visibility_lag, Some(Duration::from_millis(1500)));
        assert_eq!(parse(args("--help")).unwrap(), FakesCommand::Help);
    }

    #[test]
    fn a_bad_option_is_named() {
        assert!(
            parse(args("--server-errors 1001"))
                .unwrap_err()
                .contains("--server-errors")
        );
        assert!(
            parse(args("--invoices"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            parse(args("--what 1"))
                .unwrap_err()
                .contains("unknown option")
        );
    }
}
