//! DK+'s published description as data, and the checks made with it.
//!
//! The description is `contract/dkplus-published-models.json` in this crate: the operations and
//! models of "dkPlus API v1" that the project touches, with each field's JSON type and each
//! enum's members, copied (facts only) from the Swagger-generated clients of DK's API and DK's
//! Postman documentation. Its `_about` entry names the sources.
//!
//! The fake DK+ uses it to behave as published: it routes only published operations, drops
//! unpublished fields from writes (as DK+ does), answers with every published field in its
//! published type, and records every disagreement as a [`Violation`]. The contract tests use it to
//! check the client's own models.
//!
//! ```
//! use dkplus_client::testing::contract::{Contract, Direction};
//!
//! let contract = Contract::published();
//! let problems = contract.check(
//!     &serde_json::json!({"Number": "1", "SSNumber": "x"}),
//!     "object:DkCloudDataModelCustomersCustomerModel",
//!     Direction::Request,
//! );
//! assert_eq!(problems.len(), 1);
//! assert!(problems[0].to_string().contains("SSNumber"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeOwned, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::dates::parse_timestamp;

/// The published description, as shipped in this crate.
pub const PUBLISHED_MODELS_JSON: &str = include_str!("../../contract/dkplus-published-models.json");

/// One published operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedOperation {
    /// HTTP method.
    pub method: String,
    /// Path template below `/api/v1`, e.g. `/sales/invoice/page/{page}/{count}`.
    pub path: String,
    /// Query parameters with their JSON types.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// The body's model, when the operation takes one.
    pub request_model: Option<String>,
    /// The answer's type (`boolean`, a model, or `array:<model>`), when published.
    pub response_model: Option<String>,
    /// Which source publishes it (`S1`, `S3`; see the file's `_about`).
    pub source: String,
    /// The generated client's name for it, e.g. `InvoiceApi.invoiceCreateInvoice`.
    pub operation: String,
}

/// One published model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedModel {
    /// Field wire name → JSON type.
    pub fields: BTreeMap<String, String>,
    /// Fields the published constructor requires.
    #[serde(default)]
    pub required: Vec<String>,
    /// Enum fields → member names in declaration order (an integer is a member's position).
    #[serde(default)]
    pub enums: BTreeMap<String, Vec<String>>,
}

/// DK+'s published operations and models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// The operations.
    pub operations: Vec<PublishedOperation>,
    /// The models by name.
    pub models: BTreeMap<String, PublishedModel>,
}

/// Which side of an exchange a value is checked for: what we send (strict: enums as published,
/// no `null` numbers) or what DK+ answers (`null` anywhere, enums as integers or names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A request body or query.
    Request,
    /// An answer.
    Response,
}

/// How enum fields are written in a generated record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumForm {
    /// As a published member name (the published JSON type).
    Name,
    /// As the member's integer (as DK's example answers carry them).
    Int,
}

/// One disagreement with the published description.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Violation {
    /// Where: an operation, a query parameter or a JSON path such as `Lines[0].Price`.
    pub at: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

impl Contract {
    /// The description shipped in this crate (parsed once). A file that cannot be read gives an
    /// empty contract, which fails every check (and the crate's own test of the file).
    pub fn published() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| Self::parse(PUBLISHED_MODELS_JSON).unwrap_or_default())
    }

    /// Parses a description in the format of `contract/dkplus-published-models.json`.
    ///
    /// # Errors
    /// The JSON error when the text is not such a description.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// A model by name.
    pub fn model(&self, name: &str) -> Option<&PublishedModel> {
        self.models.get(name)
    }

    /// The published operation a request goes to: the method and the path below `/api/v1` (one
    /// entry per decoded segment). Literal segments match case-insensitively (DK+ is ASP.NET),
    /// a `{placeholder}` matches any one segment; the most literal match wins.
    pub fn find_operation(&self, method: &str, segments: &[String]) -> Option<&PublishedOperation> {
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter_map(|op| {
                let template: Vec<&str> = op
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut literal = 0usize;
                for (part, segment) in template.iter().zip(segments) {
                    if part.starts_with('{') {
                        if segment.trim().is_empty() {
                            return None;
                        }
                    } else if part.eq_ignore_ascii_case(segment) {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, op))
            })
            // `max_by_key` keeps the last of equals; the first published one should win.
            .fold(
                None::<(usize, &PublishedOperation)>,
                |best, (score, op)| match best {
                    Some((best_score, _)) if best_score >= score => best,
                    _ => Some((score, op)),
                },
            )
            .map(|(_, op)| op)
    }

    /// Checks a request's query against its operation: every key published, every value of the
    /// published type.
    pub fn check_query(
        &self,
        operation: &PublishedOperation,
        query: &[(String, String)],
    ) -> Vec<Violation> {
        let mut problems = Vec::new();
        for (key, value) in query {
            let at = format!("{} {} ?{key}", operation.method, operation.path);
            match operation.query.get(key) {
                None => problems.push(Violation {
                    at,
                    problem: "not a published query parameter of this operation".into(),
                }),
                Some(ty) if !query_value_fits(value, ty) => problems.push(Violation {
                    at,
                    problem: format!("{value:?} is not a published {ty}"),
                }),
                Some(_) => {}
            }
        }
        problems
    }

    /// Checks a JSON value against a published type (`object:<Model>`, `array:<Model>`,
    /// `string`, …): every field published, every value of its published type, recursively.
    pub fn check(&self, value: &Value, ty: &str, direction: Direction) -> Vec<Violation> {
        let mut problems = Vec::new();
        self.check_at(value, ty, None, direction, "$", &mut problems);
        problems
    }

    fn check_at(
        &self,
        value: &Value,
        ty: &str,
        members: Option<&[String]>,
        direction: Direction,
        at: &str,
        problems: &mut Vec<Violation>,
    ) {
        let mut fail = |problem: String| {
            problems.push(Violation {
                at: at.to_owned(),
                problem,
            });
        };
        if value.is_null() {
            let nullable = direction == Direction::Response
                || matches!(ty, "string" | "binary" | "object")
                || ty.starts_with("object:")
                || ty.starts_with("array:")
                || ty.starts_with("map:");
            if !nullable {
                fail(format!("null where the published type is {ty}"));
            }
            return;
        }
        if let Some(members) = members {
            let fits = match value {
                Value::String(name) => match direction {
                    Direction::Request => members.iter().any(|m| m == name),
                    Direction::Response => members.iter().any(|m| m.eq_ignore_ascii_case(name)),
                },
                Value::Number(n) => {
                    direction == Direction::Response
                        && n.as_u64().is_some_and(|i| i < members.len() as u64)
                }
                _ => false,
            };
            if !fits {
                fail(format!(
                    "{value} is not a published member ({})",
                    members.join(", ")
                ));
            }
            return;
        }
        match ty {
            "string" | "binary" => {
                if !value.is_string() {
                    fail(format!("{value} where the published type is {ty}"));
                }
            }
            "integer" => {
                if !(value.is_i64() || value.is_u64()) {
                    fail(format!("{value} where the published type is integer"));
                }
            }
            "number" => {
                if !value.is_number() {
                    fail(format!("{value} where the published type is number"));
                }
            }
            "boolean" => {
                if !value.is_boolean() {
                    fail(format!("{value} where the published type is boolean"));
                }
            }
            "date-time" => match value.as_str().map(parse_timestamp) {
                Some(Ok(_)) => {}
                _ => fail(format!("{value} where the published type is date-time")),
            },
            "object" => {
                if !value.is_object() {
                    fail(format!("{value} where the published type is an object"));
                }
            }
            "map:string" => match value.as_object() {
                Some(map) if map.values().all(|v| v.is_string() || v.is_null()) => {}
                _ => fail(format!("{value} where the published type is map:string")),
            },
            _ => {
                if let Some(item) = ty.strip_prefix("array:") {
                    match value.as_array() {
                        Some(items) => {
                            for (i, element) in items.iter().enumerate() {
                                self.check_at(
                                    element,
                                    &element_type(item),
                                    None,
                                    direction,
                                    &format!("{at}[{i}]"),
                                    problems,
                                );
                            }
                        }
                        None => fail(format!("{value} where the published type is {ty}")),
                    }
                } else if let Some(name) = ty.strip_prefix("object:") {
                    self.check_object(value, name, direction, at, problems);
                } else if self.models.contains_key(ty) {
                    self.check_object(value, ty, direction, at, problems);
                } else {
                    fail(format!("the published type {ty} is not described"));
                }
            }
        }
    }

    fn check_object(
        &self,
        value: &Value,
        model_name: &str,
        direction: Direction,
        at: &str,
        problems: &mut Vec<Violation>,
    ) {
        let Some(model) = self.models.get(model_name) else {
            problems.push(Violation {
                at: at.to_owned(),
                problem: format!("the model {model_name} is not described"),
            });
            return;
        };
        let Some(object) = value.as_object() else {
            problems.push(Violation {
                at: at.to_owned(),
                problem: format!("{value} where the published type is the object {model_name}"),
            });
            return;
        };
        for (key, field) in object {
            let path = if at == "$" {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match model.fields.get(key) {
                None => problems.push(Violation {
                    at: path,
                    problem: format!("not a field of the published model {model_name}"),
                }),
                Some(ty) => self.check_at(
                    field,
                    ty,
                    model.enums.get(key).map(Vec::as_slice),
                    direction,
                    &path,
                    problems,
                ),
            }
        }
    }

    /// Removes every field that the published type does not have, recursively (what DK+ does
    /// with them); returns their paths.
    pub fn strip(&self, value: &mut Value, ty: &str) -> Vec<String> {
        let mut removed = Vec::new();
        self.strip_at(value, ty, "$", &mut removed);
        removed
    }

    fn strip_at(&self, value: &mut Value, ty: &str, at: &str, removed: &mut Vec<String>) {
        if let Some(item) = ty.strip_prefix("array:") {
            if let Some(items) = value.as_array_mut() {
                for (i, element) in items.iter_mut().enumerate() {
                    self.strip_at(element, &element_type(item), &format!("{at}[{i}]"), removed);
                }
            }
            return;
        }
        let name = ty.strip_prefix("object:").unwrap_or(ty);
        let (Some(model), Some(object)) = (self.models.get(name), value.as_object_mut()) else {
            return;
        };
        let unknown: Vec<String> = object
            .keys()
            .filter(|k| !model.fields.contains_key(*k))
            .cloned()
            .collect();
        for key in unknown {
            object.remove(&key);
            removed.push(if at == "$" {
                key
            } else {
                format!("{at}.{key}")
            });
        }
        for (key, field) in object.iter_mut() {
            if let Some(ty) = model.fields.get(key) {
                let path = if at == "$" {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                self.strip_at(field, ty, &path, removed);
            }
        }
    }

    /// Makes a value look like a DK+ answer of this type: every published field present (absent
    /// ones get .NET's defaults — `0`, `false`, `"0001-01-01T00:00:00"`, `null`), unpublished
    /// fields removed, enum members written as integers.
    pub fn complete_answer(&self, value: &mut Value, ty: &str) {
        if let Some(item) = ty.strip_prefix("array:") {
            if let Some(items) = value.as_array_mut() {
                for element in items {
                    self.complete_answer(element, &element_type(item));
                }
            }
            return;
        }
        let name = ty.strip_prefix("object:").unwrap_or(ty);
        let Some(model) = self.models.get(name) else {
            return;
        };
        let Some(object) = value.as_object_mut() else {
            return;
        };
        object.retain(|k, _| model.fields.contains_key(k));
        for (key, field_type) in &model.fields {
            let entry = object.entry(key.clone()).or_insert(Value::Null);
            if let Some(members) = model.enums.get(key) {
                let position = match &*entry {
                    Value::String(name) => members.iter().position(|m| {
                        m.eq_ignore_ascii_case(name) || crate::wire::enums::names_match(name, m)
                    }),
                    Value::Number(n) => n.as_u64().and_then(|i| usize::try_from(i).ok()),
                    _ => Some(0),
                };
                *entry = Value::from(position.unwrap_or(0));
                continue;
            }
            if entry.is_null() {
                *entry = dotnet_default(field_type);
            } else if field_type.starts_with("object:") || field_type.starts_with("array:") {
                self.complete_answer(entry, field_type);
            }
        }
    }

    /// A record of this type with every field present and a value of its published type —
    /// nested models included (one element per array) — for decoding tests.
    pub fn sample(&self, ty: &str, enums: EnumForm) -> Value {
        self.sample_at(ty, None, enums, 0)
    }

    fn sample_at(
        &self,
        ty: &str,
        members: Option<&[String]>,
        enums: EnumForm,
        depth: u32,
    ) -> Value {
        if let Some(members) = members {
            // The second member where there is one: the first is the default, which a decoder
            // could mistake for "absent".
            let index = usize::from(members.len() > 1);
            return match enums {
                EnumForm::Name => Value::String(members[index].clone()),
                EnumForm::Int => Value::from(index),
            };
        }
        match ty {
            "string" => Value::String("Sample".into()),
            "binary" => Value::String("c2FtcGxl".into()),
            // 1, not 0 (a default a decoder could mistake for "absent"), and a known member of
            // integer enums such as `ItemClass`, so their written form is checked too.
            "integer" => Value::from(1),
            "number" => serde_json::json!(12.5),
            "boolean" => Value::Bool(true),
            "date-time" => Value::String("2024-03-15T10:20:30".into()),
            "object" => Value::Object(Map::new()),
            "map:string" => serde_json::json!({"Key": "Value"}),
            _ if depth > 6 => Value::Null,
            _ => {
                if let Some(item) = ty.strip_prefix("array:") {
                    return Value::Array(vec![self.sample_at(
                        &element_type(item),
                        None,
                        enums,
                        depth + 1,
                    )]);
                }
                let name = ty.strip_prefix("object:").unwrap_or(ty);
                match self.models.get(name) {
                    Some(model) => Value::Object(
                        model
                            .fields
                            .iter()
                            .map(|(key, field_type)| {
                                let members = model.enums.get(key).map(Vec::as_slice);
                                (
                                    key.clone(),
                                    self.sample_at(field_type, members, enums, depth + 1),
                                )
                            })
                            .collect(),
                    ),
                    None => Value::Null,
                }
            }
        }
    }

    /// A record of this model with every field `null`.
    pub fn nulls(&self, model: &str) -> Value {
        Value::Object(
            self.models
                .get(model)
                .map(|m| m.fields.keys().map(|k| (k.clone(), Value::Null)).collect())
                .unwrap_or_default(),
        )
    }
}

/// The type of an array's elements: `array:string` holds strings, `array:<Model>` objects.
fn element_type(item: &str) -> String {
    match item {
        "string" | "integer" | "number" | "boolean" | "date-time" => item.to_owned(),
        model => format!("object:{model}"),
    }
}

/// What .NET writes for a property that was never set.
fn dotnet_default(ty: &str) -> Value {
    match ty {
        "integer" => Value::from(0),
        "number" => serde_json::json!(0.0),
        "boolean" => Value::Bool(false),
        "date-time" => Value::String("0001-01-01T00:00:00".into()),
        _ => Value::Null,
    }
}

/// True when a query-string value can be read as the published type.
fn query_value_fits(value: &str, ty: &str) -> bool {
    let value = value.trim();
    match ty {
        "boolean" => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        "number" | "integer" => value.parse::<f64>().is_ok_and(f64::is_finite),
        "date-time" => matches!(parse_timestamp(value), Ok(Some(_))),
        _ => true,
    }
}

/// The wire names of every field a serde-derived struct reads, in declaration order — the fields
/// it can also write. Used to check a model against the published one without listing its
/// fields by hand.
///
/// ```
/// use dkplus_client::testing::contract::wire_fields;
/// assert!(wire_fields::<dkplus_client::CustomerWrite>().contains(&"Name"));
/// ```
pub fn wire_fields<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut found = Vec::new();
    let _ = T::deserialize(FieldLister { found: &mut found });
    found
}

struct FieldLister<'a> {
    found: &'a mut Vec<&'static str>,
}

#[derive(Debug)]
struct Listed;

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fields listed")
    }
}

impl std::error::Error for Listed {}

impl de::Error for Listed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Listed
    }
}

impl<'de> de::Deserializer<'de> for FieldLister<'_> {
    type Error = Listed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Listed> {
        Err(Listed)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Listed> {
        self.found.extend_from_slice(fields);
        Err(Listed)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_shipped_description_parses() {
        let contract = Contract::parse(PUBLISHED_MODELS_JSON).unwrap();
        assert!(contract.operations.len() > 30);
        assert!(
            contract
                .model("DkCloudDataModelSalesInvoiceModel")
                .is_some()
        );
        assert_eq!(&contract, Contract::published());
    }

    #[test]
    fn operations_are_found_case_insensitively_and_literal_segments_win() {
        let c = Contract::published();
        let find = |m: &str, p: &str| c.find_operation(m, &segments(p)).map(|o| o.path.as_str());
        assert_eq!(
            find("GET", "/customer/page/1/10"),
            Some("/Customer/page/{page}/{count}")
        );
        assert_eq!(
            find("GET", "/Customer/1710794709"),
            Some("/Customer/{customer}")
        );
        assert_eq!(
            find("GET", "/sales/invoice/reference/R-1"),
            Some("/sales/invoice/reference/{reference}")
        );
        assert_eq!(
            find("GET", "/sales/invoice/14656"),
            Some("/sales/invoice/{number}")
        );
        assert_eq!(find("POST", "/Product"), Some("/product"));
        assert_eq!(find("PATCH", "/Customer/1"), None);
        assert_eq!(find("GET", "/nothing/here"), None);
    }

    #[test]
    fn checks_name_unpublished_fields_and_wrong_types() {
        let c = Contract::published();
        let invoice = "object:DkCloudDataModelSalesInvoiceModel";
        assert!(
            c.check(
                &serde_json::json!({"ClaimStatus": 0}),
                invoice,
                Direction::Response
            )
            .is_empty()
        );
        let wrong = c.check(
            &serde_json::json!({"ClaimStatus": "0", "City": "x"}),
            invoice,
            Direction::Response,
        );
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        let product = "object:DkCloudDataModelProductsProductModel";
        assert_eq!(
            c.check(
                &serde_json::json!({"ItemClass": "ServiceItem"}),
                product,
                Direction::Request
            )
            .len(),
            1
        );
        let project = "object:DkCloudDataModelProjectProjectModel";
        assert!(
            c.check(
                &serde_json::json!({"JobType": "_cbTimeJob"}),
                project,
                Direction::Request
            )
            .is_empty()
        );
        assert_eq!(
            c.check(
                &serde_json::json!({"JobType": "TimeJob"}),
                project,
                Direction::Request
            )
            .len(),
            1
        );
        assert!(
            c.check(
                &serde_json::json!({"JobType": 3}),
                project,
                Direction::Response
            )
            .is_empty()
        );
    }

    #[test]
    fn answers_are_completed_with_dotnet_defaults_and_integer_enums() {
        let c = Contract::published();
        let mut value =
            serde_json::json!({"Number": "P1", "JobType": "_cbServiceJob", "RecordID": 3});
        c.complete_answer(&mut value, "object:DkCloudDataModelProjectProjectModel");
        assert_eq!(value["JobType"], 1);
        assert_eq!(value["JobStatus"], 0);
        assert_eq!(value["QuotationAmount"], 0.0);
        assert_eq!(value["FoundingDate"], "0001-01-01T00:00:00");
        assert_eq!(value["Name"], Value::Null);
        assert!(value.get("RecordID").is_none());
        assert!(
            c.check(
                &value,
                "object:DkCloudDataModelProjectProjectModel",
                Direction::Response
            )
            .is_empty()
        );
    }

    #[test]
    fn samples_pass_their_own_check() {
        let c = Contract::published();
        for name in c.models.keys() {
            let ty = format!("object:{name}");
            for (form, direction) in [
                (EnumForm::Name, Direction::Request),
                (EnumForm::Int, Direction::Response),
            ] {
                let sample = c.sample(&ty, form);
                assert_eq!(c.check(&sample, &ty, direction), vec![], "{name}");
            }
        }
    }

    #[test]
    fn wire_fields_lists_serde_names() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Probe {
            #[serde(rename = "A")]
            a: u8,
            #[serde(rename = "B")]
            b: Option<String>,
        }
        assert_eq!(wire_fields::<Probe>(), ["A", "B"]);
    }
}
