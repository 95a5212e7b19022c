//! Hostile input for every Moment decoder: arbitrary bytes, arbitrary JSON shaped like Moment's
//! objects and webhooks (its field names with values of any type, odd dates and amounts), and
//! hostile HTTP answers to gets and listings. Each gives a value or a typed error — never a
//! panic, never a hang.

mod common;
#[path = "../../dkplus-client/tests/common/hostile_json.rs"]
mod hostile_json;

use common::client;
use futures_util::TryStreamExt;
use hostile_json::{assert_typed, bounded, json_like};
use moment_client::{
    Customer, CustomerId, Error, FinancialAccount, FinancialAccountId, Invoice, InvoiceId,
    InvoiceLine, Product, ProductId, Project, ProjectId, webhook,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Field names Moment uses in the objects this client reads and in webhook bodies.
const KEYS: &[&str] = &[
    "id",
    "name",
    "event",
    "invoice",
    "customer",
    "project",
    "offer",
    "customerNumber",
    "projectNumber",
    "invoiceNumber",
    "productNumber",
    "accountNumber",
    "organizationNumber",
    "state",
    "status",
    "invoiceType",
    "creditedInvoice",
    "invoiceDate",
    "dueDate",
    "startDate",
    "endDate",
    "createdDate",
    "lastModifiedDate",
    "currencyCode",
    "currencyRate",
    "totalExcludingVat",
    "totalIncludingVat",
    "totalVat",
    "lines",
    "quantity",
    "unitPrice",
    "discountPercent",
    "discountAmount",
    "surchargePercent",
    "surchargeAmount",
    "lineTotal",
    "vatPercent",
    "product",
    "financialAccount",
    "currentVatPercentage",
    "externalTaxCode",
    "links",
    "href",
    "rel",
    "content",
    "page",
    "totalElements",
    "totalPages",
    "number",
    "size",
    "last",
];

/// Decodes `bytes` as every object type the client reads and as a webhook; only a panic can
/// fail this.
fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Customer>(bytes);
    let _ = serde_json::from_slice::<Project>(bytes);
    let _ = serde_json::from_slice::<Invoice>(bytes);
    let _ = serde_json::from_slice::<InvoiceLine>(bytes);
    let _ = serde_json::from_slice::<Vec<Invoice>>(bytes);
    let _ = serde_json::from_slice::<Product>(bytes);
    let _ = serde_json::from_slice::<FinancialAccount>(bytes);
    let _ = webhook::parse(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_json_shaped_like_moment_never_panics_a_decoder(value in json_like(KEYS)) {
        decode_all(value.to_string().as_bytes());
        let invoice = serde_json::json!({"id": 1, "lines": [value.clone()]});
        decode_all(invoice.to_string().as_bytes());
        for kind in ["invoice", "customer", "project"] {
            let hook = serde_json::json!({"event": "UPDATE", kind: value.clone()});
            decode_all(hook.to_string().as_bytes());
        }
    }

    /// A webhook about a known object type, whatever else its object holds, either names that
    /// object and its id, or is refused with a reason.
    #[test]
    fn a_webhook_names_its_object_or_says_why(
        value in json_like(KEYS),
        kind in prop::sample::select(vec!["invoice", "customer", "project"]),
        id in any::<i64>(),
    ) {
        let mut fields = match value {
            Value::Object(map) => map,
            other => Map::from_iter([("extra".to_owned(), other)]),
        };
        fields.insert("id".to_owned(), id.into());
        let body = serde_json::json!({"event": "UPDATE", kind: fields}).to_string();
        match webhook::parse(body.as_bytes()) {
            Ok(event) => {
                prop_assert_eq!(event.object_type(), kind);
                prop_assert_eq!(event.object_id(), Some(id));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// The shared hostile bodies and some shaped like Moment's objects.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut bodies = hostile_json::hostile_bodies();
    bodies.extend([
        ("truncated", br#"{"id": 1, "name": "Jo"#.to_vec()),
        (
            "number beyond f64",
            b"{\"id\": 1, \"totalExcludingVat\": 1e999999}".to_vec(),
        ),
        ("id beyond i64", b"{\"id\": 9223372036854775808}".to_vec()),
        ("trailing garbage", br#"{"id": 1} {"id": 2}"#.to_vec()),
        (
            "wrong types",
            br#"{"id": "x", "lines": {"a": 1}, "content": 5}"#.to_vec(),
        ),
        (
            "envelope with wrong page",
            br#"{"content": [{"id": 1}], "page": "two"}"#.to_vec(),
        ),
        (
            "huge string",
            format!("{{\"id\": 1, \"name\": \"{}\"}}", "x".repeat(1 << 20)).into_bytes(),
        ),
    ]);
    bodies
}

#[tokio::test]
async fn hostile_ok_answers_give_a_value_or_a_typed_error() {
    let server = MockServer::start().await;
    let client = client(&server);
    for (name, body) in hostile_bodies() {
        server.reset().await;
        Mock::given(any_request())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
        let results: Vec<(&str, Result<(), Error>)> = vec![
            (
                "customer",
                bounded(client.customers().get(CustomerId::new(1)))
                    .await
                    .map(drop),
            ),
            (
                "project",
                bounded(client.projects().get(ProjectId::new(1)))
                    .await
                    .map(drop),
            ),
            (
                "invoice",
                bounded(client.invoices().get(InvoiceId::new(1)))
                    .await
                    .map(drop),
            ),
            (
                "product",
                bounded(client.products().get(ProductId::new(1)))
                    .await
                    .map(drop),
            ),
            (
                "account",
                bounded(client.financial_accounts().get(FinancialAccountId::new(1)))
                    .await
                    .map(drop),
            ),
            (
                "invoice listing",
                bounded(client.invoices().list().stream().try_collect::<Vec<_>>())
                    .await
                    .map(drop),
            ),
        ];
        assert_typed(name, results, |error| {
            matches!(
                error,
                Error::Decode { .. } | Error::ResponseTooLarge { .. } | Error::RepeatedPage { .. }
            )
        });
    }
}
