//! The backfill benchmark: how many requests an invoice costs, how fast a backfill goes when
//! every answer takes a while, how far that is from the best possible, and whether memory stays
//! flat in a long backfill.
//!
//! ```sh
//! cargo run --release --bin bench_backfill                 # the defaults below
//! cargo run --release --bin bench_backfill -- --invoices 5000 --latency-ms 20
//! ```
//!
//! It seeds a fake Moment with a generated company (default 1,000 finalized invoices of 10
//! lines, 20 distinct products, 100 customers with one project each), lets both fakes add the
//! same latency to every answer (default 5 ms), and runs the real engine through the real clients
//! over loopback HTTP, each time against a fresh, empty DK+:
//!
//! - a backfill at each concurrency (default 1, 4 and 16) with concurrent posting: invoices per
//!   second, requests per invoice, the ideal bound (latency × requests ÷ concurrency) and the
//!   ratio to it, also against a calibrated round trip;
//! - the default, in Moment's number order: its bound is one round trip per invoice;
//! - the steady state: as many new invoices of the same customers after the first backfill;
//! - a naive baseline: each invoice a run of its own on a fresh engine;
//! - a realistic-latency run: DK+'s invoice posts take a median of 150 ms with a 99th
//!   percentile of 2 s, ordered and concurrent, and what 10,000 invoices would take;
//! - the peak-memory probes: customer backfills of 10 %, 50 % and 100 % of 100,000 customers,
//!   and invoice backfills of 10,000 and 100,000 invoices on the SQLite store, each in a process
//!   of its own, against stand-ins that keep nothing (Linux reports the peak).
//!
//! After every run DK+ is checked: each invoice exactly once, with the right customer and total.
//! The targets are reported as met or MISSED, and the last line gives every figure as
//! `bench: key=value …` for scripts. Exit status: 0 when every run was correct, 1 when one was
//! not (the figures are then meaningless), 2 for bad arguments. Missed targets do not fail the
//! run: the figures depend on the machine. Build with `--release`. `docs/performance.md` has the
//! figures of a reference run.

use std::process::ExitCode;
use std::time::Duration;

use dkplus_client::testing::PostLatency;
use moment_dkplus_examples::bench::backfill::{
    BenchError, Measurement, Posting, measure_backfill, measure_backfill_with, measure_steady,
    round_trip,
};
use moment_dkplus_examples::bench::invoice_memory::{invoice_probe_in_child, probe_invoices};
use moment_dkplus_examples::bench::memory::{PROBE_CONCURRENCY, probe, probe_in_child};
use moment_dkplus_examples::bench::naive::measure_naive;
use moment_dkplus_examples::bench::options::{self, Command, Options, USAGE};
use moment_dkplus_examples::bench::workload::Workload;

/// At most this many DK+ requests per new invoice of known customers.
const TARGET_STEADY_REQUESTS: f64 = 1.05;
/// At most this many DK+ requests per invoice over a whole first backfill.
const TARGET_WHOLE_REQUESTS: f64 = 1.3;
/// Ordered posting at most this far from invoices × one round trip.
const TARGET_ORDERED_RATIO: f64 = 1.3;
/// At concurrency 16, at most this far from the calibrated bound.
const TARGET_RATIO_AT_16: f64 = 1.25;
/// Sequential trivial requests per task when measuring the round trip.
const CALIBRATION_ROUNDS: usize = 100;
/// The largest probe may peak at most this much above the smallest.
const TARGET_MEMORY_GROWTH: f64 = 1.25;

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// `100000` as `100,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_header(options: &Options) {
    let w = &options.workload;
    println!(
        "Backfill benchmark: {} finalized invoices of {} lines, {} distinct products, {} customers with one project each.",
        thousands(w.invoices),
        w.lines_per_invoice,
        w.products,
        thousands(w.customers)
    );
    println!(
        "Both fakes add {} ms to every answer; the real engine and clients run over loopback HTTP.\n",
        options.latency.as_millis()
    );
    println!(
        "{:<26} {:>10} {:>7} {:>8} {:>7} {:>7} {:>6} {:>9} {:>10}",
        "run",
        "invoices/s",
        "req/inv",
        "requests",
        "time",
        "ideal",
        "ratio",
        "req. time",
        "calibrated"
    );
}

/// One line of the table. `round_trip` is what a trivial request took at the run's concurrency.
fn print_row(label: &str, m: &Measurement, latency: Duration, round_trip: Duration) {
    let ratio = |unit: Duration| {
        m.ratio_to_ideal(unit)
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}×"))
    };
    println!(
        "{:<26} {:>10.1} {:>7.2} {:>8} {:>6.2}s {:>6.2}s {:>6} {:>7.2}ms {:>10}",
        label,
        m.invoices_per_second(),
        m.requests_per_invoice(),
        m.requests(),
        m.elapsed.as_secs_f64(),
        m.ideal(latency).as_secs_f64(),
        ratio(latency),
        round_trip.as_secs_f64() * 1000.0,
        ratio(round_trip)
    );
}

fn print_breakdown(m: &Measurement) {
    println!(
        "\nRequests at concurrency {} ({} invoices), per route:",
        m.concurrency, m.invoices
    );
    let per = |n: u64| n as f64 / m.invoices.max(1) as f64;
    println!(
        "  {:<44} {:>7} {:>8.3}/invoice",
        "Moment (listings, reads)",
        m.moment_requests,
        per(m.moment_requests)
    );
    for (route, n) in &m.dkplus_requests {
        println!("  DK+ {route:<40} {n:>7} {:>8.3}/invoice", per(*n));
    }
}

/// Every figure of one bench run, for the targets and the last line.
#[derive(Default)]
struct Figures {
    /// DK+ requests per invoice of a whole first backfill (concurrency 16 or the widest).
    requests_per_invoice: Option<f64>,
    /// The same with Moment's requests.
    all_requests_per_invoice: Option<f64>,
    /// DK+ requests per invoice of a backfill of new invoices of known customers.
    steady_requests_per_invoice: Option<f64>,
    /// Ordered posting against invoices × one request's round trip.
    ordered_ratio: Option<f64>,
    /// Concurrent posting at the widest concurrency against the ideal bound.
    concurrent_ratio: Option<f64>,
    /// The same against the calibrated round trip.
    concurrent_calibrated_ratio: Option<f64>,
    /// Invoices per second at the widest concurrency against the naive baseline.
    naive_speedup: Option<f64>,
    /// Realistic latency: ordered invoices per second.
    realistic_ordered_per_s: Option<f64>,
    /// Realistic latency: ordered time against the posts' delays added up.
    realistic_ordered_ratio: Option<f64>,
    /// Realistic latency: concurrent invoices per second.
    realistic_concurrent_per_s: Option<f64>,
    /// Peak memory of the largest invoice probe against the smallest.
    memory_ratio: Option<f64>,
    /// Peak memory of the largest customer probe against the smallest.
    customer_memory_ratio: Option<f64>,
}

impl Figures {
    /// `bench: key=value …`, every figure that was measured.
    fn line(&self) -> String {
        let fields = [
            ("requests_per_invoice", self.requests_per_invoice),
            ("all_requests_per_invoice", self.all_requests_per_invoice),
            (
                "steady_requests_per_invoice",
                self.steady_requests_per_invoice,
            ),
            ("ordered_ratio", self.ordered_ratio),
            ("concurrent_ratio", self.concurrent_ratio),
            (
                "concurrent_calibrated_ratio",
                self.concurrent_calibrated_ratio,
            ),
            ("naive_speedup", self.naive_speedup),
            ("realistic_ordered_per_s", self.realistic_ordered_per_s),
            ("realistic_ordered_ratio", self.realistic_ordered_ratio),
            (
                "realistic_concurrent_per_s",
                self.realistic_concurrent_per_s,
            ),
            ("memory_ratio", self.memory_ratio),
            ("customer_memory_ratio", self.customer_memory_ratio),
        ];
        let mut line = "bench:".to_owned();
        for (key, value) in fields {
            if let Some(value) = value {
                line.push_str(&format!(" {key}={value:.3}"));
            }
        }
        line
    }
}

/// Runs the throughput part: the backfills, ordered posting, the steady state and the naive
/// baseline.
async fn throughput(options: &Options, figures: &mut Figures) -> Result<(), BenchError> {
    print_header(options);
    let mut widest: Option<(Measurement, Duration)> = None;
    for &concurrency in &options.concurrencies {
        let rtt = round_trip(options.latency, concurrency, CALIBRATION_ROUNDS).await?;
        let m = measure_backfill(
            &options.workload,
            options.latency,
            concurrency,
            Posting::Concurrent,
        )
        .await?;
        print_row(
            &format!("backfill, concurrency {concurrency}"),
            &m,
            options.latency,
            rtt,
        );
        if widest
            .as_ref()
            .is_none_or(|(w, _)| w.concurrency < concurrency)
        {
            widest = Some((m, rtt));
        }
    }
    let Some((widest, rtt)) = widest else {
        return Ok(());
    };
    figures.requests_per_invoice = Some(widest.dkplus_requests_per_invoice());
    figures.all_requests_per_invoice = Some(widest.requests_per_invoice());
    figures.concurrent_ratio = widest.ratio_to_ideal(options.latency);
    figures.concurrent_calibrated_ratio = widest.ratio_to_ideal(rtt);

    // The default configuration: posts one at a time in Moment's number order. Its bound is
    // one post's round trip per invoice, one after another.
    let serial_rtt = round_trip(options.latency, 1, CALIBRATION_ROUNDS).await?;
    let ordered = measure_backfill(
        &options.workload,
        options.latency,
        widest.concurrency,
        Posting::InOrder,
    )
    .await?;
    print_row(
        &format!("in number order, conc. {}", widest.concurrency),
        &ordered,
        options.latency,
        serial_rtt,
    );
    let ordered_bound = serial_rtt.mul_f64(ordered.invoices as f64);
    figures.ordered_ratio = Some(ordered.elapsed.as_secs_f64() / ordered_bound.as_secs_f64());

    let steady = measure_steady(&options.workload, options.latency, widest.concurrency).await?;
    print_row(
        &format!("steady state, conc. {}", widest.concurrency),
        &steady,
        options.latency,
        serial_rtt,
    );
    figures.steady_requests_per_invoice = Some(steady.dkplus_requests_per_invoice());

    let mut baseline = None;
    if options.baseline_invoices > 0 {
        let rtt = round_trip(options.latency, 1, CALIBRATION_ROUNDS).await?;
        let m = measure_naive(
            &options.workload,
            options.latency,
            options.baseline_invoices,
        )
        .await?;
        print_row(
            &format!("naive baseline ({} inv.)", m.invoices),
            &m,
            options.latency,
            rtt,
        );
        figures.naive_speedup =
            Some(widest.invoices_per_second() / m.invoices_per_second().max(f64::EPSILON));
        baseline = Some(m);
    }
    print_breakdown(&widest);
    print_breakdown(&steady);
    if let Some(base) = &baseline {
        println!(
            "\nAgainst the naive baseline: {:.1}× fewer requests per invoice, {:.1}× the invoices per second at concurrency {}",
            base.requests_per_invoice() / widest.requests_per_invoice().max(f64::EPSILON),
            widest.invoices_per_second() / base.invoices_per_second().max(f64::EPSILON),
            widest.concurrency
        );
    }
    Ok(())
}

/// The realistic-latency run: DK+'s invoice posts take a median and a slow tail, every other
/// answer the fixed latency; ordered and concurrent, and what 10,000 invoices would take.
async fn realistic(options: &Options, figures: &mut Figures) -> Result<(), BenchError> {
    if options.realistic_invoices == 0 {
        return Ok(());
    }
    let workload = Workload {
        invoices: options.realistic_invoices,
        ..options.workload
    };
    let post_latency = PostLatency {
        median: options.post_median,
        p99: options.post_p99,
        seed: 42,
    };
    let concurrency = options.concurrencies.iter().copied().max().unwrap_or(16);
    println!(
        "\nRealistic latency: {} invoices; DK+ posts take a median {} ms with a 99th percentile of {} ms (other answers {} ms); concurrency {concurrency}:",
        workload.invoices,
        options.post_median.as_millis(),
        options.post_p99.as_millis(),
        options.latency.as_millis()
    );
    println!(
        "  {:<22} {:>10} {:>8} {:>12} {:>7} {:>16}",
        "run", "invoices/s", "time", "posts' delays", "ratio", "10,000 invoices"
    );
    for posting in [Posting::InOrder, Posting::Concurrent] {
        let m = measure_backfill_with(
            &workload,
            options.latency,
            concurrency,
            posting,
            Some(post_latency),
        )
        .await?;
        let ratio = m.elapsed.as_secs_f64() / m.post_delays.as_secs_f64().max(f64::EPSILON);
        let per_s = m.invoices_per_second();
        let ten_thousand = 10_000.0 / per_s.max(f64::EPSILON);
        let label = match posting {
            Posting::InOrder => "in number order",
            Posting::Concurrent => "concurrent posting",
        };
        println!(
            "  {label:<22} {per_s:>10.1} {:>7.1}s {:>11.1}s {:>6} {:>15.0}s",
            m.elapsed.as_secs_f64(),
            m.post_delays.as_secs_f64(),
            if posting == Posting::InOrder {
                format!("{ratio:.2}×")
            } else {
                "-".to_owned()
            },
            ten_thousand
        );
        match posting {
            Posting::InOrder => {
                figures.realistic_ordered_per_s = Some(per_s);
                figures.realistic_ordered_ratio = Some(ratio);
            }
            Posting::Concurrent => figures.realistic_concurrent_per_s = Some(per_s),
        }
    }
    println!(
        "  (ratio: the ordered run's time against its posts' delays added up — the least one post after another can take)"
    );
    Ok(())
}

fn target(what: &str, value: Option<f64>, limit: f64) {
    match value {
        Some(value) => println!(
            "  {what}: {value:.2} (at most {limit}) — {}",
            verdict(value <= limit)
        ),
        None => println!("  {what}: not measured"),
    }
}

fn print_targets(figures: &Figures) {
    println!("\nTargets:");
    target(
        "steady-state DK+ requests per invoice",
        figures.steady_requests_per_invoice,
        TARGET_STEADY_REQUESTS,
    );
    target(
        "DK+ requests per invoice, whole first backfill",
        figures.requests_per_invoice,
        TARGET_WHOLE_REQUESTS,
    );
    target(
        "ordered posting against invoices × one round trip",
        figures.ordered_ratio,
        TARGET_ORDERED_RATIO,
    );
    target(
        "concurrent posting against the calibrated bound",
        figures.concurrent_calibrated_ratio,
        TARGET_RATIO_AT_16,
    );
    target(
        "peak memory of the largest invoice backfill against the smallest",
        figures.memory_ratio,
        TARGET_MEMORY_GROWTH,
    );
}

/// What one memory probe process reported: how many objects, how long, the peak, and what
/// was wrong with its result (if anything).
struct ProbeResult {
    count: usize,
    elapsed: Duration,
    peak_rss_kib: Option<u64>,
    wrong: Option<String>,
}

/// Runs one probe process per size, prints a row each and returns the peaks; `None` when a
/// probe failed or its result was wrong.
fn memory_probes(
    title: &str,
    what: &str,
    sizes: Vec<usize>,
    run: impl Fn(usize) -> Result<ProbeResult, String>,
) -> Option<Vec<Option<u64>>> {
    println!("\n{title}:");
    println!("  {:>10} {:>9} {:>12}", what, "time", "peak RSS");
    let mut peaks = Vec::new();
    for n in sizes.into_iter().filter(|&n| n > 0) {
        match run(n) {
            Ok(ProbeResult {
                wrong: Some(problem),
                ..
            }) => {
                eprintln!("the probe for {n} {what} is wrong: {problem}");
                return None;
            }
            Ok(p) => {
                print_probe(p.count, p.elapsed, p.peak_rss_kib);
                peaks.push(p.peak_rss_kib);
            }
            Err(e) => {
                eprintln!("{e}");
                return None;
            }
        }
    }
    Some(peaks)
}

/// Runs the customer memory probes (a tenth, half, all); `false` when one failed.
fn customer_memory(customers: usize, figures: &mut Figures) -> bool {
    let peaks = memory_probes(
        &format!(
            "Peak memory of a customer backfill (concurrency {PROBE_CONCURRENCY}; the SQLite store; stand-ins that store nothing; one process each)"
        ),
        "customers",
        vec![customers / 10, customers / 2, customers],
        |n| {
            probe_in_child(n).map(|p| ProbeResult {
                count: p.customers,
                elapsed: p.elapsed,
                peak_rss_kib: p.peak_rss_kib,
                wrong: (p.failed != 0 || p.created != n as u64)
                    .then(|| format!("{} created, {} failed", p.created, p.failed)),
            })
        },
    );
    figures.customer_memory_ratio = peaks.as_deref().and_then(growth);
    peaks.is_some()
}

/// Runs the invoice memory probes (a tenth, then all); `false` when one failed.
fn invoice_memory(invoices: usize, figures: &mut Figures) -> bool {
    let peaks = memory_probes(
        &format!(
            "Peak memory of an invoice backfill in number order (concurrency {PROBE_CONCURRENCY}; the SQLite store; stand-ins that keep nothing; one process each)"
        ),
        "invoices",
        vec![invoices / 10, invoices],
        |n| {
            invoice_probe_in_child(n).map(|p| ProbeResult {
                count: p.invoices,
                elapsed: p.elapsed,
                peak_rss_kib: p.peak_rss_kib,
                wrong: (p.failed != 0 || p.booked != n as u64 || p.out_of_order != 0).then(|| {
                    format!(
                        "{} booked, {} failed, {} out of order",
                        p.booked, p.failed, p.out_of_order
                    )
                }),
            })
        },
    );
    figures.memory_ratio = peaks.as_deref().and_then(growth);
    peaks.is_some()
}

fn print_probe(count: usize, elapsed: Duration, peak: Option<u64>) {
    let peak = peak.map_or_else(|| "unknown".to_owned(), |k| format!("{:.1} MiB", mib(k)));
    println!(
        "  {:>10} {:>8.2}s {:>12}",
        thousands(count),
        elapsed.as_secs_f64(),
        peak
    );
}

/// The largest peak against the smallest, where the system told both.
fn growth(peaks: &[Option<u64>]) -> Option<f64> {
    match (peaks.first(), peaks.last()) {
        (Some(Some(small)), Some(Some(large))) if peaks.len() > 1 => {
            Some(*large as f64 / (*small).max(1) as f64)
        }
        _ => None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::MemoryProbe { customers }) => {
            return match probe(customers).await {
                Ok(p) => {
                    println!("{}", p.to_line());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            };
        }
        Ok(Command::InvoiceProbe { invoices }) => {
            return match probe_invoices(invoices).await {
                Ok(p) => {
                    println!("{}", p.to_line());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            };
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!(
            "note: a debug build; use `cargo run --release --bin bench_backfill` for figures"
        );
    }

    let mut figures = Figures::default();
    if let Err(e) = throughput(&options, &mut figures).await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = realistic(&options, &mut figures).await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    if options.memory_customers > 0 && !customer_memory(options.memory_customers, &mut figures) {
        return ExitCode::FAILURE;
    }
    if options.memory_invoices > 0 && !invoice_memory(options.memory_invoices, &mut figures) {
        return ExitCode::FAILURE;
    }
    print_targets(&figures);
    println!("{}", figures.line());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (100_000, "100,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
