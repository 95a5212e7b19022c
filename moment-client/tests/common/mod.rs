//! Shared setup for the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use moment_client::{ExponentialBuilder, MomentClient, MomentClientBuilder};
use wiremock::MockServer;

pub const KEY: &str = "k3y-Very-Secret-9f8e7d";
pub const COMPANY: &str = "acme";
/// `apikey:k3y-Very-Secret-9f8e7d` in Base64.
pub const BASIC: &str = "Basic YXBpa2V5OmszeS1WZXJ5LVNlY3JldC05ZjhlN2Q=";

pub fn base(server: &MockServer) -> String {
    format!("{}/api/1.0/companies/{COMPANY}", server.uri())
}

pub fn path(rest: &str) -> String {
    format!("/api/1.0/companies/{COMPANY}{rest}")
}

pub fn builder(server: &MockServer) -> MomentClientBuilder {
    MomentClient::builder()
        .company_code(COMPANY)
        .api_key(KEY)
        .base_url(format!(
            "{}/api/1.0/companies/{{companyCode}}",
            server.uri()
        ))
        .retry_policy(no_retries())
}

pub fn client(server: &MockServer) -> MomentClient {
    builder(server).build().unwrap()
}

pub fn fast_retries(n: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_max_times(n as usize)
        .with_min_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
}

pub fn no_retries() -> ExponentialBuilder {
    ExponentialBuilder::default().with_max_times(0)
}

#[test]
fn basic_constant_matches_the_key() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("apikey:{KEY}"));
    assert_eq!(BASIC, format!("Basic {encoded}"));
}
