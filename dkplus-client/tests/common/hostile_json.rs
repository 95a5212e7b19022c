//! Hostile input for the decoder tests of both clients (moment-client's tests include this file
//! by path): JSON shaped like an API's objects with values of any type, the answers a broken
//! proxy or server could send with `200 OK`, and a bound that turns a hang into a failure.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Scalars that break naive decoders: odd dates, numbers beyond `f64` and `Decimal`, sentinels,
/// enum names of both APIs, control and bidirectional characters.
pub fn hostile_scalar() -> impl Strategy<Value = Value> {
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
            "0000-00-00",
            "2026-02-30",
            "2026-13-01",
            "+275760-09-13T00:00:00Z",
            "/Date(1700000000000)/",
            "/Date(-62135596800000)/",
            "2026-11-02T10:00:00+25:00",
            "2026-11-02T24:00:00",
            "20261102",
            "true",
            "null",
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

/// Arbitrary JSON, up to four levels deep, whose object keys are mostly the API's own field
/// names (`keys`) and whose values are hostile scalars.
pub fn json_like(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(keys).prop_map(str::to_owned),
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

/// Bodies a broken proxy or server could answer with `200 OK`, whatever the API: empty, HTML,
/// invalid UTF-8, nested beyond any parser's depth, `null`, a bare scalar, a byte order mark,
/// NUL bytes. Each test adds bodies shaped like its API's objects.
pub fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    vec![
        ("empty", Vec::new()),
        ("whitespace", b"   \n".to_vec()),
        ("html", b"<html><body>Log in</body></html>".to_vec()),
        ("invalid utf-8", vec![b'"', 0xff, 0xfe, b'"']),
        ("byte order mark", b"\xef\xbb\xbf{}".to_vec()),
        ("nested 100 000 deep", deep(100_000)),
        ("object nested deep", "{\"a\":".repeat(10_000).into_bytes()),
        ("null", b"null".to_vec()),
        ("scalar", b"42".to_vec()),
        ("nul bytes", b"{\"a\": \"a\\u0000b\"}\0\0".to_vec()),
    ]
}

/// Waits for `future` at most 30 s: a hang fails the test instead of stalling it.
pub async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("no hang")
}

/// Checks the results of calls that met a hostile answer: each is a value or an error of an
/// `expected` kind, with a message.
pub fn assert_typed<E: std::fmt::Debug + std::fmt::Display>(
    body: &str,
    results: Vec<(&str, Result<(), E>)>,
    expected: impl Fn(&E) -> bool,
) {
    for (call, result) in results {
        if let Err(error) = result {
            assert!(
                expected(&error),
                "{body} / {call}: unexpected error kind {error:?}"
            );
            assert!(!error.to_string().is_empty());
        }
    }
}
