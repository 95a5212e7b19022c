//! The benchmark program's command line: `--name value` options, all with defaults.

use std::time::Duration;

use moment_dkplus_mapping::config::MAX_CONCURRENCY;

use super::workload::Workload;

/// How the program is used.
pub const USAGE: &str = "\
usage: bench_backfill [--invoices N] [--products N] [--customers N] [--lines N]
                      [--latency-ms N] [--concurrency 1,4,16] [--baseline-invoices N]
                      [--memory-customers N] [--memory-invoices N]
                      [--realistic-invoices N] [--post-median-ms N] [--post-p99-ms N]

  --invoices N           finalized invoices in Moment (default 1000)
  --products N           distinct products the lines use (default 20)
  --customers N          customers, each with one project (default 100)
  --lines N              lines per invoice (default 10)
  --latency-ms N         delay the fakes add to every answer (default 5)
  --concurrency A,B,..   the backfill concurrencies to measure (default 1,4,16; at most 64)
  --baseline-invoices N  invoices for the naive baseline, 0 to skip (default 100)
  --memory-customers N   customers in the peak-memory probe, 0 to skip (default 100000)
  --memory-invoices N    invoices in the largest invoice memory probe (the smallest is a
                         tenth), 0 to skip (default 100000)
  --realistic-invoices N invoices of the realistic-latency run, 0 to skip (default 200)
  --post-median-ms N     its median DK+ invoice post (default 150)
  --post-p99-ms N        its 99th-percentile DK+ invoice post (default 2000)";

/// Everything the program measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The generated company.
    pub workload: Workload,
    /// The delay the fakes add to every answer.
    pub latency: Duration,
    /// The backfill concurrencies to measure, in order.
    pub concurrencies: Vec<usize>,
    /// Invoices transferred by the naive baseline (0: skipped).
    pub baseline_invoices: usize,
    /// Customers in the largest peak-memory probe (0: skipped).
    pub memory_customers: usize,
    /// Invoices in the largest invoice memory probe (0: skipped).
    pub memory_invoices: usize,
    /// Invoices of the realistic-latency run (0: skipped).
    pub realistic_invoices: usize,
    /// The median DK+ invoice post of the realistic run.
    pub post_median: Duration,
    /// The 99th-percentile DK+ invoice post of the realistic run.
    pub post_p99: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            workload: Workload::default(),
            latency: Duration::from_millis(5),
            concurrencies: vec![1, 4, 16],
            baseline_invoices: 100,
            memory_customers: 100_000,
            memory_invoices: 100_000,
            realistic_invoices: 200,
            post_median: Duration::from_millis(150),
            post_p99: Duration::from_secs(2),
        }
    }
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Measure with these options.
    Run(Options),
    /// `--help`: print [`USAGE`].
    Help,
    /// Internal: one peak-memory probe in this process (the program starts itself with this so
    /// every probe has a fresh peak).
    MemoryProbe {
        /// Customers to transfer.
        customers: usize,
    },
    /// Internal: one invoice memory probe in this process.
    InvoiceProbe {
        /// Invoices to transfer.
        invoices: usize,
    },
}

/// The option the program passes to itself for one invoice memory probe.
pub const INVOICE_PROBE_OPTION: &str = "--invoice-probe";

/// The option the program passes to itself for one memory probe.
pub const MEMORY_PROBE_OPTION: &str = "--memory-probe";

fn number(name: &str, value: Option<String>, min: usize, max: usize) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{name} needs a value"))?;
    match value.trim().replace('_', "").parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name} {value:?} is not a whole number from {min} to {max}"
        )),
    }
}

/// Reads the arguments (without the program name).
///
/// # Errors
/// A sentence naming the option that is unknown, lacks its value or is out of range.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            MEMORY_PROBE_OPTION => {
                let customers = number(&arg, args.next(), 1, 10_000_000)?;
                return Ok(Command::MemoryProbe { customers });
            }
            INVOICE_PROBE_OPTION => {
                let invoices = number(&arg, args.next(), 1, 10_000_000)?;
                return Ok(Command::InvoiceProbe { invoices });
            }
            "--memory-invoices" => {
                options.memory_invoices = number(&arg, args.next(), 0, 10_000_000)?;
            }
            "--realistic-invoices" => {
                options.realistic_invoices = number(&arg, args.next(), 0, 1_000_000)?;
            }
            "--post-median-ms" => {
                options.post_median =
                    Duration::from_millis(number(&arg, args.next(), 1, 60_000)? as u64);
            }
            "--post-p99-ms" => {
                options.post_p99 =
                    Duration::from_millis(number(&arg, args.next(), 1, 600_000)? as u64);
            }
            "--invoices" => options.workload.invoices = number(&arg, args.next(), 1, 1_000_000)?,
            "--products" => options.workload.products = number(&arg, args.next(), 1, 100_000)?,
            "--customers" => options.workload.customers = number(&arg, args.next(), 1, 100_000)?,
            "--lines" => options.workload.lines_per_invoice = number(&arg, args.next(), 1, 1_000)?,
            "--latency-ms" => {
                let ms = number(&arg, args.next(), 0, 10_000)?;
                options.latency = Duration::from_millis(ms as u64);
            }
            "--baseline-invoices" => {
                options.baseline_invoices = number(&arg, args.next(), 0, 1_000_000)?;
            }
            "--memory-customers" => {
                options.memory_customers = number(&arg, args.next(), 0, 10_000_000)?;
            }
            "--concurrency" => {
                let value = args.next().ok_or("--concurrency needs a value")?;
                options.concurrencies = value
                    .split(',')
                    .map(|part| number("--concurrency", Some(part.to_owned()), 1, MAX_CONCURRENCY))
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    options.baseline_invoices = options.baseline_invoices.min(options.workload.invoices);
    if options.post_p99 < options.post_median {
        return Err("--post-p99-ms must not be below --post-median-ms".to_owned());
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let Ok(Command::Run(options)) = run(&[]) else {
            panic!("no arguments must run with the defaults");
        };
        assert_eq!(options.workload.invoices, 1_000);
        assert_eq!(options.workload.products, 20);
        assert_eq!(options.workload.lines_per_invoice, 10);
        assert_eq!(options.latency, Duration::from_millis(5));
        assert_eq!(options.concurrencies, [1, 4, 16]);
        assert_eq!(options.memory_customers, 100_000);
        assert_eq!(options.memory_invoices, 100_000);
        assert_eq!(options.realistic_invoices, 200);
        assert_eq!(options.post_median, Duration::from_millis(150));
        assert_eq!(options.post_p99, Duration::from_secs(2));
    }

    #[test]
    fn values_are_read_and_checked() {
        let Ok(Command::Run(options)) = run(&[
            "--invoices",
            "50",
            "--concurrency",
            "2,8",
            "--latency-ms",
            "0",
            "--baseline-invoices",
            "500",
            "--memory-customers",
            "10_000",
        ]) else {
            panic!("valid options refused");
        };
        assert_eq!(options.workload.invoices, 50);
        assert_eq!(options.concurrencies, [2, 8]);
        assert_eq!(options.latency, Duration::ZERO);
        assert_eq!(options.baseline_invoices, 50, "capped at the invoices");
        assert_eq!(options.memory_customers, 10_000);
        assert_eq!(
            run(&["--memory-probe", "1000"]),
            Ok(Command::MemoryProbe { customers: 1000 })
        );
        assert_eq!(run(&["--help"]), Ok(Command::Help));
        assert_eq!(
            run(&["--invoice-probe", "10000"]),
            Ok(Command::InvoiceProbe { invoices: 10_000 })
        );

        for (args, says) in [
            (&["--invoices"][..], "--invoices needs a value"),
            (&["--invoices", "0"], "from 1 to"),
            (&["--concurrency", "4,65"], "from 1 to 64"),
            (&["--lines", "ten"], "\"ten\" is not a whole number"),
            (&["--fast"], "unknown option \"--fast\""),
            (
                &["--post-median-ms", "500", "--post-p99-ms", "100"],
                "must not be below",
            ),
        ] {
            let error = run(args).expect_err("must be refused");
            assert!(error.contains(says), "{args:?}: {error}");
        }
    }
}
