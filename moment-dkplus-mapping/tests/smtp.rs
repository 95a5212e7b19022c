//! Failure reports by e-mail through a real SMTP server (`bash .ci/test` starts one on loopback
//! and names it in `TEST_SMTP_URL`; it writes what it receives, decoded as a mail client would
//! show it, into `TEST_SMTP_DIR`). Without the server these tests fail, never skip.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::smtp::SmtpNotifier;
use moment_dkplus_mapping::sync::{FailureReport, Notifier};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};

fn server() -> (String, PathBuf) {
    let need = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the e-mail tests need a real SMTP server. Run the tests with \
                 `bash .ci/test`, which starts one"
            )
        })
    };
    (need("TEST_SMTP_URL"), PathBuf::from(need("TEST_SMTP_DIR")))
}

/// The message the server received whose subject contains `marker`.
fn received(dir: &PathBuf, marker: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json")
                && let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(mail) = serde_json::from_str::<serde_json::Value>(&text)
                && mail["subject"].as_str().is_some_and(|s| s.contains(marker))
            {
                return mail;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the SMTP server received no message marked {marker}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A real failure report: the demo company's backfill, in which one invoice needs a person.
async fn failure_report() -> (FakeWorld, FailureReport) {
    let world = FakeWorld::start(config()).await.unwrap();
    let _demo = DemoCompany::seed(&world);
    let failing = world
        .engine
        .backfill(Utc::now() - chrono::Duration::days(30))
        .await;
    let report = FailureReport::for_report(&failing, &config()).expect("a failure");
    (world, report)
}

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@nordurljos.is")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_failure_report_arrives_as_a_utf8_mail_with_text_and_html_and_no_secret() {
    let (url, dir) = server();
    let (world, mut failure_report) = failure_report().await;
    let marker = format!("próf-{}", std::process::id());
    failure_report.subject = format!("{} — {marker}", failure_report.subject);

    let notifier = SmtpNotifier::new(
        &url,
        "Samstilling Moment og DK+ <samstilling@nordurljos.is>",
        &["bokhald@nordurljos.is", "Jón Þórsson <jon@nordurljos.is>"],
        Some("hjalp@nordurljos.is"),
    )
    .unwrap();
    notifier.notify(&failure_report).await.unwrap();

    let mail = received(&dir, &marker);
    assert_eq!(
        mail["subject"],
        failure_report.subject.as_str(),
        "decoded, UTF-8"
    );
    assert!(failure_report.subject.contains('→'));
    assert_eq!(mail["authenticated"], true, "logged in with the URL's user");
    assert_eq!(mail["content_type"], "multipart/alternative");
    // Mail has CRLF line ends; the text is the report's.
    assert_eq!(
        mail["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n")
            .trim_end(),
        failure_report.body.trim_end(),
        "the plain part is the report"
    );
    let html = mail["html"].as_str().expect("an HTML alternative");
    assert!(html.contains("<pre"), "{html}");
    assert!(html.contains(&marker), "{html}");
    assert!(
        mail["from"]
            .as_str()
            .unwrap()
            .contains("samstilling@nordurljos.is")
    );
    let to = mail["to"].as_str().unwrap();
    assert!(
        to.contains("bokhald@nordurljos.is") && to.contains("Jón Þórsson"),
        "{to}"
    );
    assert_eq!(mail["reply_to"], "hjalp@nordurljos.is");
    let raw = mail["raw"].as_str().unwrap();
    for secret in [
        world.dkplus.token().to_owned(),
        world.moment.api_key(),
        "smtp-secret-42".to_owned(),
    ] {
        assert!(!raw.contains(&secret), "a secret in the mail");
    }
}

#[tokio::test]
async fn a_refused_login_is_an_error_that_does_not_show_the_password() {
    let (url, _dir) = server();
    let wrong = url.replace("smtp-secret-42", "wrong-password-7");
    let notifier = SmtpNotifier::new(&wrong, "a@nordurljos.is", &["b@nordurljos.is"], None)
        .unwrap()
        .with_timeout(Duration::from_secs(3));
    let (_world, report) = failure_report().await;
    let error = notifier.notify(&report).await.unwrap_err().to_string();
    assert!(error.contains("SMTP server"), "{error}");
    assert!(!error.contains("wrong-password-7"), "{error}");
}

#[tokio::test]
async fn a_server_without_starttls_gets_no_password_when_tls_is_required() {
    let (url, dir) = server();
    // The test server offers no STARTTLS: with TLS required nothing may be sent.
    let notifier = SmtpNotifier::new(
        &format!("{url}?tls=required"),
        "tls-required@nordurljos.is",
        &["b@nordurljos.is"],
        None,
    )
    .unwrap()
    .with_timeout(Duration::from_secs(5));
    let (_world, report) = failure_report().await;
    let error = notifier.notify(&report).await.unwrap_err().to_string();
    assert!(error.contains("SMTP server"), "{error}");
    assert!(!error.contains("smtp-secret-42"), "{error}");
    let sent = std::fs::read_dir(&dir).unwrap().flatten().any(|entry| {
        std::fs::read_to_string(entry.path())
            .is_ok_and(|text| text.contains("tls-required@nordurljos.is"))
    });
    assert!(!sent, "nothing was delivered without TLS");
}

/// The messages the server received from `sender`, oldest first, as (subject, text).
fn sent_by(dir: &PathBuf, sender: &str) -> Vec<(String, String)> {
    let mut mails: Vec<(std::time::SystemTime, String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            let mail: serde_json::Value = serde_json::from_str(&text).ok()?;
            mail["from"].as_str()?.contains(sender).then(|| {
                (
                    entry.metadata().and_then(|m| m.modified()).unwrap(),
                    mail["subject"].as_str().unwrap_or_default().to_owned(),
                    mail["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect();
    mails.sort();
    mails.into_iter().map(|(_, s, t)| (s, t)).collect()
}

#[tokio::test]
async fn over_several_runs_a_failure_is_mailed_once_and_its_fix_once_as_resolved() {
    use std::sync::Arc;

    use moment_dkplus_mapping::SyncEngine;
    use moment_dkplus_mapping::store::{self, Scope};
    use moment_dkplus_mapping::sync::AlertPolicy;

    let (url, dir) = server();
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    let sender = format!(
        "policy-{}-{}@nordurljos.is",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    let mail = SmtpNotifier::new(&url, &sender, &["bokhald@nordurljos.is"], None).unwrap();
    let store = store::open("memory:").await.unwrap();
    let scope = Scope::new(world.moment.company_code(), "mail-test");
    let alerts = Arc::new(AlertPolicy::new(
        Arc::new(mail),
        store.clone(),
        scope.clone(),
    ));
    let engine = SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config(),
    )
    .with_store(store, scope)
    .with_notifier(alerts);
    let since = Utc::now() - chrono::Duration::days(30);

    for _ in 0..3 {
        let report = engine.catch_up(since).await;
        assert_eq!(report.counts.failed, 1, "invoice 1004 needs a kennitala");
    }
    let wait_for = |n: usize| {
        let started = Instant::now();
        loop {
            let mails = sent_by(&dir, &sender);
            if mails.len() >= n || started.elapsed() > Duration::from_secs(10) {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mails = wait_for(1);
    let failures: Vec<_> = mails
        .iter()
        .filter(|(s, _)| s.contains("not transferred"))
        .collect();
    assert_eq!(failures.len(), 1, "three runs, one mail: {mails:#?}");
    assert!(failures[0].1.contains("kennitala"));

    world
        .moment
        .update_customer(demo.customer_without_kennitala, |c| {
            c.organization_number = Some("560907-1330".into())
        });
    for _ in 0..2 {
        let report = engine.catch_up(since).await;
        assert_eq!(report.counts.failed, 0, "{:#?}", report.outcomes);
    }
    let mails = wait_for(2);
    let resolved: Vec<_> = mails
        .iter()
        .filter(|(s, _)| s.contains("resolved"))
        .collect();
    assert_eq!(resolved.len(), 1, "one recovery mail: {mails:#?}");
    assert!(resolved[0].1.contains("invoice"), "{}", resolved[0].1);
    std::thread::sleep(Duration::from_millis(300));
    let subjects: Vec<String> = sent_by(&dir, &sender).into_iter().map(|(s, _)| s).collect();
    // The demo company's warnings went out once, in the first digest (none was sent before).
    let digests = subjects.iter().filter(|s| s.contains("digest")).count();
    assert_eq!(
        (subjects.len(), digests),
        (3, 1),
        "nothing more: {subjects:#?}"
    );
}
