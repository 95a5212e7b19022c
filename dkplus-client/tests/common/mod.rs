//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use dkplus_client::{DkPlusClient, ExponentialBuilder};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TOKEN: &str = "0b7f2c7e-1111-4c4c-9d9d-secret-token";

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

/// A client for `server` with fast, exact retries (3, 10 ms doubling).
pub fn client(server: &MockServer) -> DkPlusClient {
    DkPlusClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/api/v1", server.uri()))
        .retry_policy(ExponentialBuilder::default().with_min_delay(Duration::from_millis(10)))
        .build()
        .unwrap()
}

pub fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn auth() -> wiremock::matchers::HeaderExactMatcher {
    wiremock::matchers::header("authorization", format!("bearer {TOKEN}").as_str())
}
