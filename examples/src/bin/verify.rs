//! Checks the integration's settings against the real Moment and DK+, and writes nothing.
//!
//! ```sh
//! export MOMENT_COMPANY=acme MOMENT_API_KEY=… DKPLUS_TOKEN=… DKPLUS_SALES_PERSON=vef
//! cargo run --bin verify
//! ```
//!
//! It checks that DK+ accepts the token and reaches the company's data, that the sales person
//! exists in DK+, that Moment accepts the company code and API key, and that the sync state
//! store (`STORE_URL`) opens (creating its tables); it lists every problem with what to do. The variables are described in `examples/src/setup.rs` (also
//! `ERROR_EMAIL`, `CONCURRENCY`, `MOMENT_BASE_URL`, `MOMENT_PAGE_BASE`, `DKPLUS_BASE_URL`).
//!
//! Exit status: 0 ready, 1 a problem was found, 2 the settings are incomplete.

use std::process::ExitCode;

use moment_dkplus_examples::args::{self, Parsed};
use moment_dkplus_examples::setup::{Setup, init_logging};
use moment_dkplus_mapping::SyncEngine;

const USAGE: &str = "usage: verify\n\
    Checks MOMENT_COMPANY, MOMENT_API_KEY, DKPLUS_TOKEN and DKPLUS_SALES_PERSON against the \
    real services; writes nothing.";

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("error");
    match args::parse(std::env::args().skip(1), &[], 0) {
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(_)) => {}
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let setup = match Setup::from_env() {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "Moment: company {} at {}",
        setup.moment.company_code(),
        setup.moment.base_url()
    );
    println!("DK+: {}", setup.dkplus.base_url());
    if let Some(person) = setup.config.sales_person() {
        println!("Sales person on invoices: {person}");
    }
    println!(
        "Failure reports to: {}",
        setup
            .config
            .error_email()
            .unwrap_or("(ERROR_EMAIL not set)")
    );
    println!("Sync state: {} as {}", setup.store_url, setup.scope);
    let store = setup.open_store().await;
    let engine = SyncEngine::new(setup.moment, setup.dkplus, setup.config);
    let verified = engine.verify().await;
    if let Err(e) = &verified {
        println!("{e}");
    }
    if let Err(e) = &store {
        println!("The sync state store cannot be used: {e}");
    }
    if verified.is_ok() && store.is_ok() {
        println!(
            "Ready: DK+ accepts the token, the sales person exists, Moment accepts the key, the store is ready."
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
