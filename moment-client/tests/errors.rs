//! Error answers and broken responses become typed errors that keep what is needed to act.

mod common;

use std::time::Duration;

use common::{client, path};
use moment_client::{CustomerId, Error, InvoiceId};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path as p};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answer(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(server)
        .await;
}

#[tokio::test]
async fn unauthorized_keeps_the_message_and_hints_at_the_key() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({
            "status": 401, "error": "Unauthorized", "message": "Bad credentials"
        })),
    )
    .await;
    let err = client(&server)
        .invoices()
        .get(InvoiceId(1))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized() && !err.is_retryable() && !err.is_not_found());
    let api = err.as_api().unwrap();
    assert_eq!(api.status, 401);
    assert_eq!(api.message.as_deref(), Some("Bad credentials"));
    assert_eq!(api.path, "/invoices/1");
    let text = err.to_string();
    assert!(
        text.contains("HTTP 401") && text.contains("API key"),
        "{text}"
    );
    assert!(text.contains("Bad credentials"), "{text}");
}

#[tokio::test]
async fn not_found_on_a_list_is_an_error() {
    let server = MockServer::start().await;
    answer(&server, ResponseTemplate::new(404)).await;
    let err = client(&server).customers().list().send().await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .set_body_string("slow down"),
    )
    .await;
    let err = client(&server).customers().list().send().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.as_api().unwrap().body, "slow down");
    assert!(err.to_string().contains("retry after 7 s"), "{err}");
}

#[tokio::test]
async fn html_server_errors_keep_status_and_body() {
    let server = MockServer::start().await;
    let page = "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>";
    answer(
        &server,
        ResponseTemplate::new(500).set_body_raw(page, "text/html; charset=UTF-8"),
    )
    .await;
    let err = client(&server)
        .customers()
        .get(CustomerId(1))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    let api = err.as_api().unwrap();
    assert_eq!(api.status, 500);
    assert_eq!(api.message, None);
    assert_eq!(api.body, page);
    assert!(
        api.content_type
            .as_deref()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(err.to_string().contains("an HTML page"), "{err}");
}

#[tokio::test]
async fn long_error_bodies_are_cut_and_marked() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(502).set_body_string("x".repeat(200_000)),
    )
    .await;
    let err = client(&server).customers().list().send().await.unwrap_err();
    let api = err.as_api().unwrap();
    assert!(api.body_truncated);
    assert_eq!(api.body.len(), moment_client::Error::MAX_BODY_EXCERPT);
}

#[tokio::test]
async fn a_long_json_error_keeps_its_message_and_a_short_excerpt() {
    let server = MockServer::start().await;
    let detail = "a".repeat(20_000);
    answer(
        &server,
        ResponseTemplate::new(400).set_body_raw(
            format!(r#"{{"message":"No such filter","detail":"{detail}"}}"#),
            "application/json",
        ),
    )
    .await;
    let err = client(&server).customers().list().send().await.unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.message.as_deref(), Some("No such filter"));
    assert!(api.body_truncated);
    assert_eq!(api.body.len(), moment_client::Error::MAX_BODY_EXCERPT);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(p(path("/invoices/1")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"id": 1, "lines": [ {"quantity": 1}, "#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(p(path("/invoices/2")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"id": 2} trailing"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(p(path("/invoices/3")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>Log in to Moment</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    for id in [1, 2] {
        let err = c.invoices().get(InvoiceId(id)).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(!err.is_retryable());
    }
    let err = c.invoices().get(InvoiceId(3)).await.unwrap_err();
    assert!(err.to_string().contains("HTML, not JSON"), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_by_content_length() {
    let server = MockServer::start().await;
    let body = format!("[{}]", vec![r#"{"id":1}"#; 1000].join(","));
    answer(
        &server,
        ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
    )
    .await;
    let c = common::builder(&server)
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let err = c.customers().list().send().await.unwrap_err();
    match err {
        Error::ResponseTooLarge {
            limit, declared, ..
        } => {
            assert_eq!(limit, 4096);
            assert_eq!(declared, Some(body.len() as u64));
        }
        other => panic!("{other:?}"),
    }
}

/// A raw HTTP/1.1 server that answers with a chunked body of `chunks` × 1 KiB and no length.
async fn chunked_server(chunks: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
        for _ in 0..chunks {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return; // the client stopped reading: expected
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    format!("http://{addr}/api/1.0/companies/acme")
}

#[tokio::test]
async fn an_oversized_body_without_length_is_refused_while_streaming() {
    let base = chunked_server(64).await;
    let c = moment_client::MomentClient::builder()
        .company_code("acme")
        .api_key(common::KEY)
        .base_url(base)
        .max_response_bytes(8 * 1024)
        .retry_policy(moment_client::ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = c.customers().list().send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 8192,
                declared: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    let elsewhere = MockServer::start().await;
    answer(
        &elsewhere,
        ResponseTemplate::new(200).set_body_json(json!([])),
    )
    .await;
    let server = MockServer::start().await;
    let target = format!(
        "{}/steal",
        elsewhere.uri().replace("127.0.0.1", "localhost")
    );
    answer(
        &server,
        ResponseTemplate::new(302).insert_header("Location", target.as_str()),
    )
    .await;
    let err = client(&server).customers().list().send().await.unwrap_err();
    match &err {
        Error::Redirect {
            status, location, ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(location.as_deref(), Some(target.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn same_origin_redirects_are_followed_with_credentials() {
    let server = MockServer::start().await;
    Mock::given(p(path("/customers/1")))
        .respond_with(
            ResponseTemplate::new(301).insert_header("Location", path("/customers/2").as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(p(path("/customers/2")))
        .and(wiremock::matchers::header("authorization", common::BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 2})))
        .expect(1)
        .mount(&server)
        .await;
    let customer = client(&server)
        .customers()
        .get(CustomerId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.id, CustomerId(2));
}

#[tokio::test]
async fn a_redirect_loop_is_a_setting_to_fix_not_a_moment_to_wait_for() {
    let server = MockServer::start().await;
    Mock::given(p(path("/customers/1")))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", path("/customers/1").as_str()),
        )
        .mount(&server)
        .await;
    let err = common::builder(&server)
        .retry_policy(common::fast_retries(3))
        .build()
        .unwrap()
        .customers()
        .get(CustomerId(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Request { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("check `base_url`"), "{err}");
    // One attempt (its redirects), not four.
    let requests = server.received_requests().await.unwrap().len();
    assert!(requests <= 6, "{requests} requests: the loop was retried");
}

#[tokio::test]
async fn connection_errors_are_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let c = moment_client::MomentClient::builder()
        .company_code("acme")
        .api_key(common::KEY)
        .base_url(format!("http://127.0.0.1:{port}/api/1.0/companies/acme"))
        .retry_policy(moment_client::ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = c.customers().list().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("/customers?page=0&size=100"), "{text}");
    assert!(
        text.to_lowercase().contains("refused"),
        "the root cause is shown: {text}"
    );
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!([]))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let c = common::builder(&server)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = c.customers().list().send().await.unwrap_err();
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
}
