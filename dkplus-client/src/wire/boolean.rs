//! Lenient booleans: `true`/`false`, `0`/`1` and the strings `"true"`/`"false"`/`"0"`/`"1"`.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum RawBool {
    Bool(bool),
    Int(i64),
    Text(String),
}

/// `Option<bool>` fields.
pub(crate) mod bool_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<bool>, D::Error> {
        let raw = Option::<RawBool>::deserialize(deserializer)?;
        Ok(match raw {
            None => None,
            Some(RawBool::Bool(b)) => Some(b),
            Some(RawBool::Int(i)) => Some(i != 0),
            Some(RawBool::Text(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "" => None,
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "expected a boolean, found {other:?}"
                    )));
                }
            },
        })
    }
}
