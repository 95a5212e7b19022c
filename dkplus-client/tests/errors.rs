//! Error answers: DK+'s `Message`, non-JSON bodies, timeouts, size limits, redirects, redaction.

mod common;

use std::time::Duration;

use common::{TOKEN, client, server};
use dkplus_client::*;
use http::StatusCode;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answer(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/page/1/100"))
        .respond_with(template)
        .mount(server)
        .await;
}

async fn list_error(server: &MockServer) -> Error {
    let client = client(server);
    client.customers().list().send().await.unwrap_err()
}

fn assert_no_token(err: &Error) {
    assert!(!format!("{err}").contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_long_validation_error_keeps_its_message_and_a_short_excerpt() {
    // A 400 naming a problem on each of 200 lines is far longer than the kept excerpt; the
    // message DK+ wrote is still read whole.
    let server = server().await;
    let state: serde_json::Map<String, serde_json::Value> = (0..200)
        .map(|i| (format!("model.Lines[{i}].Quantity"), json!(["Bad number"])))
        .collect();
    let body = json!({"Message": "The request is invalid.", "ModelState": state}).to_string();
    assert!(body.len() > Error::MAX_BODY_EXCERPT);
    answer(
        &server,
        ResponseTemplate::new(400).set_body_raw(body, "application/json"),
    )
    .await;
    let err = list_error(&server).await;
    let message = err.message().unwrap_or_default();
    assert!(message.starts_with("The request is invalid."), "{message}");
    assert!(
        message.contains("model.Lines[199].Quantity: Bad number"),
        "{message}"
    );
    let excerpt = err.body().unwrap_or_default();
    assert!(
        excerpt.len() < Error::MAX_BODY_EXCERPT + 40,
        "{}",
        excerpt.len()
    );
    assert!(excerpt.ends_with("bytes in total)"), "{excerpt}");
}

#[tokio::test]
async fn bad_request_carries_dkplus_message() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/Customer"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"Message": "Cannot be created!"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .customers()
        .create(&CustomerWrite {
            number: Some("1".into()),
            name: Some("A".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err.message(), Some("Cannot be created!"));
    assert_eq!(
        err.to_string(),
        "DK+ answered 400 Bad Request to POST /Customer: Cannot be created!"
    );
    assert!(!err.is_retryable());
    assert!(!err.may_have_been_applied());
    assert_no_token(&err);
}

#[tokio::test]
async fn unauthorized() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(401)
            .set_body_json(json!({"Message": "Authorization has been denied for this request."})),
    )
    .await;
    let err = list_error(&server).await;
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        err.message(),
        Some("Authorization has been denied for this request.")
    );
    assert_no_token(&err);
}

#[tokio::test]
async fn not_found_is_an_error_where_it_is_not_a_lookup() {
    let server = server().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/Customer/404"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.customers().delete(&"404".into()).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(err.to_string().contains("(empty body)"));
}

#[tokio::test]
async fn a_missing_route_is_never_read_as_a_missing_record() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"Message": "No HTTP resource was found that matches the request URI 'https://x/api/v1/Customer/1'."}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/2"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw("<html><body>Not Found</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(
        client
            .customers()
            .get(&"1".into())
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        client
            .customers()
            .get(&"2".into())
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn conflict() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/project"))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"Message": "Project exists with this Number."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .projects()
        .create(&ProjectCreate {
            number: "P-1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::CONFLICT));
    assert_eq!(err.message(), Some("Project exists with this Number."));
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "120"),
    )
    .await;
    let err = list_error(&server).await;
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert!(err.to_string().contains("retry after 120 s"), "{err}");
}

#[tokio::test]
async fn server_error_with_html_keeps_status_and_body() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sales/invoice"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<!DOCTYPE html><html><body><h1>Server Error in '/' Application.</h1></body></html>",
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
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
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(err.message(), None);
    assert!(
        err.body()
            .unwrap()
            .contains("Server Error in '/' Application.")
    );
    assert!(
        err.outcome_unknown(),
        "a 500 on a write may have been stored"
    );
}

#[tokio::test]
async fn empty_error_body() {
    let server = server().await;
    answer(&server, ResponseTemplate::new(400)).await;
    let err = list_error(&server).await;
    assert_eq!(err.body(), Some(""));
    assert!(err.to_string().ends_with("(empty body)"));
}

#[tokio::test]
async fn malformed_json_names_the_field() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"[{"Number":"1"},{"Number":"2","Discount":"lots"}]"#,
            "application/json",
        ),
    )
    .await;
    let err = list_error(&server).await;
    match &err {
        Error::Decode {
            field_path, status, ..
        } => {
            assert_eq!(field_path, "[1].Discount");
            assert_eq!(*status, StatusCode::OK);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("[1].Discount"));
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_raw(r#"[{"Number":"#, "application/json"),
    )
    .await;
    assert!(matches!(list_error(&server).await, Error::Decode { .. }));
}

#[tokio::test]
async fn timeout() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .timeout(Duration::from_millis(200))
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = client.customers().get(&"1".into()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: RequestPhase::AwaitingResponse,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn connection_refused_is_a_connect_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}/api/v1"))
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = client.customers().get(&"1".into()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                phase: RequestPhase::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
    assert!(!err.may_have_been_applied());
    assert_no_token(&err);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_string(format!("[{}]", " ".repeat(4096))),
    )
    .await;
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = client.customers().list().send().await.unwrap_err();
    match err {
        Error::ResponseTooLarge {
            limit,
            declared,
            status,
            ..
        } => {
            assert_eq!(limit, 1024);
            assert_eq!(declared, Some(4098));
            assert_eq!(status, StatusCode::OK);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn oversized_chunked_bodies_are_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A bare HTTP/1.1 server that streams a chunked body without Content-Length.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 4096];
        let _ = socket.read(&mut buffer).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        for _ in 0..8 {
            let chunk = " ".repeat(512);
            let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
            if socket.write_all(framed.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("http://{address}/api/v1"))
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = client.customers().list().send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                declared: None,
                limit: 1024,
                ..
            }
        ),
        "{err:?}"
    );
    server.abort();
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = server().await;
    answer(
        &server,
        ResponseTemplate::new(302).insert_header("Location", "https://elsewhere.example/steal"),
    )
    .await;
    let err = list_error(&server).await;
    assert_eq!(err.status(), Some(StatusCode::FOUND));
    assert!(
        err.message()
            .unwrap()
            .contains("https://elsewhere.example/steal")
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn no_debug_or_display_shows_the_token() {
    let builder = DkPlusClient::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(TOKEN));
    let token = ApiToken::new(TOKEN);
    assert!(!format!("{token:?} {token}").contains(TOKEN));
}
