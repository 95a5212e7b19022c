//! Command-line arguments of the programs: a few positional values and `--flags`.

use chrono::{DateTime, NaiveDate, Utc};

/// The parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// The values that are not flags, in order.
    pub positional: Vec<String>,
    /// The flags given, without their leading `--`.
    pub flags: Vec<String>,
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run with these arguments.
    Run(Args),
    /// `--help` or `-h`: print the usage and stop.
    Help,
}

impl Args {
    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

/// Splits the arguments (without the program name) into positional values and flags; refuses
/// a flag not in `known_flags` and more than `max_positional` values.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    known_flags: &[&str],
    max_positional: usize,
) -> Result<Parsed, String> {
    let mut parsed = Args::default();
    for arg in args {
        if arg == "--help" || arg == "-h" {
            return Ok(Parsed::Help);
        }
        if let Some(name) = arg.strip_prefix("--") {
            if !known_flags.contains(&name) {
                return Err(format!("unknown option {arg:?}"));
            }
            parsed.flags.push(name.to_owned());
        } else {
            parsed.positional.push(arg);
        }
    }
    if parsed.positional.len() > max_positional {
        return Err(format!(
            "too many arguments: {:?}",
            &parsed.positional[max_positional..]
        ));
    }
    Ok(Parsed::Run(parsed))
}

/// Reads a point in time: a date (`2026-01-31`, midnight UTC) or an RFC 3339 time
/// (`2026-01-31T12:00:00Z`, `2026-01-31T12:00:00+00:00`).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not a date: use 2026-01-31 or 2026-01-31T12:00:00Z"))
}

/// Reads a Moment id (a positive whole number, as in Moment's addresses).
pub fn parse_id(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!(
            "{text:?} is not a Moment id: use the number from the object's address in Moment"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn flags_and_values_are_separated() {
        let Parsed::Run(args) =
            parse(strings(&["2026-01-01", "--dry-run"]), &["dry-run"], 1).unwrap()
        else {
            panic!("not a run");
        };
        assert_eq!(args.positional, ["2026-01-01"]);
        assert!(args.flag("dry-run"));
        assert!(!args.flag("other"));
    }

    #[test]
    fn help_unknown_flags_and_extra_values() {
        assert_eq!(parse(strings(&["-h"]), &[], 0).unwrap(), Parsed::Help);
        assert!(
            parse(strings(&["--dryrun"]), &["dry-run"], 1)
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(
            parse(strings(&["1", "2"]), &[], 1)
                .unwrap_err()
                .contains("too many")
        );
    }

    #[test]
    fn since_accepts_dates_and_times() {
        assert_eq!(
            parse_since("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-01-31T12:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-01-31T10:00:00+00:00"
        );
        assert!(
            parse_since("31.01.2026")
                .unwrap_err()
                .contains("not a date")
        );
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!(parse_id("106939080").unwrap(), 106_939_080);
        for bad in ["0", "-5", "abc", ""] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
    }
}
