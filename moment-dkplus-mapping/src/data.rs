//! Reports as data: how the report types serialize.
//!
//! Every enum a person reads (a failure, a problem, a warning) serializes with a stable machine
//! key beside the human text: `{"kind": "duplicates_in_dkplus", "details": {…}, "message": "…"}`.
//! `kind` is the variant's name in snake case and never changes meaning; `details` holds the
//! variant's fields (absent when it has none); `message` is the sentence the report shows
//! (its `Display`). Amounts are strings (`"1500.40"`), dates ISO 8601.

/// Implements `serde::Serialize` for a type whose own fields are serialized by a
/// `#[serde(remote = "Self")]` derive: those fields, flattened, plus `message` (its `Display`)
/// and any extra computed keys (`name: Type = |value| expression`).
macro_rules! serialize_with_message {
    ($ty:ty $(, $extra:ident: $extra_ty:ty = $get:expr)* $(,)?) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                fn fields<S: serde::Serializer>(
                    value: &&$ty,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    <$ty>::serialize(*value, serializer)
                }
                #[derive(serde::Serialize)]
                struct WithMessage<'a> {
                    #[serde(flatten, serialize_with = "fields")]
                    fields: &'a $ty,
                    message: String,
                    $($extra: $extra_ty,)*
                }
                WithMessage {
                    fields: self,
                    message: self.to_string(),
                    $($extra: ($get)(self),)*
                }
                .serialize(serializer)
            }
        }
    };
}
