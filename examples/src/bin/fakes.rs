//! Serves a seeded fake Moment and a fake DK+ on loopback from one process, so several
//! programs — and a person trying them — share one world without an account.
//!
//! ```sh
//! cargo run --bin fakes                      # the demo company
//! cargo run --bin fakes -- --invoices 500 --server-errors 20 --lost-answers 50
//! ```
//!
//! It prints the environment for the other programs (`export NAME='value'` lines, then a line
//! `# ready`); paste them into another terminal and run `backfill`, `webhook_receiver`,
//! `transfer_invoice` or `verify` against the fakes:
//!
//! ```sh
//! export MOMENT_BASE_URL='http://127.0.0.1:41234/api/public/v1' …
//! export STORE_URL=sqlite:try.db
//! cargo run --bin backfill -- 2020-01-01
//! ```
//!
//! With `--server-errors`, `--rate-limited`, `--lost-answers` and `--visibility-lag-ms` DK+
//! misbehaves at random, at those rates, as it may at peak times: the integration must still
//! book every invoice exactly once. Commands on stdin (`stats`, `calm`, `deliver URL…`, `quit`)
//! read the books, stop the faults, and send Moment's webhooks to receivers; `--help` lists
//! everything. Requests are counted, not recorded, so memory stays flat however long it runs.

use std::process::ExitCode;

use moment_dkplus_examples::fakes::{self, Fakes, FakesCommand, USAGE};
use moment_dkplus_examples::setup::init_logging;
use moment_dkplus_examples::shutdown::stop_signal;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Answers one stdin command with one line; `None` to stop.
async fn answer(fakes: &Fakes, line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    let reply = match words.next() {
        None => return Some(String::new()),
        Some("quit") => return None,
        Some("stats") => {
            serde_json::to_string(&fakes.books()).unwrap_or_else(|e| format!("error: {e}"))
        }
        Some("calm") => {
            fakes.calm();
            "ok calm".to_owned()
        }
        Some("deliver") => {
            let urls: Vec<String> = words.map(str::to_owned).collect();
            if urls.is_empty() {
                "error: deliver needs at least one URL".to_owned()
            } else {
                let delivery = fakes::deliver(fakes.invoice_webhooks(), &urls).await;
                format!(
                    "ok {}",
                    serde_json::to_string(&delivery).unwrap_or_default()
                )
            }
        }
        Some(other) => {
            format!("error: unknown command {other:?}: use stats, calm, deliver URL… or quit")
        }
    };
    Some(reply)
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("error");
    let options = match fakes::parse(std::env::args().skip(1)) {
        Ok(FakesCommand::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(FakesCommand::Run(options)) => options,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let fakes = match Fakes::start(&options).await {
        Ok(fakes) => fakes,
        Err(e) => {
            eprintln!("could not start the fakes: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, value) in fakes.environment() {
        println!("export {name}='{value}'");
    }
    println!(
        "# ready: {} invoices in Moment; commands on stdin: stats, calm, deliver URL…, quit",
        fakes.books().moment_invoices
    );

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            line = lines.next_line(), if stdin_open => match line {
                Ok(Some(line)) => match answer(&fakes, &line).await {
                    Some(reply) => println!("{reply}"),
                    None => break,
                },
                // No more commands (stdin closed, e.g. run in the background): keep serving.
                _ => stdin_open = false,
            },
            () = &mut stop => break,
        }
    }
    ExitCode::SUCCESS
}
