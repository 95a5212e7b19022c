//! Tolerant decoding for the parts of Moment's JSON whose exact shape is not published.
//!
//! * [`Text`]: a free-text field; accepts a string, a number or a boolean (kept as text).
//! * [`Timestamp`]: an audit time; accepts RFC 3339 (`2025-02-01T10:00:00Z`), a date-time without
//!   offset (read as UTC), a plain date (midnight UTC) or an integer of epoch milliseconds (the
//!   default of the Java serializer Moment's API appears to run on).
//! * [`Day`]: a calendar date; accepts `YYYY-MM-DD`, a date-time string (the date as written,
//!   not shifted by the offset) or epoch milliseconds (date in UTC).
//! * [`pick`] / [`agree`]: choose between alternative wire names for one field; `agree` refuses
//!   two different values so a wrong number is never picked silently.
//!
//! * [`Money`]: an amount, quantity or percentage as `Decimal`, from a string (exact) or a JSON
//!   number (exact up to 15 significant digits, refused beyond).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserializer;
use serde::de::{self, Deserialize, Visitor};

/// Free text that may arrive as a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text (a string, number or boolean)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An instant in UTC, decoded tolerantly (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(pub(crate) DateTime<Utc>);

/// Parses the text forms accepted by [`Timestamp`].
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time (RFC 3339 text or epoch milliseconds)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                parse_timestamp(v)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                DateTime::from_timestamp_millis(v)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(DateTime::from_timestamp_millis)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An amount, a quantity or a percentage: a JSON string (read exactly, also in scientific
/// notation) or a JSON number.
///
/// A JSON number reaches us as an `f64`; any number with at most 15 significant digits
/// survives that exactly and is read from its shortest decimal text (`12.1` is exactly `12.1`).
/// When that text needs more than 15 digits the number has been rounded in transit, so it is
/// refused with a decode error instead of risking a wrong amount. (A source number with more
/// than 15 digits that rounds to a shorter one, e.g. `0.1000000000000000055`, is read as the
/// shorter one: the difference is below one part in 10^15.) Strings are always read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money(pub(crate) Decimal);

/// The most significant digits an `f64` carries exactly (`f64::DIGITS`).
const EXACT_DIGITS: usize = f64::DIGITS as usize;

/// Digits that carry precision in a plain decimal text: from the first non-zero digit to the
/// last non-zero fractional digit, or to the decimal point (zeros before it count).
fn significant_digits(text: &str) -> usize {
    let unsigned = text.trim_start_matches(['-', '+']);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    if int.is_empty() {
        frac.trim_start_matches('0').len()
    } else {
        int.len() + frac.len()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number (JSON number or string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Decimal::from_str_exact(v)
                    .or_else(|_| Decimal::from_scientific(v))
                    .map(Money)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                Ok(Money(Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                Ok(Money(Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                if !v.is_finite() {
                    return Err(E::invalid_value(de::Unexpected::Float(v), &self));
                }
                let text = v.to_string();
                if significant_digits(&text) > EXACT_DIGITS {
                    return Err(E::custom(format!(
                        "the JSON number {text} has more than {EXACT_DIGITS} significant digits \
                         and may have been rounded in transit; refusing to guess the amount"
                    )));
                }
                Decimal::from_str_exact(&text)
                    .map(Money)
                    .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An integer that may arrive as a JSON integer or as a string of digits (`"30"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int(pub(crate) i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number (integer or digits as text)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse()
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Reads the first of `keys` that holds a scalar in a loosely known JSON object (or the value
/// itself when it is a string). Other shapes are ignored: this is only used for places where
/// Moment's shape is a guess and a second, flat field is read first.
pub(crate) fn loose_text(value: Option<&serde_json::Value>, keys: &[&str]) -> Option<String> {
    use serde_json::Value;
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => keys.iter().find_map(|k| match map.get(*k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// A calendar date, decoded tolerantly (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day(pub(crate) NaiveDate);

fn parse_day(s: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    // A date-time: keep the date as written (an invoice dated 2025-01-31T00:00:00+01:00 is
    // dated 31 January, not 30 January in UTC).
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.date_naive());
    }
    parse_timestamp(s).map(|t| t.date_naive())
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Day;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date (YYYY-MM-DD, a date-time, or epoch milliseconds)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Day, E> {
                parse_day(v)
                    .map(Day)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Day, E> {
                DateTime::from_timestamp_millis(v)
                    .map(|t| Day(t.date_naive()))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Day, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(DateTime::from_timestamp_millis)
                    .map(|t| Day(t.date_naive()))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The reason a wire object could not be turned into a model (two alternative fields disagree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict(pub(crate) String);

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first present value among alternative wire names (for free text, where a difference
/// between alternatives cannot produce a wrong amount).
pub(crate) fn pick<T, const N: usize>(candidates: [Option<T>; N]) -> Option<T> {
    candidates.into_iter().flatten().next()
}

/// The value present under alternative wire names; when two of them carry **different** values
/// the object is refused, naming both fields, instead of guessing which one is right.
pub(crate) fn agree<T: PartialEq + fmt::Debug, const N: usize>(
    candidates: [(&'static str, Option<T>); N],
) -> Result<Option<T>, Conflict> {
    let mut chosen: Option<(&'static str, T)> = None;
    for (name, value) in candidates {
        let Some(value) = value else { continue };
        match &chosen {
            None => chosen = Some((name, value)),
            Some((first, kept)) if *kept != value => {
                return Err(Conflict(format!(
                    "fields `{first}` ({kept:?}) and `{name}` ({value:?}) disagree; \
                     cannot tell which one is right"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(chosen.map(|(_, v)| v))
}

/// Unwraps an optional [`Text`].
pub(crate) fn text(t: Option<Text>) -> Option<String> {
    t.map(|t| t.0)
}

/// Unwraps an optional [`Timestamp`].
pub(crate) fn timestamp(t: Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.map(|t| t.0)
}

/// Unwraps an optional [`Money`].
pub(crate) fn money(m: Option<Money>) -> Option<Decimal> {
    m.map(|m| m.0)
}

/// Unwraps an optional [`Int`].
pub(crate) fn int(i: Option<Int>) -> Option<i64> {
    i.map(|i| i.0)
}

/// Unwraps an optional [`Day`].
pub(crate) fn day(d: Option<Day>) -> Option<NaiveDate> {
    d.map(|d| d.0)
}

/// Declares an enum read from text case-insensitively (ignoring `_`, `-` and spaces), with an
/// `Unknown(String)` arm that keeps a value we have not seen, and written as its canonical text.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know yet, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Reads the wire text (case-insensitive; `_`, `-` and spaces are ignored).
            pub fn from_wire(value: &str) -> Self {
                let key = $crate::wire::squash(value);
                $(
                    if key == $crate::wire::squash($canonical) $(|| key == $crate::wire::squash($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Unknown(value.to_owned())
            }

            /// The text written to the wire for this value.
            pub fn as_wire(&self) -> &str {
                match self {
                    $( Self::$variant => $canonical, )+
                    Self::Unknown(raw) => raw,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_wire())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_wire())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <$crate::wire::Text as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::from_wire(&text.0))
            }
        }
    };
}
pub(crate) use text_enum;

/// Lower-cases and removes `_`, `-` and spaces (the comparison key of [`text_enum!`]).
pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(json: &str) -> Result<DateTime<Utc>, serde_json::Error> {
        serde_json::from_str::<Timestamp>(json).map(|t| t.0)
    }

    #[test]
    fn timestamps_in_every_accepted_form() {
        let expected = DateTime::parse_from_rfc3339("2025-02-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts("\"2025-02-01T10:00:00Z\"").unwrap(), expected);
        assert_eq!(ts("\"2025-02-01T11:00:00+01:00\"").unwrap(), expected);
        assert_eq!(ts("\"2025-02-01T11:00:00.000+0100\"").unwrap(), expected);
        assert_eq!(ts("\"2025-02-01T10:00:00\"").unwrap(), expected);
        assert_eq!(ts("\"2025-02-01 10:00:00.000\"").unwrap(), expected);
        assert_eq!(
            ts(&expected.timestamp_millis().to_string()).unwrap(),
            expected
        );
        assert_eq!(
            ts("\"2025-02-01\"").unwrap(),
            expected - chrono::Duration::hours(10)
        );
        assert!(ts("\"yesterday\"").is_err());
        assert!(ts("true").is_err());
    }

    #[test]
    fn days_keep_the_date_as_written() {
        let day = |json: &str| serde_json::from_str::<Day>(json).map(|d| d.0);
        let jan31 = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        assert_eq!(day("\"2025-01-31\"").unwrap(), jan31);
        assert_eq!(day("\"2025-01-31T00:00:00+01:00\"").unwrap(), jan31);
        assert_eq!(day("\"2025-01-31T00:00:00\"").unwrap(), jan31);
        assert_eq!(day("1738281600000").unwrap(), jan31);
        assert!(day("\"31.01.2025\"").is_err());
    }

    #[test]
    fn text_accepts_scalars_only() {
        let text = |json: &str| serde_json::from_str::<Text>(json).map(|t| t.0);
        assert_eq!(text("\"a\"").unwrap(), "a");
        assert_eq!(text("12").unwrap(), "12");
        assert_eq!(text("false").unwrap(), "false");
        assert!(text("{}").is_err());
        assert!(text("[]").is_err());
    }

    #[test]
    fn agree_refuses_different_values_and_accepts_equal_ones() {
        use rust_decimal::Decimal;
        let ten = Decimal::new(10, 0);
        let ten_00 = Decimal::new(1000, 2);
        assert_eq!(
            agree([("a", Some(ten)), ("b", Some(ten_00))]),
            Ok(Some(ten))
        );
        assert_eq!(agree([("a", None), ("b", Some(ten))]), Ok(Some(ten)));
        assert_eq!(agree::<Decimal, 2>([("a", None), ("b", None)]), Ok(None));
        let err = agree([("a", Some(ten)), ("b", Some(Decimal::ONE))]).unwrap_err();
        assert!(err.0.contains("`a`") && err.0.contains("`b`"), "{err}");
    }

    #[test]
    fn money_from_numbers_and_strings() {
        use rust_decimal_macros::dec;
        let m = |json: &str| serde_json::from_str::<Money>(json).map(|m| m.0);
        assert_eq!(m("0.1").unwrap(), dec!(0.1));
        assert_eq!(m("12.10").unwrap(), dec!(12.1));
        assert_eq!(m("-48000").unwrap(), dec!(-48000));
        assert_eq!(m("123456789012.345").unwrap(), dec!(123456789012.345));
        assert_eq!(
            m("\"1234567890.123456789\"").unwrap(),
            dec!(1234567890.123456789)
        );
        assert_eq!(m("\"1.5e3\"").unwrap(), dec!(1500));
        assert_eq!(
            m("18446744073709551615").unwrap(),
            dec!(18446744073709551615)
        );
        assert!(
            m("1234567890.123456789").is_err(),
            "17 digits cannot be exact"
        );
        assert!(m("\"ten\"").is_err());
        assert!(m("\"\"").is_err());
        assert!(m("true").is_err());
    }

    #[test]
    fn significant_digit_count() {
        assert_eq!(significant_digits("0.000120"), 2);
        assert_eq!(significant_digits("-1200"), 4);
        assert_eq!(significant_digits("100.001"), 6);
        assert_eq!(significant_digits("4793578645143550"), 16);
        assert_eq!(significant_digits("0"), 0);
    }

    #[test]
    fn pick_takes_the_first_present() {
        assert_eq!(pick([None, Some(1), Some(2)]), Some(1));
        assert_eq!(pick::<i32, 2>([None, None]), None);
    }

    #[test]
    fn squash_ignores_case_and_separators() {
        assert_eq!(squash("CREDIT_NOTE"), "creditnote");
        assert_eq!(squash("credit-Note"), "creditnote");
    }
}
