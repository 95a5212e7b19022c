//! Compares what Moment invoiced in a period with what DK+ holds, and shows what DK+ says is
//! paid. Reads both systems and writes nothing, so it is safe to run at any time.
//!
//! ```sh
//! export MOMENT_COMPANY=acme MOMENT_API_KEY=… DKPLUS_TOKEN=… DKPLUS_SALES_PERSON=vef
//! cargo run --bin reconcile -- --from 2026-11-01 --to 2026-11-30 --csv november.csv
//! ```
//!
//! It prints the differences as a table (amounts as `1.234.567,50`): Moment invoices missing in
//! DK+, DK+ invoices with a Moment-like reference and no Moment invoice, references DK+ holds
//! more than once, and customer, date, total or VAT that differ (both values shown). Then it
//! prints the payment state DK+ shows for each matched invoice. `--csv FILE` also writes every
//! row to a CSV file for a spreadsheet (`;` between fields, `,` before the decimals).
//!
//! Exit status: 0 when everything matched, 1 when there are differences, 2 when the settings
//! are wrong or a system could not be read to the end (then nothing is concluded).

use std::process::ExitCode;

use chrono::NaiveDate;
use moment_dkplus_examples::reconcile::{write_csv, write_table};
use moment_dkplus_examples::setup::{from_env_with_store, init_logging};
use moment_dkplus_mapping::SyncEngine;
use moment_dkplus_mapping::reconcile::Period;

const USAGE: &str = "\
usage: reconcile --from YYYY-MM-DD --to YYYY-MM-DD [--csv FILE]

Compares Moment's issued invoices and credit notes dated in the period with DK+'s sales
invoices of the same dates, and shows what DK+ says is paid. Writes nothing.
Settings: the environment variables of `verify` (MOMENT_COMPANY, MOMENT_API_KEY, DKPLUS_TOKEN,
DKPLUS_SALES_PERSON, STORE_URL, …; see docs/configuration.md).
Exit status: 0 everything matched, 1 differences, 2 wrong settings or a system not read.";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    period: Period,
    csv: Option<std::path::PathBuf>,
}

fn request(args: &[String]) -> Result<Option<Request>, String> {
    let (mut from, mut to, mut csv) = (None, None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--from" => from = Some(value("--from")?),
            "--to" => to = Some(value("--to")?),
            "--csv" => csv = Some(value("--csv")?.into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let day = |name: &str, value: Option<String>| -> Result<NaiveDate, String> {
        let value = value.ok_or_else(|| format!("{name} is missing"))?;
        NaiveDate::parse_from_str(&value, "%Y-%m-%d")
            .map_err(|_| format!("{name} {value:?} is not a date like 2026-11-30"))
    };
    let period = Period::new(day("--from", from)?, day("--to", to)?)?;
    Ok(Some(Request { period, csv }))
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("warn");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let request = match request(&args) {
        Ok(Some(request)) => request,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (setup, store) = match from_env_with_store().await {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let engine = SyncEngine::new(setup.moment, setup.dkplus, setup.config)
        .with_store(store, setup.scope.clone());
    let report = match engine.reconcile(request.period).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e}; nothing is concluded — run it again when both systems answer");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = write_table(&mut out, &report) {
        eprintln!("cannot write the table: {e}");
        return ExitCode::from(2);
    }
    if let Some(path) = &request.csv {
        let written = std::fs::File::create(path).and_then(|file| {
            let mut file = std::io::BufWriter::new(file);
            write_csv(&mut file, &report)?;
            std::io::Write::flush(&mut file)
        });
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_period_and_the_csv_file_are_read_and_bad_ones_named() {
        let asked = request(&args(&[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--csv",
            "x.csv",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(asked.period.from.to_string(), "2026-11-01");
        assert_eq!(asked.csv.as_deref(), Some(std::path::Path::new("x.csv")));
        assert!(
            request(&args(&["--from", "2026-11-31", "--to", "2026-12-01"]))
                .unwrap_err()
                .contains("--from \"2026-11-31\" is not a date")
        );
        assert!(
            request(&args(&["--from", "2026-12-01", "--to", "2026-11-01"]))
                .unwrap_err()
                .contains("ends")
        );
        assert!(
            request(&args(&["--to", "2026-12-01"]))
                .unwrap_err()
                .contains("--from is missing")
        );
        assert_eq!(request(&args(&["--help"])).unwrap(), None);
    }
}
