//! Money and quantities as [`Decimal`].
//!
//! DK+ is a .NET service that keeps amounts as binary doubles and writes them as JSON numbers with
//! up to 17 significant digits (`"UnitPrice": 64257.0281124498`). Reading goes through the shortest
//! decimal text of that double, so the digits DK+ sent are the digits we keep. Strings are accepted
//! too, with a `.` or an Icelandic `,` as the decimal separator.
//!
//! Writing sends a JSON number: whole values as integers (`"Quantity": 2`) and the rest as the
//! nearest double (`"Price": 1234.56`). A value with more than 15 significant digits cannot be
//! represented exactly by DK+ and is rejected before sending (see
//! [`crate::Error::InvalidInput`]).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum RawNumber {
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

fn from_f64(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err(format!("{value} is not a finite number"));
    }
    // `Display` for f64 writes the shortest text that reads back as the same double and never
    // uses an exponent.
    let text = value.to_string();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .map_err(|e| format!("{value} does not fit a decimal: {e}"))
}

/// Parses a decimal written as text, with `.` or `,` as the separator.
pub(crate) fn parse_text(text: &str) -> Result<Option<Decimal>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let normalised = if trimmed.contains(',') && !trimmed.contains('.') {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_owned()
    };
    normalised
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&normalised))
        .map(Some)
        .map_err(|_| format!("expected a number, found {trimmed:?}"))
}

fn from_raw(raw: RawNumber) -> Result<Option<Decimal>, String> {
    match raw {
        RawNumber::Int(i) => Ok(Some(Decimal::from(i))),
        RawNumber::UInt(u) => Ok(Some(Decimal::from(u))),
        RawNumber::Float(f) => from_f64(f).map(Some),
        RawNumber::Text(t) => parse_text(&t),
    }
}

/// Largest number of significant digits a double carries exactly.
pub(crate) const MAX_SIGNIFICANT_DIGITS: u32 = 15;

/// True when `value` survives the trip through a double unchanged.
pub(crate) fn fits_double(value: Decimal) -> bool {
    let normalized = value.normalize();
    let mantissa = normalized.mantissa().unsigned_abs();
    let digits = if mantissa == 0 {
        1
    } else {
        mantissa.ilog10() + 1
    };
    digits <= MAX_SIGNIFICANT_DIGITS
}

fn serialize_decimal<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let normalized = value.normalize();
    if normalized.scale() == 0
        && let Some(int) = normalized.to_i64()
    {
        return serializer.serialize_i64(int);
    }
    match normalized.to_f64() {
        Some(float) => serializer.serialize_f64(float),
        None => Err(serde::ser::Error::custom(format!(
            "{value} cannot be written as a JSON number"
        ))),
    }
}

/// Required `Decimal` fields.
pub(crate) mod decimal_num {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Decimal, D::Error> {
        let raw = RawNumber::deserialize(deserializer)?;
        from_raw(raw)
            .map_err(serde::de::Error::custom)?
            .ok_or_else(|| serde::de::Error::custom("expected a number, found an empty string"))
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Decimal,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_decimal(value, serializer)
    }
}

/// `Option<Decimal>` fields.
pub(crate) mod decimal_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        match Option::<RawNumber>::deserialize(deserializer)? {
            None => Ok(None),
            Some(raw) => from_raw(raw).map_err(serde::de::Error::custom),
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serialize_decimal(d, serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde::Serialize;

    #[derive(Deserialize, Serialize)]
    struct Holder {
        #[serde(default, with = "decimal_opt")]
        v: Option<Decimal>,
    }

    fn read(json: &str) -> Option<Decimal> {
        serde_json::from_str::<Holder>(json).unwrap().v
    }

    fn write(v: Decimal) -> String {
        serde_json::to_string(&Holder { v: Some(v) }).unwrap()
    }

    #[test]
    fn reads_the_digits_dkplus_sent() {
        assert_eq!(
            read(r#"{"v": 64257.0281124498}"#),
            Some(dec!(64257.0281124498))
        );
        assert_eq!(
            read(r#"{"v": 744.103585657371}"#),
            Some(dec!(744.103585657371))
        );
        assert_eq!(read(r#"{"v": 0.1}"#), Some(dec!(0.1)));
        assert_eq!(read(r#"{"v": 24}"#), Some(dec!(24)));
        assert_eq!(read(r#"{"v": -3}"#), Some(dec!(-3)));
        assert_eq!(read(r#"{"v": 1e3}"#), Some(dec!(1000)));
    }

    #[test]
    fn reads_strings_nulls_and_icelandic_commas() {
        assert_eq!(
            read(r#"{"v": "70961,2903225807"}"#),
            Some(dec!(70961.2903225807))
        );
        assert_eq!(read(r#"{"v": "12.5"}"#), Some(dec!(12.5)));
        assert_eq!(read(r#"{"v": ""}"#), None);
        assert_eq!(read(r#"{"v": null}"#), None);
        assert_eq!(read(r#"{}"#), None);
        assert!(serde_json::from_str::<Holder>(r#"{"v": "abc"}"#).is_err());
    }

    #[test]
    fn writes_json_numbers() {
        assert_eq!(write(dec!(2)), r#"{"v":2}"#);
        assert_eq!(write(dec!(2.000)), r#"{"v":2}"#);
        assert_eq!(write(dec!(1234.56)), r#"{"v":1234.56}"#);
        assert_eq!(write(dec!(-0.5)), r#"{"v":-0.5}"#);
    }

    #[test]
    fn knows_what_fits_a_double() {
        assert!(fits_double(dec!(1234.56)));
        assert!(fits_double(dec!(0)));
        assert!(fits_double(dec!(123456789012345)));
        assert!(!fits_double(dec!(1234567890123456)));
        assert!(!fits_double(dec!(0.3333333333333333333)));
    }
}
