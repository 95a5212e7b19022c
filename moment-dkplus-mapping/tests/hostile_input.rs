//! Hostile Moment data: control characters, texts over DK+'s limits, negative or absurd
//! quantities and prices, missing numbers. Whatever Moment holds, the rules either produce a
//! write that DK+ can store as sent, or refuse with problems that say what to fix — and over
//! HTTP, a refused object writes nothing to DK+.

mod support;

use std::time::Duration;

use chrono::Utc;
use moment_client::{
    Customer, CustomerId, CustomerNumber, Invoice, InvoiceId, InvoiceLine, InvoiceNumber,
    InvoiceRef, InvoiceType,
};
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::rules::{InvoiceInputs, MappingError, map_customer, map_invoice};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use support::*;

/// DK+'s known length limits, by wire field name.
const LIMITS: &[(&str, usize)] = &[("ItemCode", 20), ("Text1", 2000), ("Text2", 2000)];
/// Product descriptions are limited to 40 characters.
const PRODUCT_DESCRIPTION_MAX: usize = 40;

fn forbidden_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Checks a write model as it goes on the wire: no control characters in any text, known
/// length limits kept, amounts in range. Returns what is wrong.
fn wire_problems(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if forbidden_control(text) {
                out.push(format!("{path}: control character in {text:?}"));
            }
            let key = path.rsplit('.').next().unwrap_or_default();
            for (field, max) in LIMITS {
                if key == *field && text.chars().count() > *max {
                    out.push(format!(
                        "{path}: {} characters, over {max}",
                        text.chars().count()
                    ));
                }
            }
            if key == "ItemCode" && text.trim().is_empty() {
                out.push(format!("{path}: empty item code"));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                wire_problems(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                wire_problems(item, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

fn assert_explains(error: &MappingError) -> Result<(), TestCaseError> {
    prop_assert!(!error.problems.is_empty());
    for problem in &error.problems {
        let text = problem.to_string();
        // Every problem says where to fix it.
        prop_assert!(
            text.contains("Moment") || text.contains("DK+") || text.contains("configuration"),
            "no fix named: {}",
            text
        );
        // The message is safe to print and e-mail: hostile values are quoted, not copied raw.
        prop_assert!(
            !forbidden_control(&text),
            "raw control character in {:?}",
            text
        );
    }
    Ok(())
}

/// Texts: mostly ordinary, sometimes empty, blank, with control characters, very long, or
/// with invisible formatting characters.
fn hostile_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => "[A-Za-zþæöðÞÆÖ0-9 .,-]{1,30}".prop_map(Some),
        1 => Just(None),
        1 => Just(Some(String::new())),
        1 => Just(Some("   ".to_owned())),
        1 => ".{0,30}".prop_map(Some),
        2 => "[a-zþæö ]{0,8}[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\u{85}][a-z]{0,8}".prop_map(Some),
        1 => (1usize..2_200).prop_map(|n| Some("ð".repeat(n))),
        1 => Just(Some("\u{202e}gnirts\u{200b}".to_owned())),
    ]
}

/// Amounts: mostly ordinary, sometimes missing, negative, huge or tiny.
fn hostile_decimal() -> impl Strategy<Value = Option<Decimal>> {
    prop_oneof![
        12 => (0i64..1_000_000, 0u32..3).prop_map(|(n, s)| Some(Decimal::new(n, s))),
        1 => Just(None),
        1 => (-1_000_000i64..0, 0u32..4).prop_map(|(n, s)| Some(Decimal::new(n, s))),
        1 => (any::<i64>(), 0u32..=28).prop_map(|(n, s)| Some(Decimal::new(n, s))),
        1 => Just(Some(Decimal::MAX)),
        1 => Just(Some(Decimal::MIN)),
        1 => Just(Some(Decimal::new(1, 28))),
    ]
}

/// A percentage: mostly none, sometimes anything.
fn hostile_percent() -> impl Strategy<Value = Option<Decimal>> {
    prop_oneof![
        4 => Just(None),
        2 => (0i64..10_000, Just(2u32)).prop_map(|(n, s)| Some(Decimal::new(n, s))),
        2 => hostile_decimal(),
    ]
}

fn valid_or<T: Clone + std::fmt::Debug + 'static>(
    valid: T,
    other: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = T> {
    prop_oneof![3 => Just(valid), 1 => other]
}

fn hostile_line() -> impl Strategy<Value = InvoiceLine> {
    (
        hostile_decimal(),
        hostile_decimal(),
        hostile_percent(),
        hostile_percent(),
        hostile_text(),
        prop_oneof![
            2 => Just(None),
            2 => Just(Some("RADGJOF".to_owned())),
            1 => hostile_text()
        ],
    )
        .prop_map(|(quantity, price, discount, surcharge, text, product)| {
            let mut l = line("x", Decimal::ONE, Decimal::ONE);
            l.quantity = quantity;
            l.unit_price = price;
            l.discount_percent = discount;
            l.surcharge_percent = surcharge;
            l.line_total = None;
            l.description = text;
            if let Some(number) = product {
                l = with_product(l, 5, Some(&number));
            }
            l
        })
}

fn hostile_customer() -> impl Strategy<Value = Customer> {
    (
        valid_or(Some("10001".to_owned()), hostile_text()),
        hostile_text(),
        valid_or(Some("471008-0280".to_owned()), hostile_text()),
        hostile_text(),
        hostile_text(),
        hostile_text(),
        valid_or(Some("IS".to_owned()), hostile_text()),
    )
        .prop_map(|(number, name, kt, address, email, city, country)| {
            let mut c = customer();
            c.customer_number = number.map(CustomerNumber::new);
            c.name = name;
            c.organization_number = kt;
            c.address_line1 = address;
            c.email = email;
            c.city = city;
            c.country_code = country;
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_mapped_customer_is_storable_or_refused_with_a_fix(c in hostile_customer()) {
        match map_customer(&c, &config()) {
            Ok(mapped) => {
                let mut problems = Vec::new();
                wire_problems(&serde_json::to_value(&mapped.write).unwrap(), "customer", &mut problems);
                prop_assert!(problems.is_empty(), "{:?}", problems);
                prop_assert!(!mapped.number.as_str().trim().is_empty());
            }
            Err(e) => assert_explains(&e)?,
        }
    }

    #[test]
    fn a_mapped_invoice_is_storable_or_refused_with_a_fix(
        lines in prop_oneof![1 => Just(Vec::new()), 6 => prop::collection::vec(hostile_line(), 1..3)],
        number in valid_or(Some("1042".to_owned()), hostile_text()),
        credited in prop_oneof![2 => Just(None), 1 => hostile_text()],
        c in hostile_customer(),
    ) {
        let mut inv: Invoice = invoice(lines);
        inv.invoice_number = number.map(InvoiceNumber::new);
        if let Some(original) = credited {
            inv.invoice_type = Some(InvoiceType::CreditNote);
            inv.credited_invoice = Some(InvoiceRef { id: None, invoice_number: Some(InvoiceNumber::new(original)) });
        }
        let data = reference_data();
        let result = map_invoice(
            InvoiceInputs { invoice: &inv, customer: Some(&c), project: None, reference_data: &data },
            &config(),
        );
        match result {
            Ok(mapped) => {
                let mut problems = Vec::new();
                wire_problems(&serde_json::to_value(&mapped.create).unwrap(), "invoice", &mut problems);
                for product in &mapped.products {
                    let value = serde_json::to_value(&product.create).unwrap();
                    wire_problems(&value, "product", &mut problems);
                    let description = product.create.description.as_deref().unwrap_or_default();
                    if description.chars().count() > PRODUCT_DESCRIPTION_MAX {
                        problems.push(format!("product description {description:?} over 40"));
                    }
                }
                for l in &mapped.create.lines {
                    if l.quantity.abs() > Decimal::from(1_000_000_000) {
                        problems.push(format!("quantity {}", l.quantity));
                    }
                    if l.price < Decimal::ZERO || l.price > Decimal::from(1_000_000_000_000i64) {
                        problems.push(format!("price {}", l.price));
                    }
                }
                prop_assert!(!mapped.reference.trim().is_empty());
                prop_assert!(problems.is_empty(), "{:?}", problems);
            }
            Err(e) => assert_explains(&e)?,
        }
    }
}

/// Over HTTP: each hostile object is refused with its reason, and DK+ gets no write at all.
#[tokio::test]
async fn hostile_moment_data_writes_nothing_to_dkplus() {
    let world = FakeWorld::start_with(
        IntegrationConfig::builder()
            .sales_person("vef")
            .build()
            .expect("valid configuration"),
        |m| m.timeout(Duration::from_secs(10)),
        |d| d.timeout(Duration::from_secs(10)),
    )
    .await
    .expect("fakes start");
    DemoCompany::seed(&world);
    let m = &world.moment;
    // The customer of invoice 1002 gets a control character in its name.
    m.update_customer(CustomerId::new(102), |c| {
        c.name = Some("Jón\u{7}Jónsson".into())
    });
    type Breaks = fn(&mut Invoice);
    let hostile: [(i64, &[&str], Breaks); 5] = [
        (501, &["less than zero"], |inv| {
            for line in &mut inv.lines {
                line.unit_price = line.unit_price.map(|p| -p.abs());
                line.line_total = None;
            }
            inv.total_excluding_vat = None;
        }),
        (503, &["quantity", "outside the accepted range"], |inv| {
            inv.lines[0].quantity = Some(Decimal::new(-5_000_000_000, 0))
        }),
        (502, &["customer 10002", "control characters"], |_| {}),
        (
            504,
            &["no unit price", "no invoice number", "kennitala"],
            |inv| {
                inv.lines[0].unit_price = None;
                inv.invoice_number = None;
            },
        ),
        (
            505,
            &["the invoice number holds control characters"],
            |inv| {
                inv.state = Some(moment_client::InvoiceState::Finalized);
                inv.invoice_number = Some(InvoiceNumber::new("12\u{0}34"));
            },
        ),
    ];
    let since = Utc::now() - chrono::Duration::days(30);
    for (id, reasons, breaks) in hostile {
        let mut invoice = m.invoice(InvoiceId::new(id)).expect("seeded");
        breaks(&mut invoice);
        m.add_invoice(invoice);
        let report = world.engine.transfer_invoice(InvoiceId::new(id)).await;
        let failure = report.outcomes[0]
            .failure()
            .unwrap_or_else(|| panic!("invoice {id} must be refused: {}", report.outcomes[0]));
        let text = failure.to_string();
        for reason in reasons {
            assert!(text.contains(reason), "{id}: {reason:?} not in {text}");
        }
        assert!(!failure.retry_later(), "{id}: {text}");
    }
    let writes: Vec<(String, u64)> = world
        .dkplus
        .counts()
        .into_iter()
        .filter(|(route, n)| *n > 0 && !route.starts_with("GET "))
        .collect();
    assert!(writes.is_empty(), "nothing may be written: {writes:?}");
    assert!(
        world.dkplus.count("GET", "/Customer/{number}") > 0,
        "DK+ was asked (read only)"
    );
    // A backfill over all of it writes nothing either, except what is valid: customers 101 and
    // 103 and the projects, which are fine on their own.
    let _ = world.engine.backfill(since).await;
    assert!(
        world.dkplus.invoices().is_empty(),
        "{:?}",
        world.dkplus.invoices()
    );
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 0);
    let names: Vec<String> = world
        .dkplus
        .customers()
        .iter()
        .filter_map(|c| c.name.clone())
        .collect();
    assert!(names.iter().all(|n| !forbidden_control(n)), "{names:?}");
    assert!(
        world
            .dkplus
            .customers()
            .iter()
            .all(|c| c.number.as_ref().is_some_and(|n| n.as_str() != "10002")),
        "the customer with a control character never reaches DK+"
    );
}
