//! The DK+ API token, kept out of every `Debug`, `Display`, log line and error.

use std::fmt;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// A DK+ API token (a GUID created in dkPlus under user settings, bound to one company).
///
/// `Debug` and `Display` print `[redacted]`; the token is only ever read to build the
/// `Authorization` header, which is marked sensitive.
///
/// ```
/// use dkplus_client::ApiToken;
///
/// let token = ApiToken::new("3f2c...");
/// assert_eq!(format!("{token:?}"), "ApiToken([redacted])");
/// ```
#[derive(Clone)]
pub struct ApiToken(SecretString);

impl ApiToken {
    /// Wraps a token. Surrounding whitespace is removed.
    pub fn new(token: impl Into<String>) -> Self {
        let raw: String = token.into();
        Self(SecretString::from(raw.trim().to_owned()))
    }

    /// `Authorization: bearer <token>`, marked sensitive so HTTP tooling redacts it too.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, &'static str> {
        let secret = self.0.expose_secret();
        if secret.is_empty() {
            return Err("the API token is empty");
        }
        let mut value = HeaderValue::from_str(&format!("bearer {secret}"))
            .map_err(|_| "the API token contains characters that cannot go in an HTTP header")?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken([redacted])")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for ApiToken {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for ApiToken {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let token = ApiToken::new("  abc-123-secret ");
        assert!(!format!("{token:?}").contains("secret"));
        assert!(!format!("{token}").contains("secret"));
        let header = token.header_value().unwrap();
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap(), "bearer abc-123-secret");
        assert!(!format!("{header:?}").contains("secret"));
    }

    #[test]
    fn rejects_unusable_tokens() {
        assert!(ApiToken::new("   ").header_value().is_err());
        assert!(ApiToken::new("a\nb").header_value().is_err());
    }
}
