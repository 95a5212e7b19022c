//! Transfers everything changed in Moment since a date: customers, then projects, then
//! finalized invoices and credit notes, with progress shown as it goes — and then, from the
//! second run on, continues where the last run left off.
//!
//! ```sh
//! export MOMENT_COMPANY=acme MOMENT_API_KEY=… DKPLUS_TOKEN=… DKPLUS_SALES_PERSON=vef
//! cargo run --bin backfill -- 2026-01-01 --dry-run   # prints what would be sent
//! cargo run --bin backfill -- 2026-01-01             # sends it
//! cargo run --bin backfill                           # later: continues from the store
//! ```
//!
//! The date is `2026-01-01` (midnight UTC) or an RFC 3339 time (`2026-01-01T08:00:00Z`).
//! Without a date it continues from where the store says the last run got to (the store's
//! cursor), and tries again every object an earlier run could not transfer. Several backfills
//! and receivers may run at once against one store (`STORE_URL`; PostgreSQL for several
//! machines): the store's invoice ledger lets each invoice be posted once. An invoice whose
//! post was cut off is looked up by its reference before anything else and sent only if it is
//! still missing once DK+ had time to show it.
//!
//! The first run against a DK+ that already holds invoices (a company moving from Moment's
//! built-in integration) first reads DK+'s invoices into the ledger, so none is posted twice.
//!
//! Progress goes to stderr: a live line on a terminal, a plain line every 100 objects (or 10
//! seconds) otherwise; each failure is printed as it happens. Only failed objects and objects
//! with warnings are kept for the final report, so memory stays flat in a long backfill.
//! `CONCURRENCY` (1 to 64, default 4) sets how many objects are transferred at the same time.
//!
//! `--dry-run` reads from Moment, DK+ and the store but writes nothing, and prints every
//! request it would have sent with its JSON body (kept in memory until the end: use it on a
//! bounded range).
//!
//! At the end it prints the summary and the failure report as it would be e-mailed.
//! Variables: see `examples/src/setup.rs`.
//!
//! Exit status: 0 everything went through, 1 something failed, 2 bad arguments or settings.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use moment_client::MomentClient;
use moment_dkplus_examples::args::{self, Parsed};
use moment_dkplus_examples::progress::Progress;
use moment_dkplus_examples::report::{write_failure_report, write_planned, write_report};
use moment_dkplus_examples::setup::{from_env_with_store, init_logging};
use moment_dkplus_mapping::{
    CollectingNotifier, DkPlusTarget, DryRun, Retention, SyncEngine, SyncReport,
};

const USAGE: &str = "usage: backfill [<since: 2026-01-01 or 2026-01-01T08:00:00Z>] [--dry-run]\n\
     without a date it continues where the last run got to";

async fn backfill<D: DkPlusTarget>(
    engine: &SyncEngine<MomentClient, D>,
    since: DateTime<Utc>,
) -> SyncReport {
    let progress = Progress::for_stderr();
    let report = engine
        .catch_up_from(since, Retention::ProblemsOnly, Some(&progress))
        .await;
    progress.finish();
    report
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("error");
    let args = match args::parse(std::env::args().skip(1), &["dry-run"], 1) {
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(args)) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let given = match args.positional.first().map(|s| args::parse_since(s)) {
        Some(Ok(since)) => Some(since),
        Some(Err(e)) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let (setup, store) = match from_env_with_store().await {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let since = match given {
        Some(since) => since,
        None => match store.cursor(&setup.scope).await {
            Ok(Some(cursor)) => cursor,
            Ok(None) => {
                eprintln!(
                    "the store ({}) has no earlier run for {} to continue from: give a start date the first time\n{USAGE}",
                    setup.store_url, setup.scope
                );
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("STORE_URL ({}): {}", setup.store_url, e.message);
                return ExitCode::from(2);
            }
        },
    };
    let dry_run = args.flag("dry-run");
    eprintln!(
        "Backfill of everything changed in Moment since {}{}",
        since.to_rfc3339(),
        if dry_run {
            " (dry run: nothing is written to DK+ or the store)"
        } else {
            ""
        }
    );
    let notifier = Arc::new(CollectingNotifier::new());
    let (report, planned) = if dry_run {
        let engine = SyncEngine::new(setup.moment, DryRun::new(setup.dkplus), setup.config)
            .with_store(store, setup.scope.clone())
            .with_notifier(notifier.clone());
        let report = backfill(&engine, since).await;
        (report, Some(engine.dkplus().planned()))
    } else {
        let engine = SyncEngine::new(setup.moment, setup.dkplus, setup.config)
            .with_store(store, setup.scope.clone())
            .with_notifier(notifier.clone());
        (backfill(&engine, since).await, None)
    };

    let mut out = std::io::stdout().lock();
    let printed = (|| {
        if !report.outcomes.is_empty() {
            writeln!(out, "Objects that failed or have warnings:")?;
        }
        write_report(&mut out, &report)?;
        if let Some(planned) = &planned {
            writeln!(out)?;
            write_planned(&mut out, planned)?;
        }
        for failure_report in notifier.reports() {
            writeln!(out)?;
            write_failure_report(&mut out, &failure_report)?;
        }
        writeln!(out)?;
        if dry_run {
            writeln!(out, "Dry run: run again without --dry-run to send it.")?;
        } else if report.is_clean() {
            writeln!(out, "Next run: backfill (continues from here)")?;
        } else {
            writeln!(
                out,
                "Next run: backfill (continues from here and tries the failed objects again once fixed)"
            )?;
        }
        std::io::Result::Ok(())
    })();
    if let Err(e) = printed {
        eprintln!("could not print the report: {e}");
    }
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
