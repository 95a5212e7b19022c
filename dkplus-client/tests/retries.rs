//! Retry counts and delays (injected sleeper), the never-retry rule for POST, and the throttle.

mod common;

use std::time::Duration;

use common::{TOKEN, client, server};
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

#[tokio::test]
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
    let (client, sleeper) = client(&server);
    let customer = client.customers().get(&"1".into()).await.unwrap();
    assert!(customer.is_some());
    assert_eq!(
        sleeper.delays(),
        [500, 1000, 2000].map(Duration::from_millis)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_last_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    let err = client.customers().get(&"1".into()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(sleeper.delays().len(), 3);
}

#[tokio::test]
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
    let (client, sleeper) = client(&server);
    client
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
    assert_eq!(
        sleeper.delays(),
        [Duration::from_secs(7), Duration::from_secs(7)]
    );
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
    let (client, sleeper) = client(&server);
    let err = client.customers().get(&"1".into()).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
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
    let (client, sleeper) = client(&server);
    client.customers().delete(&"1".into()).await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_millis(500)]);
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
    let (client, sleeper) = client(&server);
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
    let err = client
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
    assert!(sleeper.delays().is_empty());
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
    let (client, sleeper) = client(&server);
    for key in ["a", "b", "c"] {
        assert!(client.customers().get(&key.into()).await.is_err());
    }
    assert!(sleeper.delays().is_empty());
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
    let sleeper = common::RecordingSleeper::default();
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    assert!(client.customers().get(&"1".into()).await.unwrap().is_some());
    assert_eq!(sleeper.delays(), [Duration::from_millis(500)]);
}

#[tokio::test]
async fn the_throttle_spaces_requests() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/company/connection"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(true)))
        .expect(3)
        .mount(&server)
        .await;
    let sleeper = common::RecordingSleeper::default();
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .min_request_interval(Duration::from_secs(60))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert!(client.company().check_connection().await.unwrap());
    }
    // The recording sleeper does not wait, so each later slot is another minute out.
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 2);
    assert!(delays[0] > Duration::from_secs(59) && delays[0] <= Duration::from_secs(60));
    assert!(delays[1] > Duration::from_secs(119) && delays[1] <= Duration::from_secs(120));
}

#[tokio::test]
async fn jittered_delays_stay_in_their_band() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let sleeper = common::RecordingSleeper::default();
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    assert!(client.customers().get(&"1".into()).await.is_err());
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 3);
    for (delay, base_ms) in delays.iter().zip([500u64, 1000, 2000]) {
        assert!(
            *delay >= Duration::from_millis(base_ms / 2)
                && *delay <= Duration::from_millis(base_ms),
            "{delay:?}"
        );
    }
}
