//! Optional typed identifiers where DK+ writes `""` for "none" (e.g. an invoice without a project).

use serde::{Deserialize, Deserializer};

/// `Option<Id>` fields: `null`, `""` and whitespace-only read as `None`.
pub(crate) mod id_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: From<String>,
    {
        let raw = Option::<String>::deserialize(deserializer)?;
        Ok(raw.filter(|s| !s.trim().is_empty()).map(T::from))
    }
}
