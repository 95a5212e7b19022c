//! The DK+ token and the Moment API key never show: a failing run (faults, refused
//! credentials, bad configuration, a bad webhook) is captured whole — every tracing event and
//! span field at TRACE level, and the Debug and Display text of every client, builder, engine,
//! report, e-mail and error it produced — and searched for the secrets, also the Basic-auth
//! form of the key.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use dkplus_client::DkPlusClient;
use dkplus_client::testing::{AfterStore, Failure, FakeDkPlus};
use moment_client::testing::FakeMoment;
use moment_client::{InvoiceId, MomentClient};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{IntegrationConfig, SyncEngine};
use tracing_subscriber::fmt::format::FmtSpan;

const DK_TOKEN: &str = "dkTOKENsecret7f3a9c1e";
const MOMENT_KEY: &str = "momentKEYsecret5b2d8e4f";
const WRONG_DK_TOKEN: &str = "dkWRONGsecret0c1d2e3f";
const WRONG_MOMENT_KEY: &str = "momentWRONGsecret9e8f7a6b";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every form in which a secret could leak.
fn needles() -> Vec<String> {
    let mut needles = Vec::new();
    for secret in [DK_TOKEN, WRONG_DK_TOKEN] {
        needles.push(secret.to_owned());
        // Any 8-character piece of it.
        needles.push(secret[secret.len() - 8..].to_owned());
    }
    for key in [MOMENT_KEY, WRONG_MOMENT_KEY] {
        needles.push(key.to_owned());
        needles.push(key[key.len() - 8..].to_owned());
        needles.push(STANDARD.encode(format!("apikey:{key}")));
    }
    needles
}

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@example.is")
        .build()
        .expect("valid configuration")
}

/// Text of an error and its sources, Display and Debug.
fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{error}\n{error:?}\n");
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(&format!("{e}\n{e:?}\n"));
        source = e.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_spans_errors_reports_or_debug_output() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let mut seen = String::new();
    let dkplus = FakeDkPlus::builder().token(DK_TOKEN).start().await;
    let moment = FakeMoment::builder().api_key(MOMENT_KEY).start().await;
    let world = FakeWorld::assemble(
        moment,
        dkplus,
        config(),
        |m| m.timeout(Duration::from_millis(400)),
        |d| d.timeout(Duration::from_millis(400)),
    )
    .expect("fakes wired");
    DemoCompany::seed(&world);
    seen.push_str(&format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        world.engine,
        world.engine.moment(),
        world.engine.dkplus(),
        world.moment.client_builder(),
        world.dkplus.client_builder(),
    ));

    // A run with good credentials under faults: 5xx pages, 503s past the retries, a slow
    // answer, an invoice whose answer is lost, Moment failing too.
    world.dkplus.fail_next_with(2, Failure::status(500).html());
    world.dkplus.fail_next(6, 503);
    world.dkplus.delay_next(1, Duration::from_secs(1));
    world
        .dkplus
        .store_then_fail_next_invoice(AfterStore::Status(502));
    world.moment.fail_next(2, 500);
    let since = Utc::now() - chrono::Duration::days(30);
    let mut reports = vec![world.engine.backfill(since).await];
    reports.push(world.engine.transfer_invoice(InvoiceId::new(999_999)).await);
    match moment_client::webhook::parse(b"{\"event\": 5") {
        Ok(event) => reports.push(world.engine.handle_webhook(&event).await),
        Err(e) => seen.push_str(&error_text(&e)),
    }

    // Refused credentials on both sides.
    let wrong_moment = world
        .moment
        .client_builder()
        .api_key(WRONG_MOMENT_KEY)
        .build()
        .expect("a well-formed key");
    let wrong_dkplus = world
        .dkplus
        .client_builder()
        .token(WRONG_DK_TOKEN)
        .build()
        .expect("a well-formed token");
    let refused =
        SyncEngine::new(wrong_moment, wrong_dkplus, config()).with_notifier(world.notifier.clone());
    let verify = refused.verify().await.expect_err("credentials refused");
    seen.push_str(&error_text(&verify));
    reports.push(refused.backfill(since).await);
    reports.push(refused.transfer_invoice(InvoiceId::new(501)).await);
    seen.push_str(&format!("{refused:?}\n"));

    // Secrets that are not even valid settings.
    let bad_token = format!("{DK_TOKEN}\nX-Injected: 1");
    let err = DkPlusClient::builder()
        .token(bad_token)
        .build()
        .expect_err("a line break cannot go into a header");
    seen.push_str(&error_text(&err));
    let bad_key = format!("{MOMENT_KEY} x");
    let err = MomentClient::builder()
        .company_code("acme")
        .api_key(bad_key)
        .build()
        .expect_err("whitespace in a key");
    seen.push_str(&error_text(&err));
    let err = DkPlusClient::builder()
        .token(DK_TOKEN)
        .base_url("http://dkplus.example.is/api/v1")
        .build()
        .expect_err("plain http to another host");
    seen.push_str(&error_text(&err));

    for report in &reports {
        seen.push_str(&format!("{report:?}\n{}\n", report.counts));
        for outcome in &report.outcomes {
            seen.push_str(&format!("{outcome}\n"));
            if let Some(failure) = outcome.failure() {
                seen.push_str(&error_text(failure));
            }
        }
        for listing in &report.listing_failures {
            seen.push_str(&format!("{listing}\n"));
        }
    }
    for email in world.notifier.reports() {
        seen.push_str(&format!("{email:?}\n{}\n", email.body));
    }

    let logs =
        String::from_utf8_lossy(&capture.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    // The capture really holds the failing run: requests, retries and failures of both sides.
    for expected in [
        "dkplus.request",
        "moment.request",
        "retrying DK+ request",
        "not transferred",
        "401",
    ] {
        assert!(
            logs.contains(expected) || seen.contains(expected),
            "{expected:?} missing from the capture:\n{logs}"
        );
    }
    assert!(
        seen.contains("Unauthorized") || seen.contains("401"),
        "{seen}"
    );
    assert!(reports.iter().any(|r| r.counts.failed > 0));

    for needle in needles() {
        assert!(!logs.contains(&needle), "{needle:?} in the logs:\n{logs}");
        assert!(!seen.contains(&needle), "{needle:?} in the output:\n{seen}");
    }
}
