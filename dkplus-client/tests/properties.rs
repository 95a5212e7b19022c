//! Property tests: kennitala validation, retry rules, decimal wire round trips.

use std::time::Duration;

use dkplus_client::*;
use http::{Method, StatusCode};
use proptest::prelude::*;
use rust_decimal::Decimal;

const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// The check digit for eight digits, when one exists.
fn check_digit(first8: &[u32; 8]) -> Option<u32> {
    let sum: u32 = first8.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// A failure of a `GET`, described by plain values (the error type is not `Clone`).
fn failure() -> impl Strategy<Value = (u8, u16, Option<u64>)> {
    (0u8..4, 400u16..600, proptest::option::of(0u64..100))
}

fn error((kind, code, after): (u8, u16, Option<u64>)) -> Error {
    let (method, path) = ("GET".to_owned(), "/x".to_owned());
    let retry_after = after.map(Duration::from_secs);
    match kind {
        0 => Error::Api {
            method,
            path,
            status: StatusCode::from_u16(code).unwrap(),
            message: None,
            body: String::new(),
            retry_after,
        },
        1 => Error::RateLimited {
            method,
            path,
            retry_after,
            message: None,
            body: String::new(),
        },
        2 => Error::Timeout {
            method,
            path,
            phase: RequestPhase::AwaitingResponse,
        },
        _ => Error::Transport {
            method,
            path,
            phase: RequestPhase::Connect,
            source: "refused".into(),
        },
    }
}

proptest! {
    #[test]
    fn every_well_formed_kennitala_parses_and_round_trips(
        day in 1u32..=28, month in 1u32..=12, year in 0u32..=99,
        company in any::<bool>(), serial in 20u32..=99, century in prop_oneof![Just(0u32), Just(9u32)],
        hyphen in any::<bool>(),
    ) {
        let dd = if company { day + 40 } else { day };
        let digits = [dd / 10, dd % 10, month / 10, month % 10, year / 10, year % 10, serial / 10, serial % 10];
        let Some(check) = check_digit(&digits) else { return Ok(()); };
        let date: String = digits[..6].iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        let rest = format!("{}{}{check}{century}", digits[6], digits[7]);
        let written = if hyphen { format!("{date}-{rest}") } else { format!("{date}{rest}") };
        let kt = Kennitala::parse(&written).unwrap();
        prop_assert_eq!(kt.is_company(), company);
        prop_assert_eq!(kt.as_str(), format!("{date}{rest}"));
        prop_assert_eq!(Kennitala::parse(kt.as_str()).unwrap(), kt.clone());
        // Any other check digit is refused.
        let wrong = (check + 1) % 10;
        let bad = format!("{date}{}{}{wrong}{century}", digits[6], digits[7]);
        prop_assert!(Kennitala::parse(&bad).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,20}") {
        let _ = Kennitala::parse(&text);
    }

    #[test]
    fn posts_are_never_retried(failure in failure(), backoff in 0u64..100_000, cap in 0u64..100) {
        let error = error(failure);
        let (backoff, cap) = (Some(Duration::from_millis(backoff)), Duration::from_secs(cap));
        prop_assert_eq!(retry::retry_delay(&Method::POST, &error, backoff, cap), None);
        prop_assert_eq!(retry::retry_delay(&Method::PATCH, &error, backoff, cap), None);
    }

    #[test]
    fn a_retry_waits_at_least_the_backoff_and_never_past_the_cap(
        failure in failure(), backoff in 0u64..100_000, cap in 0u64..100,
    ) {
        let error = error(failure);
        let backoff = Duration::from_millis(backoff);
        let cap = Duration::from_secs(cap);
        if let Some(delay) = retry::retry_delay(&Method::GET, &error, Some(backoff), cap) {
            prop_assert!(error.is_retryable());
            prop_assert!(delay >= backoff);
            prop_assert!(delay <= backoff.max(cap));
        }
    }

    #[test]
    fn money_survives_the_wire(units in -1_000_000_000i64..1_000_000_000, scale in 0u32..=4) {
        let amount = Decimal::new(units, scale);
        let line = SalesInvoiceLineCreate { item_code: "A".into(), quantity: amount, price: amount, ..Default::default() };
        let json = serde_json::to_string(&line).unwrap();
        let back: SalesInvoiceLineCreate = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.quantity, amount);
        prop_assert_eq!(back.price, amount);
    }
}
