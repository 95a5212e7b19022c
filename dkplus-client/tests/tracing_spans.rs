//! Requests are traced with method, path, attempt and status — and never the token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{TOKEN, client, server};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_the_request_but_not_the_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1710794709"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1710794709"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Number": "1710794709"})))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client(&server);
    client.customers().get(&"1710794709".into()).await.unwrap();

    let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("dkplus.request"), "{output}");
    assert!(output.contains("method=GET"), "{output}");
    assert!(output.contains("path=/Customer/1710794709"), "{output}");
    assert!(output.contains("attempt=2"), "{output}");
    assert!(output.contains("status=200"), "{output}");
    assert!(output.contains("retrying DK+ request"), "{output}");
    assert!(!output.contains(TOKEN), "{output}");
    assert!(!output.to_lowercase().contains("bearer"), "{output}");
}
