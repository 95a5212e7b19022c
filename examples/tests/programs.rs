//! The real-service programs, run as compiled binaries against the fake Moment and fake DK+ on
//! loopback (pointed there with `MOMENT_BASE_URL` and `DKPLUS_BASE_URL`).

use std::process::Command;

use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};

struct Output {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

async fn demo_world() -> FakeWorld {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@nordurljos.is")
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    DemoCompany::seed(&world);
    world
}

/// A store file of the test's own (programs share it as they would in production).
fn store_url(test: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "moment-dkplus-programs-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}", dir.join("state.db").display())
}

fn env_for(world: &FakeWorld, store_url: &str) -> Vec<(String, String)> {
    [
        ("STORE_URL", store_url.to_owned()),
        ("MOMENT_COMPANY", world.moment.company_code()),
        ("MOMENT_API_KEY", world.moment.api_key()),
        ("MOMENT_BASE_URL", world.moment.uri()),
        ("DKPLUS_TOKEN", world.dkplus.token().to_owned()),
        ("DKPLUS_BASE_URL", world.dkplus.uri()),
        ("DKPLUS_SALES_PERSON", "vef".to_owned()),
        ("ERROR_EMAIL", "bokhald@nordurljos.is".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs a program with exactly `env` as its environment (the fakes keep serving meanwhile).
async fn run(program: &'static str, args: &[&str], env: Vec<(String, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .args(args)
            .env_clear()
            .envs(env)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    Output {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const VERIFY: &str = env!("CARGO_BIN_EXE_verify");
const TRANSFER: &str = env!("CARGO_BIN_EXE_transfer_invoice");
const BACKFILL: &str = env!("CARGO_BIN_EXE_backfill");
const RECONCILE: &str = env!("CARGO_BIN_EXE_reconcile");

fn references(world: &FakeWorld) -> Vec<String> {
    let mut refs: Vec<String> = world
        .dkplus
        .invoices()
        .iter()
        .filter_map(|i| i.reference.clone())
        .collect();
    refs.sort();
    refs
}

fn dkplus_writes(world: &FakeWorld) -> u64 {
    world
        .dkplus
        .counts()
        .iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_ready_against_a_working_setup() {
    let world = demo_world().await;
    let store = store_url("verify-ready");
    let out = run(VERIFY, &[], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(out.stdout.contains("Ready"), "{out:?}");
    assert!(
        out.stdout.contains("Sales person on invoices: vef"),
        "{out:?}"
    );
    assert_eq!(dkplus_writes(&world), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_every_problem_and_never_shows_a_secret() {
    let world = demo_world().await;
    let store = store_url("verify-problems");
    let mut env = env_for(&world, &store);
    for (name, value) in &mut env {
        match name.as_str() {
            "DKPLUS_TOKEN" => *value = "wrong-dkplus-token-7f3a9c".into(),
            "MOMENT_API_KEY" => *value = "wrong-moment-key-2b8e1d".into(),
            "DKPLUS_SALES_PERSON" => *value = "nobody".into(),
            _ => {}
        }
    }
    let out = run(VERIFY, &[], env).await;
    assert_eq!(out.status, Some(1), "{out:?}");
    // One problem line per system (the wording is the engine's).
    assert!(
        out.stdout.contains("the integration is not ready"),
        "{out:?}"
    );
    assert!(out.stdout.contains("\n  - DK+ "), "{out:?}");
    assert!(out.stdout.contains("\n  - Moment "), "{out:?}");
    for secret in ["wrong-dkplus-token-7f3a9c", "wrong-moment-key-2b8e1d"] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{out:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_settings_are_listed_before_anything_is_sent() {
    let out = run(VERIFY, &[], Vec::new()).await;
    assert_eq!(out.status, Some(2), "{out:?}");
    for name in [
        "MOMENT_COMPANY",
        "MOMENT_API_KEY",
        "DKPLUS_TOKEN",
        "DKPLUS_SALES_PERSON",
    ] {
        assert!(
            out.stderr.contains(&format!("{name} is not set")),
            "{out:?}"
        );
    }
    let out = run(TRANSFER, &["not-an-id"], Vec::new()).await;
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(out.stderr.contains("is not a Moment id"), "{out:?}");
    let out = run(BACKFILL, &["yesterday"], Vec::new()).await;
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(out.stderr.contains("is not a date"), "{out:?}");
    let out = run(BACKFILL, &["--help"], Vec::new()).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(out.stdout.starts_with("usage: backfill"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_invoice_dry_run_prints_the_requests_and_writes_nothing() {
    let world = demo_world().await;
    let store = store_url("transfer-dry-run");
    let out = run(TRANSFER, &["501", "--dry-run"], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(dkplus_writes(&world), 0, "{:?}", world.dkplus.counts());
    assert!(world.dkplus.invoices().is_empty());
    assert!(
        out.stdout.contains("invoice 1001 [Moment id 501]"),
        "{out:?}"
    );
    for request in [
        "POST /Customer",
        "POST /project",
        "POST /product",
        "POST /sales/invoice?post=true",
    ] {
        assert!(out.stdout.contains(request), "{request}: {out:?}");
    }
    assert!(out.stdout.contains("\"1001\""), "the reference: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_invoice_posts_once_and_reports_a_second_run_as_already_there() {
    let world = demo_world().await;
    let store = store_url("transfer-once");
    let out = run(TRANSFER, &["501"], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert_eq!(references(&world), ["1001"]);
    let number = world.dkplus.invoices()[0].number.clone().unwrap();
    assert!(
        out.stdout.contains(&format!(
            "invoice 1001 [Moment id 501] → DK+ {number}: posted"
        )),
        "{out:?}"
    );

    let again = run(TRANSFER, &["501"], env_for(&world, &store)).await;
    assert_eq!(again.status, Some(0), "{again:?}");
    assert_eq!(references(&world), ["1001"], "posted once");
    assert!(again.stdout.contains("already in DK+"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_invoice_prints_the_failure_report_for_an_invoice_that_cannot_go() {
    let world = demo_world().await;
    let store = store_url("transfer-failure");
    let out = run(TRANSFER, &["504"], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(1), "{out:?}");
    assert!(world.dkplus.invoices().is_empty());
    assert!(out.stdout.contains("FAILED"), "{out:?}");
    assert!(out.stdout.contains("kennitala"), "{out:?}");
    assert!(out.stdout.contains("To: bokhald@nordurljos.is"), "{out:?}");
    assert!(out.stdout.contains("\nSubject: "), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_dry_run_plans_every_write_and_sends_none() {
    let world = demo_world().await;
    let store = store_url("backfill-dry-run");
    let out = run(
        BACKFILL,
        &["2020-01-01", "--dry-run"],
        env_for(&world, &store),
    )
    .await;
    assert_eq!(out.status, Some(1), "invoice 1004 fails: {out:?}");
    assert_eq!(dkplus_writes(&world), 0, "{:?}", world.dkplus.counts());
    assert_eq!(
        out.stdout.matches("POST /sales/invoice?post=true").count(),
        3,
        "{out:?}"
    );
    assert!(
        out.stdout.contains("run again without --dry-run"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_transfers_the_company_shows_progress_and_a_second_run_adds_nothing() {
    let world = demo_world().await;
    let store = store_url("backfill");
    let out = run(BACKFILL, &["2020-01-01"], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(1), "invoice 1004 fails: {out:?}");
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    // Not a terminal: plain progress lines, the failure as it happened, a last line.
    assert!(
        out.stderr.contains("invoice 1004 [Moment id 504]: FAILED"),
        "{out:?}"
    );
    assert!(out.stderr.contains("done: "), "{out:?}");
    assert!(out.stderr.contains("invoices 5, products 2"), "{out:?}");
    assert!(out.stdout.contains("---- failure report"), "{out:?}");
    assert!(
        out.stdout.contains(
            "Next run: backfill (continues from here and tries the failed objects again once fixed)"
        ),
        "{out:?}"
    );

    // Without a date it continues from the store, and tries invoice 1004 again.
    let again = run(BACKFILL, &[], env_for(&world, &store)).await;
    assert_eq!(again.status, Some(1), "invoice 1004 still fails: {again:?}");
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{again:?}");
    assert!(again.stdout.contains("Summary: 0 created"), "{again:?}");
    assert!(again.stdout.contains("invoice 1004"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_without_a_date_needs_an_earlier_run_in_the_store() {
    let world = demo_world().await;
    let store = store_url("backfill-first");
    let out = run(BACKFILL, &[], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("give a start date the first time"),
        "{out:?}"
    );
    assert_eq!(dkplus_writes(&world), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_runs_two_passes_and_passes_its_own_checks() {
    let out = run(env!("CARGO_BIN_EXE_demo"), &[], Vec::new()).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    let text = &out.stdout;
    for expected in [
        "customer 10003 Fjallasýn hf. — no kennitala",
        "surcharge 12.5 %",
        "no product: item code from the account's VAT code",
        "== First pass",
        "---- failure report (as it would be e-mailed) ----",
        "To: bokhald@nordurljos.is",
        "DK+ now holds these sales invoices:",
        "== Second pass",
        "Summary: 0 created, 0 updated",
        "The demo behaved as designed.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {out:?}");
    }
    assert!(!text.contains("[FAILED]"), "{out:?}");
    // The surcharge is folded into the unit price in DK+: 18 500 × 1.125.
    assert!(text.contains("4 × 20812.5"), "{out:?}");
}

#[test]
fn the_receiver_lists_every_setting_with_its_variable() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_webhook_receiver"))
        .arg("--help")
        .env_clear()
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    // Every variable the receiver reads: each quoted upper-case name in the files that read
    // them, so a new setting cannot be left out of --help.
    let mut variables = vec!["RUST_LOG".to_owned()];
    for file in ["src/setup.rs", "src/webhook/mod.rs", "src/notify.rs"] {
        let text =
            std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for quoted in text.split('"').skip(1).step_by(2) {
            if quoted.len() >= 4
                && quoted.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !variables.iter().any(|v| v == quoted)
            {
                variables.push(quoted.to_owned());
            }
        }
    }
    assert!(variables.len() > 20, "{variables:?}");
    for variable in &variables {
        assert!(
            help.contains(variable.as_str()),
            "--help does not list {variable}"
        );
    }
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_webhook_receiver"))
        .arg("--port")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("unknown argument \"--port\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_prints_the_differences_writes_csv_and_says_so_in_its_exit_status() {
    let world = demo_world().await;
    let store = store_url("reconcile");
    let out = run(BACKFILL, &["2026-01-01"], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(1), "1004 needs a person: {out:?}");
    let writes = dkplus_writes(&world);
    let csv = std::env::temp_dir().join(format!(
        "moment-dkplus-reconcile-{}.csv",
        std::process::id()
    ));
    let csv_arg = csv.display().to_string();
    let november = [
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--csv",
        csv_arg.as_str(),
    ];
    let out = run(RECONCILE, &november, env_for(&world, &store)).await;
    assert_eq!(out.status, Some(1), "1004 is missing in DK+: {out:?}");
    assert!(out.stdout.contains("In Moment, not in DK+:"), "{out:?}");
    assert!(out.stdout.contains("1004"), "{out:?}");
    // Icelandic amounts: 1001's 317 650 without VAT is booked with VAT as 393.886,00.
    assert!(out.stdout.contains("393.886,00"), "{out:?}");
    assert!(
        out.stdout
            .contains("Payments in DK+ of the 3 matched invoices"),
        "{out:?}"
    );
    let written = std::fs::read_to_string(&csv).unwrap();
    let mut lines = written.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("finding;reference;moment_id")
    );
    assert!(written.contains("missing_in_dkplus;1004;504"), "{written}");
    assert_eq!(written.matches("\nmatched;").count(), 3, "{written}");
    assert!(
        written.contains("matched;1001;501;100001;;;;393886,00;0,00;393886,00;open"),
        "{written}"
    );
    let _ = std::fs::remove_file(&csv);
    assert_eq!(dkplus_writes(&world), writes, "reconcile writes nothing");

    // Once 1004 is in, everything matches: exit status 0.
    world
        .moment
        .update_customer(moment_client::CustomerId::new(103), |c| {
            c.organization_number = Some("560907-1330".into())
        });
    world
        .moment
        .update_invoice(moment_client::InvoiceId::new(504), |_| {});
    let out = run(BACKFILL, &[], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    let out = run(RECONCILE, &november[..4], env_for(&world, &store)).await;
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(out.stdout.contains("everything matches"), "{out:?}");

    let out = run(
        RECONCILE,
        &["--from", "2026-11-31", "--to", "2026-12-01"],
        env_for(&world, &store),
    )
    .await;
    assert_eq!(out.status, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("--from \"2026-11-31\" is not a date"),
        "{out:?}"
    );
}
