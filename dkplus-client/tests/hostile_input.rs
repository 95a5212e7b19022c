//! Hostile input for every DK+ decoder: arbitrary bytes, arbitrary JSON shaped like DK+'s
//! records (its field names with values of any type, odd dates and numbers), and hostile HTTP
//! answers. Each gives a value or a typed error — never a panic, never a hang.

mod common;
#[path = "common/hostile_json.rs"]
mod hostile_json;

use common::{client, server};
use dkplus_client::{
    Customer, CustomerNumber, Error, ItemCode, Kennitala, Product, ProjectNumber, SalesInvoice,
    SalesPerson, SalesPersonNumber,
};
use hostile_json::{assert_typed, bounded, json_like};
use proptest::prelude::*;
use serde_json::Value;
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
    fn arbitrary_json_shaped_like_dkplus_never_panics_a_decoder(value in json_like(KEYS)) {
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

/// The shared hostile bodies and some shaped like DK+'s records.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut bodies = hostile_json::hostile_bodies();
    bodies.extend([
        ("truncated", br#"{"Number": "1", "Name": "Jo"#.to_vec()),
        (
            "byte order mark before a record",
            b"\xef\xbb\xbf{\"Number\":\"1\"}".to_vec(),
        ),
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
        (
            "huge string",
            format!("{{\"Name\": \"{}\"}}", "x".repeat(1 << 20)).into_bytes(),
        ),
    ]);
    bodies
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
        let results: Vec<(&str, Result<(), Error>)> = vec![
            (
                "customer",
                bounded(client.customers().get(&CustomerNumber::new("1")))
                    .await
                    .map(drop),
            ),
            (
                "product",
                bounded(client.products().get(&ItemCode::new("A")))
                    .await
                    .map(drop),
            ),
            (
                "project",
                bounded(client.projects().get(&ProjectNumber::new("P")))
                    .await
                    .map(drop),
            ),
            (
                "sales person",
                bounded(client.sales_persons().get(&SalesPersonNumber::new("vef")))
                    .await
                    .map(drop),
            ),
            (
                "invoices by reference",
                bounded(client.sales_invoices().by_reference("1001"))
                    .await
                    .map(drop),
            ),
        ];
        assert_typed(name, results, |error| {
            matches!(
                error,
                Error::Decode { .. } | Error::NotFound { .. } | Error::ResponseTooLarge { .. }
            )
        });
    }
}
