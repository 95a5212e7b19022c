//! Property tests: amounts are read exactly or refused, numbers keep their text, and no input
//! makes the parsers panic.

use moment_client::{CustomerNumber, Invoice, InvoiceLine, webhook};
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #[test]
    fn amounts_as_strings_are_exact(mantissa in any::<i64>(), scale in 0u32..=12) {
        let d = Decimal::new(mantissa, scale);
        let json = format!(r#"{{"unitPrice":"{d}"}}"#);
        let line: InvoiceLine = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(line.unit_price, Some(d));
    }

    /// A JSON number is read exactly, refused, or (only when it has more than 15 significant
    /// digits) read within one part in 10^15.
    #[test]
    fn amounts_as_numbers_are_exact_refused_or_within_f64_precision(
        mantissa in any::<i64>(),
        scale in 0u32..=12,
    ) {
        let d = Decimal::new(mantissa, scale);
        let json = format!(r#"{{"lineTotal":{d}}}"#);
        match serde_json::from_str::<InvoiceLine>(&json) {
            Ok(line) => {
                let read = line.line_total.unwrap();
                if read != d {
                    let digits = mantissa.unsigned_abs().to_string().trim_end_matches('0').len();
                    prop_assert!(digits > 15, "{} read as {}", d, read);
                    let error = ((read - d) / d).abs();
                    prop_assert!(error < Decimal::new(1, 15), "{} read as {}", d, read);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("significant digits"), "{}", e),
        }
    }

    #[test]
    fn amounts_with_up_to_15_digits_are_always_accepted(
        mantissa in -999_999_999_999_999i64..=999_999_999_999_999,
        scale in 0u32..=6,
    ) {
        let d = Decimal::new(mantissa, scale);
        let json = format!(r#"{{"quantity":{d}}}"#);
        let line: InvoiceLine = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(line.quantity, Some(d));
    }

    #[test]
    fn numbers_keep_their_text(text in ".*", int in any::<i64>()) {
        let n: CustomerNumber = serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
        prop_assert_eq!(n.as_str(), text.as_str());
        let n: CustomerNumber = serde_json::from_str(&int.to_string()).unwrap();
        prop_assert_eq!(n.as_str(), int.to_string());
    }

    #[test]
    fn invoices_round_trip(
        id in any::<i64>(),
        amounts in proptest::collection::vec((any::<i32>(), 0u32..=4), 0..6),
    ) {
        let invoice = Invoice {
            id: id.into(),
            lines: amounts
                .iter()
                .map(|(m, s)| InvoiceLine {
                    quantity: Some(Decimal::new(i64::from(*m), *s)),
                    unit_price: Some(Decimal::new(i64::from(*m) / 3, *s)),
                    ..InvoiceLine::default()
                })
                .collect(),
            ..Invoice::default()
        };
        let again: Invoice = serde_json::from_str(&serde_json::to_string(&invoice).unwrap()).unwrap();
        prop_assert_eq!(again, invoice);
    }

    #[test]
    fn webhook_parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = webhook::parse(&body);
    }

    #[test]
    fn webhook_parse_never_panics_on_json_like_input(
        event in "[A-Z_]{0,12}",
        key in "(invoice|customer|project|offer|[a-z]{1,6})",
        id in proptest::option::of(any::<i64>()),
    ) {
        let id = id.map_or("null".to_owned(), |i| i.to_string());
        let body = format!(r#"{{"event":"{event}","{key}":{{"id":{id}}}}}"#);
        let _ = webhook::parse(body.as_bytes());
    }
}
