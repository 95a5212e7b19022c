//! Lenient DK+ date parsing.
//!
//! Seen in responses: `2019-11-26T16:13:51.247Z`, `2020-11-23T14:05:20.949+00:00`,
//! `2019-11-05T15:19:00.2076415+00:00` (7 fraction digits), `2019-03-15T00:00:00` (no offset) and
//! date-only values. "No date" is written as one of the sentinels `0001-01-01T00:00:00`,
//! `1899-12-30T00:00:00Z` (the Delphi zero date) or `0100-01-01T00:00:00Z`; those, `null` and `""`
//! all read as `None`. Values without an offset are read as UTC (Iceland keeps UTC all year).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Why a date string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateParseError(String);

impl std::fmt::Display for DateParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unrecognised date {:?} (expected ISO-8601 like 2019-03-15, 2019-03-15T00:00:00 or 2019-11-26T16:13:51.247Z)",
            self.0
        )
    }
}

/// True for DK's "no date" markers.
fn is_sentinel(date: NaiveDate) -> bool {
    date.year() <= 100 || date == NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN)
}

/// Parses any DK+ date or timestamp into a UTC instant; `Ok(None)` for empty values and sentinels.
pub(crate) fn parse_timestamp(raw: &str) -> Result<Option<DateTime<Utc>>, DateParseError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let parsed = if let Ok(with_offset) = DateTime::parse_from_rfc3339(value) {
        with_offset.with_timezone(&Utc)
    } else if let Ok(with_offset) = DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z") {
        with_offset.with_timezone(&Utc)
    } else if let Ok(naive) = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f") {
        naive.and_utc()
    } else if let Ok(naive) = NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f") {
        naive.and_utc()
    } else if let Ok(naive) = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M") {
        naive.and_utc()
    } else if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        date.and_time(chrono::NaiveTime::MIN).and_utc()
    } else {
        return Err(DateParseError(value.to_owned()));
    };
    if is_sentinel(parsed.date_naive()) {
        return Ok(None);
    }
    Ok(Some(parsed))
}

/// Parses any DK+ date or timestamp and keeps its calendar date (in UTC).
pub(crate) fn parse_date(raw: &str) -> Result<Option<NaiveDate>, DateParseError> {
    Ok(parse_timestamp(raw)?.map(|t| t.date_naive()))
}

/// `2019-03-15T00:00:00`: how dates are written in request bodies.
pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%dT00:00:00").to_string()
}

/// `2019-03-15T10:20:30`: how instants are written in query strings (UTC, no offset, as DK+'s own
/// examples do).
pub(crate) fn format_query_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn deserialize_raw<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)
}

/// `Option<DateTime<Utc>>` fields.
pub(crate) mod timestamp_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match deserialize_raw(deserializer)? {
            None => Ok(None),
            Some(raw) => parse_timestamp(&raw).map_err(serde::de::Error::custom),
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => serializer.serialize_none(),
        }
    }
}

/// `Option<NaiveDate>` fields (calendar dates such as `InvoiceDate`, `DueDate`).
pub(crate) mod date_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        match deserialize_raw(deserializer)? {
            None => Ok(None),
            Some(raw) => parse_date(&raw).map_err(serde::de::Error::custom),
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => serializer.serialize_str(&format_date(*date)),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(raw: &str) -> Option<String> {
        parse_timestamp(raw)
            .unwrap()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    #[test]
    fn reads_every_documented_shape() {
        assert_eq!(
            ts("2019-11-26T16:13:51.247Z").as_deref(),
            Some("2019-11-26T16:13:51.247Z")
        );
        assert_eq!(
            ts("2019-11-26T16:13:51Z").as_deref(),
            Some("2019-11-26T16:13:51Z")
        );
        assert_eq!(
            ts("2020-11-23T14:05:20.949+00:00").as_deref(),
            Some("2020-11-23T14:05:20.949Z")
        );
        assert_eq!(
            ts("2019-11-05T15:19:00.2076415+00:00").as_deref(),
            Some("2019-11-05T15:19:00.207641500Z")
        );
        assert_eq!(
            ts("2019-03-15T00:00:00").as_deref(),
            Some("2019-03-15T00:00:00Z")
        );
        assert_eq!(
            ts("2019-03-15T00:00:00.0000000").as_deref(),
            Some("2019-03-15T00:00:00Z")
        );
        assert_eq!(ts("2019-03-15").as_deref(), Some("2019-03-15T00:00:00Z"));
        assert_eq!(
            ts("2019-03-15 10:11:12").as_deref(),
            Some("2019-03-15T10:11:12Z")
        );
        assert_eq!(
            ts("2019-03-15T12:00:00+02:00").as_deref(),
            Some("2019-03-15T10:00:00Z")
        );
    }

    #[test]
    fn sentinels_and_empty_values_are_none() {
        for raw in [
            "0001-01-01T00:00:00",
            "1899-12-30T00:00:00Z",
            "1899-12-30T00:00:00",
            "0100-01-01T00:00:00Z",
            "",
            "   ",
        ] {
            assert_eq!(parse_timestamp(raw), Ok(None), "{raw:?}");
        }
    }

    #[test]
    fn garbage_is_an_error_that_quotes_the_value() {
        let err = parse_timestamp("15.03.2019").unwrap_err();
        assert!(err.to_string().contains("15.03.2019"));
    }

    #[test]
    fn dates_keep_the_calendar_day() {
        assert_eq!(
            parse_date("2019-03-15T00:00:00").unwrap(),
            NaiveDate::from_ymd_opt(2019, 3, 15)
        );
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
            "2024-02-29T00:00:00"
        );
    }
}
