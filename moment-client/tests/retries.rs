//! Retries against the fake Moment: transient failures are retried, others are not, and
//! `Retry-After` is honoured (checked on a paused clock).

mod common;

use std::time::Duration;

use common::fast_retries;
use moment_client::testing::{Failure, FakeMoment};
use moment_client::{Customer, CustomerId, ExponentialBuilder};

async fn fake() -> FakeMoment {
    let fake = FakeMoment::start().await;
    fake.add_customer(Customer {
        id: CustomerId(1),
        name: Some("A".into()),
        ..Customer::default()
    });
    fake
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    fake.fail_next(1, 503);
    fake.fail_next_with(1, Failure::status(502).html());
    fake.fail_next_with(1, Failure::status(429));
    let customer = client.customers().get(CustomerId(1)).await.unwrap();
    assert!(customer.is_some());
    assert_eq!(fake.request_count(), 4);
}

#[tokio::test]
async fn retries_stop_at_the_limit_with_the_last_error() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    fake.fail_next(10, 500);
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn fatal_answers_are_not_retried() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();
    for status in [400, 401, 403, 404, 422] {
        fake.clear_faults();
        let before = fake.request_count();
        fake.fail_next(1, status);
        let err = client.customers().list().send().await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(fake.request_count() - before, 1, "{status}");
    }
    // A 404 on `get` is "not found", not an error, and is not retried either.
    let before = fake.request_count();
    assert!(
        client
            .customers()
            .get(CustomerId(404))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(fake.request_count() - before, 1);
}

#[tokio::test]
async fn a_wrong_key_is_not_retried() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .api_key("wrong-key")
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(fake.request_count(), 1);
    assert!(!fake.requests()[0].authorized);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .timeout(Duration::from_millis(200))
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    fake.delay_next(1, Duration::from_secs(10));
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .without_timeouts()
        .retry_policy(
            ExponentialBuilder::default()
                .with_max_times(1)
                .with_min_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    fake.fail_next_with(1, Failure::status(429).retry_after_secs(30));
    let started = tokio::time::Instant::now();
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_between_attempts() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .without_timeouts()
        .retry_policy(
            ExponentialBuilder::default()
                .with_max_times(2)
                .with_min_delay(Duration::from_secs(4)),
        )
        .build()
        .unwrap();
    fake.fail_next(2, 503);
    let started = tokio::time::Instant::now();
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_some()
    );
    // 4 s, then 8 s.
    assert_eq!(started.elapsed(), Duration::from_secs(12));
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .retry_policy(fast_retries(3))
        .max_retry_after(Duration::from_secs(10))
        .build()
        .unwrap();
    fake.fail_next_with(1, Failure::status(503).retry_after_secs(3600));
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn an_http_date_retry_after_is_read() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    fake.fail_next_with(
        1,
        Failure::status(503).retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    // A date in the past means "now".
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
}
