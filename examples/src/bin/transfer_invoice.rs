//! Transfers one Moment invoice (or credit note) to DK+ by its Moment id, with its customer,
//! project and products when DK+ does not have them yet.
//!
//! ```sh
//! export MOMENT_COMPANY=acme MOMENT_API_KEY=… DKPLUS_TOKEN=… DKPLUS_SALES_PERSON=vef
//! cargo run --bin transfer_invoice -- 106939080 --dry-run   # prints what would be sent
//! cargo run --bin transfer_invoice -- 106939080             # sends it
//! ```
//!
//! The id is the number in the invoice's address in Moment. An invoice DK+ already has (same
//! reference, customer and total) is reported as "already in DK+" and not posted again, so
//! running this twice is safe. A draft is refused: finalize it in Moment first.
//!
//! `--dry-run` reads from Moment and DK+ but writes nothing: it prints every request it would
//! have sent (customer, project, products, the invoice) with its JSON body.
//!
//! Prints the outcome (Moment number → DK+ number), warnings, and the failure report as it
//! would be e-mailed. Variables: see `examples/src/setup.rs`.
//!
//! Exit status: 0 transferred (or already there), 1 not transferred, 2 bad arguments or
//! settings.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use moment_client::{InvoiceId, MomentClient};
use moment_dkplus_examples::args::{self, Parsed};
use moment_dkplus_examples::report::{write_failure_report, write_planned, write_report};
use moment_dkplus_examples::setup::{from_env_with_store, init_logging};
use moment_dkplus_mapping::{CollectingNotifier, DkPlusTarget, DryRun, SyncEngine, SyncReport};

const USAGE: &str = "usage: transfer_invoice <moment-invoice-id> [--dry-run]";

async fn transfer<D: DkPlusTarget>(
    engine: &SyncEngine<MomentClient, D>,
    id: InvoiceId,
) -> SyncReport {
    engine.transfer_invoice(id).await
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
    let id = match args.positional.first().map(|id| args::parse_id(id)) {
        Some(Ok(id)) => InvoiceId::new(id),
        Some(Err(e)) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("the Moment invoice id is missing\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Through the store like every other program: its ledger keeps the invoice single when a
    // receiver or a backfill handles it at the same time.
    let (setup, store) = match from_env_with_store().await {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let notifier = Arc::new(CollectingNotifier::new());
    let dry_run = args.flag("dry-run");
    let (report, planned) = if dry_run {
        let engine = SyncEngine::new(setup.moment, DryRun::new(setup.dkplus), setup.config)
            .with_store(store, setup.scope.clone())
            .with_notifier(notifier.clone());
        let report = transfer(&engine, id).await;
        (report, Some(engine.dkplus().planned()))
    } else {
        let engine = SyncEngine::new(setup.moment, setup.dkplus, setup.config)
            .with_store(store, setup.scope.clone())
            .with_notifier(notifier.clone());
        (transfer(&engine, id).await, None)
    };

    let mut out = std::io::stdout().lock();
    let printed = (|| {
        if dry_run {
            writeln!(
                out,
                "Dry run: Moment invoice id {id}; nothing is written to DK+."
            )?;
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
