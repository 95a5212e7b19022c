//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dkplus_client::{DkPlusClient, RetryPolicy, Sleeper};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TOKEN: &str = "0b7f2c7e-1111-4c4c-9d9d-secret-token";

/// Records the delays the client asks for and returns at once (injected time).
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper(pub Arc<Mutex<Vec<Duration>>>);

impl RecordingSleeper {
    pub fn delays(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// A plain wiremock server with a loud catch-all: anything no test mock matches gets a 418 that
/// names the request, so a wrong path can never pass as "not found".
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|req: &wiremock::Request| {
            ResponseTemplate::new(418)
                .set_body_string(format!("no mock for {} {}", req.method, req.url))
        })
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// A client for `server` with exact (jitter-free) retries and a recording sleeper.
pub fn client(server: &MockServer) -> (DkPlusClient, RecordingSleeper) {
    let sleeper = RecordingSleeper::default();
    let client = DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    (client, sleeper)
}

pub fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn auth() -> wiremock::matchers::HeaderExactMatcher {
    wiremock::matchers::header("authorization", format!("bearer {TOKEN}").as_str())
}
