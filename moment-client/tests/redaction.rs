//! The API key never appears in Debug output, error messages or tracing output.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{BASIC, KEY, fast_retries};
use moment_client::testing::{Failure, FakeMoment};
use moment_client::{CustomerId, MomentClient};
use tracing_subscriber::fmt::MakeWriter;

fn assert_hidden(text: &str) {
    let basic = BASIC.trim_start_matches("Basic ");
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(!text.contains(basic), "the encoded key leaked: {text}");
    assert!(
        !text.contains("Very-Secret"),
        "part of the key leaked: {text}"
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn debug_of_builder_and_client() {
    let builder = MomentClient::builder().company_code("acme").api_key(KEY);
    assert_hidden(&format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert!(format!("{client:?}").contains("[redacted]"));
}

#[tokio::test]
async fn errors_and_traces_never_show_the_key() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeMoment::builder().api_key(KEY).start().await;
    let client = fake
        .client_builder()
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    fake.fail_next_with(1, Failure::status(503).retry_after_secs(0));
    let _ = client.customers().get(CustomerId(1)).await.unwrap();

    let mut errors = Vec::new();
    let wrong = fake
        .client_builder()
        .api_key(format!("{KEY}-wrong"))
        .build()
        .unwrap();
    errors.push(wrong.customers().get(CustomerId(1)).await.unwrap_err());
    fake.fail_next_with(3, Failure::status(500).html());
    errors.push(client.customers().list().send().await.unwrap_err());
    let closed = MomentClient::builder()
        .company_code("acme")
        .api_key(KEY)
        .base_url("http://127.0.0.1:9/api")
        .retry_policy(moment_client::ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    errors.push(closed.customers().list().send().await.unwrap_err());
    errors.push(
        MomentClient::builder()
            .company_code("acme")
            .api_key(format!("{KEY} "))
            .build()
            .unwrap_err(),
    );
    for err in &errors {
        assert_hidden(&err.to_string());
        assert_hidden(&format!("{err:?}"));
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            assert_hidden(&s.to_string());
            source = s.source();
        }
    }

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("moment.request"), "no spans captured: {logs}");
    assert!(
        logs.contains("retrying Moment request"),
        "no retry event: {logs}"
    );
    assert_hidden(&logs);
}
