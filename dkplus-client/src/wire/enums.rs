//! DK+ enums.
//!
//! DK+'s published description declares each enum in one of two ways, and we write each as it is
//! published:
//! - as a **string** with member names (`JobType`: `"_cbTimeJob"`, `SaleType`: `"Credit"`): written
//!   as the published member name, exactly as spelt;
//! - as an **integer** without members (`ItemClass`): written as the integer.
//!
//! Answers carry integers (`"JobStatus": 1`, DK's examples) or names; both are read, names
//! case-insensitively and also without DK's `_cb` prefix, and anything unknown is kept in an
//! `Unknown(EnumValue)` arm, so a new member on DK's side never breaks decoding. The integer of a
//! member is its position in the published declaration.

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

/// How an enum is written to DK+: as its published member name or as its integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireForm {
    Name,
    Int,
}

/// True when `given` names the member published as `published`: the same name ignoring case, or
/// without DK's `_cb` prefix (`TimeJob` for `_cbTimeJob`).
pub(crate) fn names_match(given: &str, published: &str) -> bool {
    given.eq_ignore_ascii_case(published)
        || published
            .strip_prefix("_cb")
            .is_some_and(|bare| given.eq_ignore_ascii_case(bare))
}

/// What every DK+ enum offers, so a field can choose its own written form.
pub(crate) trait WireEnum {
    /// The member's integer, when known.
    fn wire_int(&self) -> Option<i64>;
    /// The member's published name, when known.
    fn wire_name(&self) -> Option<&str>;
}

/// For `Option<enum>` fields that DK+ publishes as integers although the same enum is a string in
/// another model (`SalesType` on a read invoice, `SaleType` on a new one): writes the integer.
pub(crate) mod int_form_opt {
    use super::WireEnum;

    pub(crate) fn serialize<S: serde::Serializer, T: WireEnum>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value.as_ref().map(|v| (v.wire_int(), v.wire_name())) {
            None => serializer.serialize_none(),
            Some((Some(int), _)) => serializer.serialize_i64(int),
            Some((None, name)) => serializer.serialize_str(name.unwrap_or_default()),
        }
    }
}

/// Declares a DK+ enum: each member with its integer and its published name, written in the
/// published form (`Name` or `Int`), with an `Unknown` arm.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident as $form:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $int:literal $wire:literal ),+ $(,)?
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
            /// Every known member, in the published order.
            pub const MEMBERS: &'static [$name] = &[$( Self::$variant ),+];

            /// The integer DK+ uses for this member (its position in the published declaration).
            pub fn as_int(&self) -> Option<i64> {
                match self {
                    $( Self::$variant => Some($int), )+
                    Self::Unknown($crate::wire::EnumValue::Int(i)) => Some(*i),
                    Self::Unknown($crate::wire::EnumValue::Name(_)) => None,
                }
            }

            /// The member name as DK+ publishes it.
            pub fn as_name(&self) -> Option<&str> {
                match self {
                    $( Self::$variant => Some($wire), )+
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

            /// Reads a member name (case-insensitive, with or without DK's `_cb` prefix; digits
            /// are read as the integer form).
            pub fn from_name(value: &str) -> Self {
                let trimmed = value.trim();
                if let Ok(int) = trimmed.parse::<i64>() {
                    return Self::from_int(int);
                }
                $(
                    if $crate::wire::enums::names_match(trimmed, $wire)
                        || trimmed.eq_ignore_ascii_case(stringify!($variant))
                    {
                        return Self::$variant;
                    }
                )+
                Self::Unknown($crate::wire::EnumValue::Name(trimmed.to_owned()))
            }
        }

        impl $crate::wire::enums::WireEnum for $name {
            fn wire_int(&self) -> Option<i64> {
                self.as_int()
            }
            fn wire_name(&self) -> Option<&str> {
                self.as_name()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    Self::Unknown(raw) => raw.serialize(serializer),
                    known => match $crate::wire::enums::WireForm::$form {
                        $crate::wire::enums::WireForm::Int => {
                            serializer.serialize_i64(known.as_int().unwrap_or_default())
                        }
                        $crate::wire::enums::WireForm::Name => {
                            serializer.serialize_str(known.as_name().unwrap_or_default())
                        }
                    },
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
        /// Test enum written by name.
        Colour as Name {
            /// Red.
            Red = 0 "_cbRed",
            /// Blue.
            Blue = 1 "Blue",
        }
    );

    wire_enum!(
        /// Test enum written as an integer.
        Size as Int {
            /// Small.
            Small = 0 "Small",
            /// Large.
            Large = 1 "Large",
        }
    );

    #[test]
    fn reads_ints_published_names_bare_names_and_unknowns() {
        let read = |s: &str| serde_json::from_str::<Colour>(s).unwrap();
        assert_eq!(read("0"), Colour::Red);
        assert_eq!(read("\"_cbRed\""), Colour::Red);
        assert_eq!(read("\"red\""), Colour::Red);
        assert_eq!(read("\"blue\""), Colour::Blue);
        assert_eq!(read("\"1\""), Colour::Blue);
        assert_eq!(read("7"), Colour::Unknown(super::EnumValue::Int(7)));
        assert_eq!(
            read("\"Green\""),
            Colour::Unknown(super::EnumValue::Name("Green".into()))
        );
    }

    #[test]
    fn writes_the_published_form_and_unknowns_unchanged() {
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"_cbRed\"");
        assert_eq!(serde_json::to_string(&Size::Large).unwrap(), "1");
        assert_eq!(
            serde_json::to_string(&Colour::Unknown(super::EnumValue::Int(9))).unwrap(),
            "9"
        );
        assert_eq!(Colour::Blue.as_int(), Some(1));
        assert_eq!(Colour::Red.as_name(), Some("_cbRed"));
        assert_eq!(Colour::from_int(5).to_string(), "unknown (5)");
        assert_eq!(Colour::MEMBERS, &[Colour::Red, Colour::Blue]);
        assert_eq!(Size::MEMBERS, &[Size::Small, Size::Large]);
    }
}
