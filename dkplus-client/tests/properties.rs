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

fn outcome() -> impl Strategy<Value = AttemptOutcome> {
    prop_oneof![
        (100u16..600, proptest::option::of(0u64..100)).prop_map(|(code, after)| {
            AttemptOutcome::Status {
                status: StatusCode::from_u16(code).unwrap(),
                retry_after: after.map(Duration::from_secs),
            }
        }),
        Just(AttemptOutcome::ConnectFailed),
        Just(AttemptOutcome::TimedOut),
        Just(AttemptOutcome::ConnectionLost),
    ]
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
    fn posts_are_never_retried(attempt in 1u32..10, outcome in outcome(), jitter in 0.0f64..1.0) {
        let policy = RetryPolicy::default();
        prop_assert_eq!(policy.decide(&Method::POST, attempt, &outcome, jitter), RetryDecision::Stop);
        prop_assert_eq!(policy.decide(&Method::PATCH, attempt, &outcome, jitter), RetryDecision::Stop);
    }

    #[test]
    fn delays_never_exceed_their_caps(attempt in 1u32..1000, outcome in outcome(), jitter in 0.0f64..1.0) {
        let policy = RetryPolicy::default().with_max_retries(u32::MAX);
        if let RetryDecision::RetryAfter(delay) = policy.decide(&Method::GET, attempt, &outcome, jitter) {
            prop_assert!(delay <= policy.max_backoff.max(policy.max_retry_after));
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
