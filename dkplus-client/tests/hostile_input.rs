//! Hostile input for every DK+ decoder: arbitrary bytes, arbitrary JSON shaped like DK+'s
//! records (its field names with values of any type, odd dates and numbers), and hostile HTTP
//! answers. Each gives a value or a typed error — never a panic, never a hang.

mod common;

use std::time::Duration;

use common::{client, server};
use dkplus_client::{
    Customer, CustomerNumber, Error, ItemCode, Kennitala, Product, ProjectNumber, SalesInvoice,
    SalesPerson, SalesPersonNumber,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, ResponseTemplate};

/// Field names DK+ uses in the records this client reads, including dates, amounts, flags and
/// nested lists.
const KEYS: &[&str] = &[
    "Number",
    "Name",
    "SSNumber",
    "CustomerNumber",
    "ItemCode",
    "Description",
    "Reference",
    "Date",
    "DueDate",
    "InvoiceDate",
    "Modified",
    "Created",
    "RecordCreated",
    "RecordModified",
    "FoundingDate",
    "ObjectDate",
    "TotalAmount",
    "TotalAmountWithTax",
    "Quantity",
    "Price",
    "UnitPrice1",
    "UnitPrice1WithTax",
    "Discount",
    "DiscountPercent",
    "TaxPercent",
    "CreditLimit",
    "RecordID",
    "Version",
    "NoVat",
    "Blocked",
    "Inactive",
    "Deleted",
    "SaleType",
    "SalesType",
    "Lines",
    "Conditions",
    "Contacts",
    "Customer",
    "Project",
    "SalesPerson",
    "Currency",
    "Exchange",
];

/// Scalars that break naive decoders: odd dates, numbers beyond f64 and Decimal, sentinels.
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
            "-1e400",
            "NaN",
            "Infinity",
            "1,5",
            "1.5.5",
            "79228162514264337593543950336",
            "0.0000000000000000000000000001",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.9999999",
            "2026-02-30",
            "2026-13-01",
            "/Date(1700000000000)/",
            "/Date(-62135596800000)/",
            "2026-11-02T10:00:00+25:00",
            "20261102",
            "true",
            "null",
            "\u{0}",
            "þjónusta",
            "\u{202e}evil",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,40}".prop_map(Value::String),
    ]
}

fn record() -> impl Strategy<Value = Value> {
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

/// Decodes `bytes` as every record type the client reads; only a panic can fail this.
fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Customer>(bytes);
    let _ = serde_json::from_slice::<Vec<Customer>>(bytes);
    let _ = serde_json::from_slice::<Product>(bytes);
    let _ = serde_json::from_slice::<dkplus_client::Project>(bytes);
    let _ = serde_json::from_slice::<SalesInvoice>(bytes);
    let _ = serde_json::from_slice::<Vec<SalesInvoice>>(bytes);
    let _ = serde_json::from_slice::<SalesPerson>(bytes);
}

/// The weighted sum check of a kennitala.
fn passes_check(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = digits[..8]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        c => c,
    };
    u32::from(digits[8] - b'0') == check
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_json_shaped_like_dkplus_never_panics_a_decoder(value in record()) {
        decode_all(value.to_string().as_bytes());
        // The same record inside a list, and inside an invoice's lines.
        decode_all(Value::Array(vec![value.clone()]).to_string().as_bytes());
        let invoice = serde_json::json!({"Number": "1", "Lines": [value]});
        decode_all(invoice.to_string().as_bytes());
    }

    /// Whatever the text, a kennitala that parses is ten ASCII digits that pass the check.
    #[test]
    fn a_parsed_kennitala_is_always_ten_checked_digits(
        text in prop_oneof![
            ".{0,24}",
            "[0-9 \\-]{0,14}",
            "[0-9]{6}-?[0-9]{4}",
            "[٠-٩０-９0-9]{10}",
        ]
    ) {
        if let Ok(kt) = Kennitala::parse(&text) {
            let digits = kt.as_str().as_bytes();
            prop_assert_eq!(digits.len(), 10, "{:?}", text);
            prop_assert!(digits.iter().all(u8::is_ascii_digit), "{:?}", text);
            prop_assert!(passes_check(digits), "{:?}", text);
        }
    }
}

/// Bodies a broken proxy or server could answer with `200 OK`.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    vec![
        ("empty", Vec::new()),
        ("whitespace", b"   \n".to_vec()),
        (
            "html",
            b"<html><body>Service Unavailable</body></html>".to_vec(),
        ),
        ("truncated", br#"{"Number": "1", "Name": "Jo"#.to_vec()),
        ("invalid utf-8", vec![b'"', 0xff, 0xfe, b'"']),
        (
            "byte order mark",
            b"\xef\xbb\xbf{\"Number\":\"1\"}".to_vec(),
        ),
        ("nested 100 000 deep", deep(100_000)),
        ("object nested deep", "{\"a\":".repeat(10_000).into_bytes()),
        (
            "number beyond f64",
            b"[{\"TotalAmount\": 1e999999}]".to_vec(),
        ),
        (
            "number beyond Decimal",
            b"{\"TotalAmount\": 79228162514264337593543950336}".to_vec(),
        ),
        (
            "trailing garbage",
            br#"{"Number":"1"} {"Number":"2"}"#.to_vec(),
        ),
        (
            "wrong type",
            br#"{"Number": {"a": [1, 2]}, "Lines": "none"}"#.to_vec(),
        ),
        ("null", b"null".to_vec()),
        ("scalar", b"42".to_vec()),
        (
            "huge string",
            format!("{{\"Name\": \"{}\"}}", "x".repeat(1 << 20)).into_bytes(),
        ),
        ("nul bytes", b"{\"Name\": \"a\\u0000b\"}\0\0".to_vec()),
    ]
}

#[tokio::test]
async fn hostile_ok_answers_give_a_value_or_a_typed_error() {
    let server = server().await;
    let client = client(&server);
    for (name, body) in hostile_bodies() {
        server.reset().await;
        Mock::given(any_request())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
        // Every call is bounded: a hang fails the test instead of stalling it.
        let bound = Duration::from_secs(30);
        let results: Vec<(&str, Result<(), Error>)> = vec![
            (
                "customer",
                tokio::time::timeout(bound, client.customers().get(&CustomerNumber::new("1")))
                    .await
                    .expect("no hang")
                    .map(drop),
            ),
            (
                "product",
                tokio::time::timeout(bound, client.products().get(&ItemCode::new("A")))
                    .await
                    .expect("no hang")
                    .map(drop),
            ),
            (
                "project",
                tokio::time::timeout(bound, client.projects().get(&ProjectNumber::new("P")))
                    .await
                    .expect("no hang")
                    .map(drop),
            ),
            (
                "sales person",
                tokio::time::timeout(
                    bound,
                    client.sales_persons().get(&SalesPersonNumber::new("vef")),
                )
                .await
                .expect("no hang")
                .map(drop),
            ),
            (
                "invoices by reference",
                tokio::time::timeout(bound, client.sales_invoices().by_reference("1001"))
                    .await
                    .expect("no hang")
                    .map(drop),
            ),
        ];
        for (call, result) in results {
            if let Err(error) = result {
                assert!(
                    matches!(
                        error,
                        Error::Decode { .. }
                            | Error::NotFound { .. }
                            | Error::ResponseTooLarge { .. }
                    ),
                    "{name} / {call}: unexpected error kind {error:?}"
                );
                assert!(!error.to_string().is_empty());
            }
        }
    }
}
