//! [`SharedSecret`]: the secret a webhook request must carry, in a header or in the URL.

use std::fmt;

/// Shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 16;

/// The name of the query parameter that may carry the secret (Moment's webhook settings take
/// only a URL, so the secret usually travels in it).
pub const QUERY_PARAMETER: &str = "secret";

/// The shared secret. Never shown by `Debug`; compared in time that does not depend on where
/// the first difference is.
#[derive(Clone)]
pub struct SharedSecret(String);

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret([redacted])")
    }
}

/// Why a secret was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Shorter than [`MIN_SECRET_LEN`].
    #[error(
        "the secret has {0} characters; use at least {MIN_SECRET_LEN} random characters \
         (for example the output of `openssl rand -hex 24`)"
    )]
    TooShort(usize),
    /// Holds characters that cannot travel unchanged in a URL or a header.
    #[error(
        "the secret may hold only letters, digits, '-', '_' and '.', so it travels \
         unchanged in a URL and a header"
    )]
    BadCharacters,
}

/// Two secrets are equal when they hold the same text (compared in constant time).
impl PartialEq for SharedSecret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for SharedSecret {}

impl SharedSecret {
    /// Checks and wraps a secret.
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        let secret = secret.into();
        let len = secret.chars().count();
        if len < MIN_SECRET_LEN {
            return Err(SecretError::TooShort(len));
        }
        if !secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(SecretError::BadCharacters);
        }
        Ok(Self(secret))
    }

    /// The secret itself, as a key (never to be shown).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn key(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether `candidate` is the secret.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        // Every byte is looked at whatever the first difference is.
        let differences = a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        differences == 0 && a.len() == b.len()
    }

    /// Whether the request carries the secret: in the header `header_value`, or as
    /// `?secret=` in the query string `query`.
    pub fn accepts(&self, header_value: Option<&str>, query: Option<&str>) -> bool {
        let in_header = header_value.is_some_and(|v| self.matches(v.trim()));
        let in_query = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|pair| pair.split_once('='))
            .any(|(name, value)| name == QUERY_PARAMETER && self.matches(value));
        in_header | in_query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-abcdef-0123456789";

    #[test]
    fn short_or_odd_secrets_are_refused() {
        assert_eq!(
            SharedSecret::new("short").unwrap_err(),
            SecretError::TooShort(5)
        );
        assert_eq!(
            SharedSecret::new("has spaces in the secret").unwrap_err(),
            SecretError::BadCharacters
        );
        assert!(SharedSecret::new(SECRET).is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = SharedSecret::new(SECRET).unwrap();
        assert_eq!(format!("{secret:?}"), "SharedSecret([redacted])");
    }

    #[test]
    fn header_or_query_must_carry_exactly_the_secret() {
        let secret = SharedSecret::new(SECRET).unwrap();
        assert!(secret.accepts(Some(SECRET), None));
        assert!(secret.accepts(None, Some(&format!("a=1&secret={SECRET}"))));
        assert!(!secret.accepts(None, None));
        assert!(!secret.accepts(Some("s3cret-abcdef-012345678"), None));
        assert!(!secret.accepts(Some(&format!("{SECRET}0")), None));
        assert!(!secret.accepts(None, Some(&format!("token={SECRET}"))));
        assert!(!secret.accepts(Some(""), Some("secret=")));
    }
}
