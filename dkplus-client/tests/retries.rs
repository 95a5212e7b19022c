//! Retry counts and waits (on tokio's paused clock: virtual time, exact, no real waiting), the
//! never-retry rule for POST, and the throttle.

mod common;

use std::time::Duration;

use tokio::time::Instant;

use common::{TOKEN, server};
use dkplus_client::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn fail_then_succeed(
    server: &MockServer,
    verb: &str,
    at: &str,
    failures: u64,
    failure: ResponseTemplate,
    success: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(failure)
        .up_to_n_times(failures)
        .with_priority(1)
        .expect(failures)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(success)
        .with_priority(2)
        .mount(server)
        .await;
}

/// A client for `server` on the paused clock: no timeouts (they would fire at once), retries
/// with exact delays of 1 s, 2 s, 4 s.
fn client(server: &MockServer) -> DkPlusClient {
    DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .without_timeouts()
        .retry_policy(ExponentialBuilder::default())
        .build()
        .unwrap()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test(start_paused = true)]
async fn gets_retry_503_with_exponential_delays() {
    let server = server().await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/Customer/1",
        3,
        ResponseTemplate::new(503),
        ResponseTemplate::new(200).set_body_json(json!({"Number": "1"})),
    )
    .await;
    let started = Instant::now();
    let customer = client(&server).customers().get(&"1".into()).await.unwrap();
    assert!(customer.is_some());
    // 1 s, 2 s, 4 s.
    assert_eq!(started.elapsed(), Duration::from_secs(7));
    assert_eq!(requests(&server).await, 4);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_retries_with_the_last_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&server)
        .await;
    let err = client(&server)
        .customers()
        .get(&"1".into())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let server = server().await;
    fail_then_succeed(
        &server,
        "PUT",
        "/api/v1/Customer/1",
        2,
        ResponseTemplate::new(429).insert_header("Retry-After", "7"),
        ResponseTemplate::new(200),
    )
    .await;
    let started = Instant::now();
    client(&server)
        .customers()
        .update(
            &"1".into(),
            &CustomerWrite {
                name: Some("A".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // 7 s twice: longer than the backoff's 1 s and 2 s.
    assert_eq!(started.elapsed(), Duration::from_secs(14));
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_handed_to_the_caller() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .customers()
        .get(&"1".into())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test(start_paused = true)]
async fn deletes_retry_504() {
    let server = server().await;
    fail_then_succeed(
        &server,
        "DELETE",
        "/api/v1/Customer/1",
        1,
        ResponseTemplate::new(504),
        ResponseTemplate::new(200),
    )
    .await;
    client(&server)
        .customers()
        .delete(&"1".into())
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn posts_are_never_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sales/invoice"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .expect(1)
        .mount(&server)
        .await;
    let invoice = SalesInvoiceCreate {
        customer: InvoiceCustomer {
            number: "1".into(),
            ..Default::default()
        },
        lines: vec![SalesInvoiceLineCreate {
            item_code: "A".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let err = client(&server)
        .sales_invoices()
        .create(&invoice)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "503 is transient in itself");
    assert!(
        err.outcome_unknown(),
        "but the invoice may exist: check by reference"
    );
}

#[tokio::test]
async fn errors_that_are_not_transient_are_not_retried() {
    let server = server().await;
    for (status, at) in [
        (400, "/api/v1/Customer/a"),
        (401, "/api/v1/Customer/b"),
        (500, "/api/v1/Customer/c"),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    for key in ["a", "b", "c"] {
        assert!(client.customers().get(&key.into()).await.is_err());
    }
}

#[tokio::test]
async fn timeouts_on_gets_are_retried() {
    let server = server().await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/Customer/1",
        1,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(5)),
        ResponseTemplate::new(200).set_body_json(json!({"Number": "1"})),
    )
    .await;
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .timeout(Duration::from_millis(300))
        .retry_policy(ExponentialBuilder::default().with_min_delay(Duration::from_millis(10)))
        .build()
        .unwrap();
    assert!(client.customers().get(&"1".into()).await.unwrap().is_some());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn the_throttle_spaces_requests() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/company/connection"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(true)))
        .expect(3)
        .mount(&server)
        .await;
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .without_timeouts()
        .min_request_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        assert!(client.verify().await.unwrap());
    }
    // The second and third requests waited for their slots a minute apart.
    assert_eq!(started.elapsed(), Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn the_default_policy_waits_with_jitter_that_only_lengthens() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .without_timeouts()
        .build()
        .unwrap();
    let started = Instant::now();
    assert!(client.customers().get(&"1".into()).await.is_err());
    // 1 s, 2 s and 4 s, each lengthened by up to as much again.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(7) && waited <= Duration::from_secs(14),
        "{waited:?}"
    );
}
