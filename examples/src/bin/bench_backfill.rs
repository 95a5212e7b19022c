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
//! over loopback HTTP at each concurrency (default 1, 4 and 16), each time against a fresh, empty
//! DK+. For each run it prints invoices per second, requests per invoice, the ideal bound
//! (latency × requests ÷ concurrency: all waiting overlapped, nothing else costing time) and the
//! ratio of the real time to it. A naive baseline follows for comparison: the invoices listed,
//! then transferred one at a time, each transfer a run of its own with empty caches (default the
//! first 100 invoices).
//!
//! Then the peak-memory probe: customer backfills of 10 %, 50 % and 100 % of
//! `--memory-customers` (default 100,000) against stand-ins that store nothing, each in a process
//! of its own, with the peak resident set size of each (Linux). Flat means the largest backfill
//! peaks where the smallest does.
//!
//! After every run DK+ is checked: each invoice exactly once, with the right customer and total.
//! Exit status: 0 when every run was correct, 1 when one was not (the figures are then
//! meaningless), 2 for bad arguments. Missed performance targets are reported, not failed: the
//! figures depend on the machine. Build with `--release`; figures of a debug build mean little.
//! `docs/performance.md` has the figures of a reference run.

use std::process::ExitCode;
use std::time::Duration;

use moment_dkplus_examples::bench::backfill::{
    BenchError, Measurement, Posting, measure_backfill, round_trip,
};
use moment_dkplus_examples::bench::memory::{PROBE_CONCURRENCY, Probe, probe, probe_in_child};
use moment_dkplus_examples::bench::naive::measure_naive;
use moment_dkplus_examples::bench::options::{self, Command, Options, USAGE};

/// At most this many requests per invoice (both systems, everything included).
const TARGET_REQUESTS_PER_INVOICE: f64 = 3.0;
/// At concurrency 16, at most this far from the ideal bound.
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

/// The measured runs, each with the round trip of a trivial request at its concurrency.
type Runs = Vec<(Measurement, Duration)>;

/// Runs the throughput part: the backfills, then the naive baseline.
async fn throughput(
    options: &Options,
) -> Result<(Runs, Option<(Measurement, Duration)>), BenchError> {
    print_header(options);
    let mut runs = Vec::new();
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
        runs.push((m, rtt));
    }
    // The default configuration: posts one at a time in Moment's number order.
    if let Some(&widest) = options.concurrencies.iter().max() {
        let rtt = round_trip(options.latency, widest, CALIBRATION_ROUNDS).await?;
        let m =
            measure_backfill(&options.workload, options.latency, widest, Posting::InOrder).await?;
        print_row(
            &format!("in number order, conc. {widest}"),
            &m,
            options.latency,
            rtt,
        );
    }
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
        baseline = Some((m, rtt));
    }
    Ok((runs, baseline))
}

fn print_targets(runs: &Runs, baseline: Option<&Measurement>, latency: Duration) {
    let Some((widest, rtt)) = runs
        .iter()
        .find(|(m, _)| m.concurrency == 16)
        .or_else(|| runs.iter().max_by_key(|(m, _)| m.concurrency))
    else {
        return;
    };
    print_breakdown(widest);
    println!("\nTargets:");
    let worst = runs
        .iter()
        .map(|(m, _)| m.requests_per_invoice())
        .fold(0.0, f64::max);
    println!(
        "  at most {TARGET_REQUESTS_PER_INVOICE} requests per invoice: {worst:.2} at worst — {}",
        verdict(worst <= TARGET_REQUESTS_PER_INVOICE)
    );
    if let Some(ratio) = widest.ratio_to_ideal(latency) {
        println!(
            "  within {TARGET_RATIO_AT_16}× of the ideal bound at concurrency {}: {ratio:.2}× — {}",
            widest.concurrency,
            verdict(ratio <= TARGET_RATIO_AT_16)
        );
    }
    if let Some(calibrated) = widest.ratio_to_ideal(*rtt) {
        println!(
            "    (a trivial request took {:.2} ms here instead of {} ms; against that, {calibrated:.2}×)",
            rtt.as_secs_f64() * 1000.0,
            latency.as_millis()
        );
    }
    if let Some(base) = baseline {
        println!(
            "  against the naive baseline: {:.1}× fewer requests per invoice, {:.1}× the invoices per second at concurrency {}",
            base.requests_per_invoice() / widest.requests_per_invoice().max(f64::EPSILON),
            widest.invoices_per_second() / base.invoices_per_second().max(f64::EPSILON),
            widest.concurrency
        );
    }
}

/// Runs the memory probes; `false` when one failed.
fn memory(customers: usize) -> bool {
    let mut sizes = vec![customers / 10, customers / 2, customers];
    sizes.retain(|&n| n > 0);
    sizes.dedup();
    println!(
        "\nPeak memory of a customer backfill (concurrency {PROBE_CONCURRENCY}; stand-ins that store nothing; one process each):"
    );
    println!("  {:>10} {:>9} {:>12}", "customers", "time", "peak RSS");
    let mut probes: Vec<Probe> = Vec::new();
    for n in sizes {
        match probe_in_child(n) {
            Ok(p) if p.failed == 0 && p.created == n as u64 => {
                let peak = p
                    .peak_rss_kib
                    .map_or_else(|| "unknown".to_owned(), |k| format!("{:.1} MiB", mib(k)));
                println!(
                    "  {:>10} {:>8.2}s {:>12}",
                    thousands(p.customers),
                    p.elapsed.as_secs_f64(),
                    peak
                );
                probes.push(p);
            }
            Ok(p) => {
                eprintln!(
                    "the probe for {n} customers is wrong: {} created, {} failed",
                    p.created, p.failed
                );
                return false;
            }
            Err(e) => {
                eprintln!("{e}");
                return false;
            }
        }
    }
    if let (Some(first), Some(last)) = (probes.first(), probes.last())
        && let (Some(small), Some(large)) = (first.peak_rss_kib, last.peak_rss_kib)
        && probes.len() > 1
    {
        let growth = large as f64 / small.max(1) as f64;
        println!(
            "  flat: {} customers peak at {growth:.2}× the peak of {} (at most {TARGET_MEMORY_GROWTH}×) — {}",
            thousands(last.customers),
            thousands(first.customers),
            verdict(growth <= TARGET_MEMORY_GROWTH)
        );
    } else if probes.iter().any(|p| p.peak_rss_kib.is_none()) {
        println!("  (this system does not report peak memory: /proc/self/status is Linux only)");
    }
    true
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

    let (runs, baseline) = match throughput(&options).await {
        Ok(measured) => measured,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    print_targets(&runs, baseline.as_ref().map(|(m, _)| m), options.latency);
    if options.memory_customers > 0 && !memory(options.memory_customers) {
        return ExitCode::FAILURE;
    }
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
