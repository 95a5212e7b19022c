//! Icelandic national identification numbers (kennitala).
//!
//! A kennitala has ten digits `DDMMYY-RRCV`: the birth or founding date, two serial digits `RR`, a
//! check digit `C` and a century digit `V` (`9` = 1900s, `0` = 2000s, `8` = 1800s). Companies and
//! other legal entities add 40 to the day, so `DD` is 41–71 for them and 01–31 for persons.
//!
//! The check digit is a weighted sum modulo 11 over the first eight digits with the weights
//! `3 2 7 6 5 4 3 2`: `C = 11 − (sum mod 11)`, where a result of 11 means 0 and a result of 10 means
//! that no valid kennitala has these first eight digits.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A validated Icelandic kennitala: ten digits with a correct check digit, a known century digit
/// and a real calendar date.
///
/// ```
/// use dkplus_client::Kennitala;
///
/// let kt = Kennitala::parse(" 120174-3399 ").unwrap();
/// assert_eq!(kt.as_str(), "1201743399");
/// assert!(kt.is_person());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kennitala(String);

/// Why a string is not a valid kennitala.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KennitalaError {
    /// The value has the wrong number of digits (a kennitala has ten, optionally written with a
    /// hyphen after the sixth).
    #[error("a kennitala has 10 digits (DDMMYY-NNNN or DDMMYYNNNN); found {found} characters")]
    WrongLength {
        /// How many characters were found after trimming surrounding spaces.
        found: usize,
    },
    /// The value contains something other than digits (and the single optional hyphen).
    #[error(
        "a kennitala may contain only digits and one hyphen after the sixth digit; found {found:?}"
    )]
    NotDigits {
        /// The first offending character.
        found: char,
    },
    /// The ninth digit does not match the mod-11 checksum of the first eight.
    #[error("kennitala check digit is wrong (found {found}, {})", match expected { Some(d) => format!("expected {d}"), None => "no check digit fits the first eight digits".to_owned() })]
    BadCheckDigit {
        /// The check digit the first eight digits require, or `None` when no check digit can be
        /// valid for them (the checksum gives 10).
        expected: Option<u8>,
        /// The ninth digit as written.
        found: u8,
    },
    /// The tenth digit is not a known century digit (`8`, `9` or `0`).
    #[error("kennitala century digit must be 8, 9 or 0; found {found}")]
    BadCenturyDigit {
        /// The tenth digit as written.
        found: u8,
    },
    /// The first six digits are not a real date (after removing the +40 company offset).
    #[error("the first six digits of a kennitala must be a date (DDMMYY); {value} is not")]
    InvalidDate {
        /// The six date digits as written.
        value: String,
    },
}

const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

impl Kennitala {
    /// Parses `DDMMYY-NNNN` or `DDMMYYNNNN`, ignoring surrounding whitespace, and validates the
    /// check digit, the century digit and the date.
    pub fn parse(input: &str) -> Result<Self, KennitalaError> {
        let trimmed = input.trim();
        let chars: Vec<char> = trimmed.chars().collect();
        let without_hyphen: Vec<char> = if chars.len() == 11 && chars.get(6) == Some(&'-') {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 6)
                .map(|(_, c)| *c)
                .collect()
        } else {
            chars.clone()
        };
        if let Some(found) = without_hyphen.iter().find(|c| !c.is_ascii_digit()) {
            return Err(KennitalaError::NotDigits { found: *found });
        }
        if without_hyphen.len() != 10 {
            return Err(KennitalaError::WrongLength { found: chars.len() });
        }
        let mut digits = [0u8; 10];
        for (slot, ch) in digits.iter_mut().zip(&without_hyphen) {
            // ASCII digits only (checked above), so the subtraction cannot underflow.
            *slot = (*ch as u8) - b'0';
        }

        let sum: u32 = digits
            .iter()
            .zip(WEIGHTS.iter())
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        let expected = match 11 - (sum % 11) {
            11 => Some(0u8),
            10 => None,
            // 1..=9 fits a u8.
            other => Some(other as u8),
        };
        if expected != Some(digits[8]) {
            return Err(KennitalaError::BadCheckDigit {
                expected,
                found: digits[8],
            });
        }

        let century = match digits[9] {
            8 => 1800,
            9 => 1900,
            0 => 2000,
            found => return Err(KennitalaError::BadCenturyDigit { found }),
        };
        let mut day = u32::from(digits[0]) * 10 + u32::from(digits[1]);
        if day > 40 {
            day -= 40;
        }
        let month = u32::from(digits[2]) * 10 + u32::from(digits[3]);
        let year = century + i32::from(digits[4]) * 10 + i32::from(digits[5]);
        if NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(KennitalaError::InvalidDate {
                value: digits[..6].iter().map(|d| char::from(b'0' + d)).collect(),
            });
        }

        Ok(Self(digits.iter().map(|d| char::from(b'0' + d)).collect()))
    }

    /// The ten digits without a hyphen, as DK+ stores them (`1201743399`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a legal entity (company, association, institution): day digits 41–71.
    pub fn is_company(&self) -> bool {
        self.0.as_bytes().first().is_some_and(|d| *d >= b'4')
    }

    /// True for a natural person: day digits 01–31.
    pub fn is_person(&self) -> bool {
        !self.is_company()
    }

    /// The birth date of a person or the founding date of a company.
    pub fn date(&self) -> Option<NaiveDate> {
        let digit = |i: usize| self.0.as_bytes().get(i).map(|b| u32::from(b - b'0'));
        let mut day = digit(0)? * 10 + digit(1)?;
        if day > 40 {
            day -= 40;
        }
        let month = digit(2)? * 10 + digit(3)?;
        let century = match digit(9)? {
            8 => 1800,
            9 => 1900,
            _ => 2000,
        };
        let year = century + i32::try_from(digit(4)? * 10 + digit(5)?).ok()?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// The conventional display form with a hyphen (`120174-3399`).
    pub fn formatted(&self) -> String {
        let (date, rest) = self.0.split_at(6.min(self.0.len()));
        format!("{date}-{rest}")
    }
}

impl fmt::Display for Kennitala {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Kennitala {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kennitala({})", self.0)
    }
}

impl FromStr for Kennitala {
    type Err = KennitalaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Kennitala {
    type Error = KennitalaError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl AsRef<str> for Kennitala {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Kennitala {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Kennitala {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid kennitala from its first eight digits and a century digit.
    fn with_check_digit(first8: &str, century: char) -> String {
        let sum: u32 = first8
            .chars()
            .zip(WEIGHTS)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => panic!("no valid check digit for {first8}"),
            c => c,
        };
        format!("{first8}{check}{century}")
    }

    #[test]
    fn accepts_persons_in_both_spellings() {
        let kt = Kennitala::parse("1201743399").unwrap();
        assert!(kt.is_person());
        assert!(!kt.is_company());
        assert_eq!(kt.to_string(), "1201743399");
        assert_eq!(kt.formatted(), "120174-3399");
        assert_eq!(kt.date(), NaiveDate::from_ymd_opt(1974, 1, 12));
        assert_eq!(Kennitala::parse("120174-3399").unwrap(), kt);
        assert_eq!(Kennitala::parse("  120174-3399\t").unwrap(), kt);
    }

    #[test]
    fn accepts_companies() {
        let raw = with_check_digit("53049423", '9');
        let kt = Kennitala::parse(&raw).unwrap();
        assert!(kt.is_company());
        assert_eq!(kt.date(), NaiveDate::from_ymd_opt(1994, 4, 13));
        // The DK+ sample customer numbers are valid kennitölur.
        assert!(Kennitala::parse("1710794709").unwrap().is_person());
        assert!(Kennitala::parse("5304942339").unwrap().is_company());
    }

    #[test]
    fn accepts_the_2000s_and_1800s() {
        let kt = Kennitala::parse(&with_check_digit("01020329", '0')).unwrap();
        assert_eq!(kt.date(), NaiveDate::from_ymd_opt(2003, 2, 1));
        let kt = Kennitala::parse(&with_check_digit("01029921", '8')).unwrap();
        assert_eq!(kt.date(), NaiveDate::from_ymd_opt(1899, 2, 1));
    }

    #[test]
    fn rejects_a_bad_check_digit() {
        assert_eq!(
            Kennitala::parse("1201743389"),
            Err(KennitalaError::BadCheckDigit {
                expected: Some(9),
                found: 8
            })
        );
    }

    #[test]
    fn rejects_a_bad_century_digit() {
        let mut raw = with_check_digit("12017433", '9');
        raw.pop();
        raw.push('5');
        assert_eq!(
            Kennitala::parse(&raw),
            Err(KennitalaError::BadCenturyDigit { found: 5 })
        );
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(
            Kennitala::parse("120174339"),
            Err(KennitalaError::WrongLength { found: 9 })
        );
        assert_eq!(
            Kennitala::parse("12017433999"),
            Err(KennitalaError::WrongLength { found: 11 })
        );
        assert_eq!(
            Kennitala::parse(""),
            Err(KennitalaError::WrongLength { found: 0 })
        );
        assert!(matches!(
            Kennitala::parse("1201-743399"),
            Err(KennitalaError::NotDigits { found: '-' })
        ));
    }

    #[test]
    fn rejects_letters() {
        assert_eq!(
            Kennitala::parse("12017A3399"),
            Err(KennitalaError::NotDigits { found: 'A' })
        );
        assert_eq!(
            Kennitala::parse("１２０１７４３３９９"),
            Err(KennitalaError::NotDigits { found: '１' })
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        let raw = with_check_digit("32017433", '9');
        assert!(matches!(
            Kennitala::parse(&raw),
            Err(KennitalaError::InvalidDate { .. })
        ));
        let raw = with_check_digit("01137433", '9');
        assert!(matches!(
            Kennitala::parse(&raw),
            Err(KennitalaError::InvalidDate { .. })
        ));
    }

    #[test]
    fn serde_round_trip_validates() {
        let kt: Kennitala = serde_json::from_str("\"120174-3399\"").unwrap();
        assert_eq!(serde_json::to_string(&kt).unwrap(), "\"1201743399\"");
        assert!(serde_json::from_str::<Kennitala>("\"1201743389\"").is_err());
    }
}
