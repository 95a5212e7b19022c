//! Lenient integers. DK+ publishes counters, record ids and status codes as integers
//! (`"ClaimStatus": 0`, `"RecordID": 14656`); they are read from an integer, a number with no
//! fraction (`3.0`) or a numeric string (`"3"`), and `null` or `""` read as `None`. Anything else —
//! a fraction, a value out of range, other text — also reads as `None` (and is logged): these are
//! DK+'s bookkeeping fields, and a stray value in one must never make an answer unreadable (the
//! answer to an invoice post arrives after DK+ booked the invoice).

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum RawInt {
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

fn to_i64(raw: RawInt) -> Result<Option<i64>, String> {
    match raw {
        RawInt::Int(i) => Ok(Some(i)),
        RawInt::UInt(u) => i64::try_from(u)
            .map(Some)
            .map_err(|_| format!("{u} is too large for an integer")),
        RawInt::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            // Checked above: integral and well inside i64.
            #[allow(clippy::cast_possible_truncation)]
            Ok(Some(f as i64))
        }
        RawInt::Float(f) => Err(format!("expected an integer, found {f}")),
        RawInt::Text(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            trimmed
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("expected an integer, found {trimmed:?}"))
        }
    }
}

/// `Option<i64>`, `Option<i32>` … fields.
pub(crate) mod int_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i64>,
    {
        let Some(raw) = Option::<RawInt>::deserialize(deserializer)? else {
            return Ok(None);
        };
        let value = to_i64(raw).and_then(|value| {
            value
                .map(|v| T::try_from(v).map_err(|_| format!("{v} is out of range")))
                .transpose()
        });
        match value {
            Ok(value) => Ok(value),
            Err(reason) => {
                tracing::warn!(%reason, "DK+ sent an integer field that is not one; read as none");
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "super::int_opt::deserialize")]
        v: Option<i64>,
        #[serde(default, deserialize_with = "super::int_opt::deserialize")]
        small: Option<i32>,
    }

    fn read(json: &str) -> Result<Holder, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integers_numbers_and_numeric_strings_are_read() {
        for (json, expected) in [
            (r#"{"v": 0}"#, Some(0)),
            (r#"{"v": -12}"#, Some(-12)),
            (r#"{"v": 3.0}"#, Some(3)),
            (r#"{"v": "42"}"#, Some(42)),
            (r#"{"v": " 7 "}"#, Some(7)),
            (r#"{"v": ""}"#, None),
            (r#"{"v": null}"#, None),
            (r#"{}"#, None),
        ] {
            assert_eq!(read(json).unwrap().v, expected, "{json}");
        }
    }

    #[test]
    fn narrower_integers_take_values_in_their_range() {
        assert_eq!(
            read(r#"{"small": 2147483647}"#).unwrap().small,
            Some(i32::MAX)
        );
    }

    #[test]
    fn fractions_text_and_out_of_range_values_read_as_none_never_as_an_error() {
        for json in [
            r#"{"v": 1.5}"#,
            r#"{"v": "abc"}"#,
            r#"{"v": 18446744073709551615}"#,
            r#"{"small": 3000000000}"#,
        ] {
            let read = read(json).unwrap();
            assert_eq!((read.v, read.small), (None, None), "{json}");
        }
        // Not a number at all (a boolean, an object) is still an error of the answer's shape.
        assert!(read(r#"{"v": true}"#).is_err());
    }
}
