//! Hostile input for every Moment decoder: arbitrary bytes, arbitrary JSON shaped like Moment's
//! objects and webhooks (its field names with values of any type, odd dates and amounts), and
//! hostile HTTP answers to gets and listings. Each gives a value or a typed error — never a
//! panic, never a hang.

mod common;

use std::time::Duration;

use common::client;
use futures_util::TryStreamExt;
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

fn hostile_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "",
            " ",
            "0",
            "-0",
            "1e400",
            "NaN",
            "Infinity",
            "1,5",
            "79228162514264337593543950336",
            "0.0000000000000000000000000001",
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "+275760-09-13T00:00:00Z",
            "2026-11-02T10:00:00+25:00",
            "2026-11-02T24:00:00",
            "FINALIZED",
            "DRAFT",
            "CREDIT_NOTE",
            "CREATE_NEW",
            "DELETE",
            "\u{0}",
            "þjónusta",
            "\u{202e}evil",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,40}".prop_map(Value::String),
    ]
}

fn object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[A-Za-z]{0,12}",
    ];
    hostile_scalar().prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..10)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

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
    fn arbitrary_json_shaped_like_moment_never_panics_a_decoder(value in object()) {
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
        value in object(),
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

/// Bodies a broken proxy or server could answer with `200 OK`.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    vec![
        ("empty", Vec::new()),
        ("html", b"<html><body>Login</body></html>".to_vec()),
        ("truncated", br#"{"id": 1, "name": "Jo"#.to_vec()),
        ("invalid utf-8", vec![b'"', 0xff, 0xfe, b'"']),
        ("nested 100 000 deep", deep(100_000)),
        ("object nested deep", "{\"a\":".repeat(10_000).into_bytes()),
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
        ("null", b"null".to_vec()),
        ("scalar", b"42".to_vec()),
        (
            "huge string",
            format!("{{\"id\": 1, \"name\": \"{}\"}}", "x".repeat(1 << 20)).into_bytes(),
        ),
    ]
}

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("no hang")
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
        for (call, result) in results {
            if let Err(error) = result {
                assert!(
                    matches!(
                        error,
                        Error::Decode { .. }
                            | Error::ResponseTooLarge { .. }
                            | Error::RepeatedPage { .. }
                    ),
                    "{name} / {call}: unexpected error kind {error:?}"
                );
                assert!(!error.to_string().is_empty());
            }
        }
    }
}
