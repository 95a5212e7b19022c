//! DK+ enums: responses carry the member's integer (`"JobStatus": 1`), requests accept the integer
//! or the member name (`"ItemClass": "ServiceItem"`).
//!
//! Our enums read either form (names case-insensitively) and keep anything unknown in an
//! `Unknown(EnumValue)` arm, so a new member on DK's side never breaks decoding. They are written as
//! the member *name*: names come straight from DK's published schema, while the integers are only
//! inferred from declaration order, so a wrong guess fails loudly instead of booking the wrong kind.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An enum value DK+ sent that this crate does not know, kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnumValue {
    /// An integer member value.
    Int(i64),
    /// A member name.
    Name(String),
}

impl fmt::Display for EnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Name(n) => f.write_str(n),
        }
    }
}

/// Declares a DK+ enum with integer and name forms and an `Unknown` arm.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $int:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept as DK+ sent it (and sent back unchanged).
            Unknown($crate::wire::EnumValue),
        }

        impl $name {
            /// The integer DK+ uses for this member, when known.
            pub fn as_int(&self) -> Option<i64> {
                match self {
                    $( Self::$variant => Some($int), )+
                    Self::Unknown($crate::wire::EnumValue::Int(i)) => Some(*i),
                    Self::Unknown($crate::wire::EnumValue::Name(_)) => None,
                }
            }

            /// The member name as DK+ spells it, when known.
            pub fn as_name(&self) -> Option<&str> {
                match self {
                    $( Self::$variant => Some(stringify!($variant)), )+
                    Self::Unknown($crate::wire::EnumValue::Name(n)) => Some(n.as_str()),
                    Self::Unknown($crate::wire::EnumValue::Int(_)) => None,
                }
            }

            /// Reads an integer member value.
            pub fn from_int(value: i64) -> Self {
                match value {
                    $( $int => Self::$variant, )+
                    other => Self::Unknown($crate::wire::EnumValue::Int(other)),
                }
            }

            /// Reads a member name (case-insensitive; digits are read as the integer form).
            pub fn from_name(value: &str) -> Self {
                let trimmed = value.trim();
                if let Ok(int) = trimmed.parse::<i64>() {
                    return Self::from_int(int);
                }
                $(
                    if trimmed.eq_ignore_ascii_case(stringify!($variant)) {
                        return Self::$variant;
                    }
                )+
                Self::Unknown($crate::wire::EnumValue::Name(trimmed.to_owned()))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant => serializer.serialize_str(stringify!($variant)), )+
                    Self::Unknown(raw) => raw.serialize(serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match $crate::wire::EnumValue::deserialize(deserializer)? {
                    $crate::wire::EnumValue::Int(i) => Ok(Self::from_int(i)),
                    $crate::wire::EnumValue::Name(n) => Ok(Self::from_name(&n)),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $( Self::$variant => f.write_str(stringify!($variant)), )+
                    Self::Unknown(raw) => write!(f, "unknown ({raw})"),
                }
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
#[allow(unreachable_pub)]
mod tests {
    wire_enum!(
        /// Test enum.
        Colour {
            /// Red.
            Red = 0,
            /// Blue.
            Blue = 1,
        }
    );

    #[test]
    fn reads_ints_names_and_unknowns() {
        let read = |s: &str| serde_json::from_str::<Colour>(s).unwrap();
        assert_eq!(read("0"), Colour::Red);
        assert_eq!(read("\"blue\""), Colour::Blue);
        assert_eq!(read("\"1\""), Colour::Blue);
        assert_eq!(read("7"), Colour::Unknown(super::EnumValue::Int(7)));
        assert_eq!(
            read("\"Green\""),
            Colour::Unknown(super::EnumValue::Name("Green".into()))
        );
    }

    #[test]
    fn writes_names_and_unknowns_unchanged() {
        assert_eq!(serde_json::to_string(&Colour::Blue).unwrap(), "\"Blue\"");
        assert_eq!(
            serde_json::to_string(&Colour::Unknown(super::EnumValue::Int(9))).unwrap(),
            "9"
        );
        assert_eq!(Colour::Blue.as_int(), Some(1));
        assert_eq!(Colour::Red.as_name(), Some("Red"));
        assert_eq!(Colour::from_int(5).to_string(), "unknown (5)");
    }
}
