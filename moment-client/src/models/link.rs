//! Hypermedia links (`{"rel": "self", "href": "..."}`), as in the captured financial-account
//! payload.

use serde::{Deserialize, Serialize};

/// One hypermedia link of a Moment object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Relation, e.g. `self`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// Target URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}
