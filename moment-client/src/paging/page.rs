//! One page of a list response.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// How Moment numbers its pages. Not documented: Spring-style APIs count from 0, the only
/// third-party client seen starts at 1. The default is [`Zero`](Self::Zero) because its failure
/// mode is loud (a server counting from 1 serves the first page twice, which stops the listing
/// with [`Error::RepeatedPage`](crate::Error::RepeatedPage)), whereas starting at 1 against a
/// server counting from 0 would silently skip the first page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PageBase {
    /// The first page is `page=0`.
    #[default]
    Zero,
    /// The first page is `page=1`.
    One,
}

impl PageBase {
    /// The number of the first page.
    pub fn first(self) -> u64 {
        match self {
            Self::Zero => 0,
            Self::One => 1,
        }
    }

    /// The other base (for error hints).
    pub(crate) fn other(self) -> Self {
        match self {
            Self::Zero => Self::One,
            Self::One => Self::Zero,
        }
    }
}

/// The JSON shape a list response had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PageShape {
    /// A bare JSON array of objects.
    BareArray,
    /// An object with the items in `content` (or `_embedded`) and paging data in `page` or at
    /// the top level (`totalElements`, `totalPages`, `number`, `size`, `last`).
    Envelope,
}

/// One page of a list: its items plus whatever paging data Moment sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The page number as sent in the `page` query parameter.
    pub number: u64,
    /// The base of the page numbers.
    pub base: PageBase,
    /// The page size asked for (`size`).
    pub per_page: u32,
    /// The page size reported by Moment, when it reported one.
    pub reported_size: Option<u64>,
    /// The total number of items, when reported.
    pub total_elements: Option<u64>,
    /// The total number of pages, when reported.
    pub total_pages: Option<u64>,
    /// `true` when Moment said this is the last page (`last: true`).
    pub reported_last: Option<bool>,
    /// The JSON shape of the response.
    pub shape: PageShape,
}

impl<T> Page<T> {
    /// Zero-based index of this page.
    pub fn index(&self) -> u64 {
        self.number.saturating_sub(self.base.first())
    }

    /// `true` when there is certainly no page after this one: it is empty, or Moment's paging
    /// data says so. Without paging data a full page may be followed by more; a page with fewer
    /// items than asked for is **not** taken as the last one, because a server may cap the
    /// page size below what was asked.
    pub fn is_last(&self) -> bool {
        if self.items.is_empty() || self.reported_last == Some(true) {
            return true;
        }
        if let Some(pages) = self.total_pages {
            return self.index().saturating_add(1) >= pages;
        }
        if let (Some(total), Some(size)) = (self.total_elements, self.reported_size) {
            let before = self.index().saturating_mul(size);
            return before.saturating_add(self.items.len() as u64) >= total;
        }
        false
    }
}

crate::shared::page_items!(Page);

/// Paging data found in an envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageMeta {
    pub(crate) size: Option<u64>,
    pub(crate) total_elements: Option<u64>,
    pub(crate) total_pages: Option<u64>,
    pub(crate) number: Option<u64>,
    pub(crate) last: Option<bool>,
}

/// A decoded list body: a bare array or an envelope.
pub(crate) struct PageBody<T> {
    pub(crate) items: Vec<T>,
    pub(crate) shape: PageShape,
    pub(crate) meta: PageMeta,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PageBody<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BodyVisitor(PhantomData))
    }
}

struct BodyVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for BodyVisitor<T> {
    type Value = PageBody<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects, or an object with a `content` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(PageBody {
            items,
            shape: PageShape::BareArray,
            meta: PageMeta::default(),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items: Option<Vec<T>> = None;
        let mut nested: Option<PageMeta> = None;
        let mut top = PageMeta::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "content" => {
                    if items.is_some() {
                        return Err(de::Error::custom("the list arrived twice (`content`)"));
                    }
                    let list: Option<Vec<T>> = map.next_value()?;
                    items = Some(list.unwrap_or_default());
                }
                "_embedded" => {
                    if items.is_some() {
                        return Err(de::Error::custom("the list arrived twice (`_embedded`)"));
                    }
                    items = Some(map.next_value_seed(Embedded(PhantomData))?);
                }
                "page" => nested = map.next_value()?,
                "totalElements" => top.total_elements = map.next_value()?,
                "totalPages" => top.total_pages = map.next_value()?,
                "number" => top.number = map.next_value()?,
                "size" => top.size = map.next_value()?,
                "last" => top.last = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(items) = items else {
            return Err(de::Error::custom(
                "expected a JSON array or an object with a `content` array; found an object \
                 without `content`",
            ));
        };
        let nested = nested.unwrap_or_default();
        Ok(PageBody {
            items,
            shape: PageShape::Envelope,
            meta: PageMeta {
                size: nested.size.or(top.size),
                total_elements: nested.total_elements.or(top.total_elements),
                total_pages: nested.total_pages.or(top.total_pages),
                number: nested.number.or(top.number),
                last: nested.last.or(top.last),
            },
        })
    }
}

/// `_embedded: {"<name>": [...]}` (HAL): the single list inside.
struct Embedded<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Embedded<T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Embedded<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object holding one list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut found: Option<Vec<T>> = None;
        while map.next_key::<IgnoredAny>()?.is_some() {
            if found.is_some() {
                return Err(de::Error::custom(
                    "`_embedded` holds more than one list; cannot tell which one to read",
                ));
            }
            found = Some(map.next_value()?);
        }
        Ok(found.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: i64,
    }

    fn body(json: &str) -> PageBody<Item> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn bare_array() {
        let b = body(r#"[{"id":1},{"id":2}]"#);
        assert_eq!(b.shape, PageShape::BareArray);
        assert_eq!(b.items, [Item { id: 1 }, Item { id: 2 }]);
    }

    #[test]
    fn envelope_with_nested_page() {
        let b = body(
            r#"{"links":[],"content":[{"id":1}],
                "page":{"size":20,"totalElements":41,"totalPages":3,"number":0}}"#,
        );
        assert_eq!(b.shape, PageShape::Envelope);
        assert_eq!(b.items.len(), 1);
        assert_eq!(b.meta.size, Some(20));
        assert_eq!(b.meta.total_elements, Some(41));
        assert_eq!(b.meta.total_pages, Some(3));
    }

    #[test]
    fn spring_data_and_hal_envelopes() {
        let b = body(r#"{"content":[{"id":1}],"totalElements":1,"last":true,"size":5}"#);
        assert_eq!(b.meta.last, Some(true));
        assert_eq!(b.meta.size, Some(5));
        let b = body(r#"{"_embedded":{"customers":[{"id":7}]},"page":{"totalPages":1}}"#);
        assert_eq!(b.items, [Item { id: 7 }]);
        let b = body(r#"{"content":null}"#);
        assert!(b.items.is_empty());
    }

    #[test]
    fn refuses_objects_without_a_list() {
        for json in [
            r#"{"items":[{"id":1}]}"#,
            r#"{"content":[],"_embedded":{"a":[]}}"#,
            r#"{"_embedded":{"a":[],"b":[]}}"#,
            r#""text""#,
        ] {
            assert!(
                serde_json::from_str::<PageBody<Item>>(json).is_err(),
                "{json}"
            );
        }
    }

    fn page(items: usize, number: u64) -> Page<i64> {
        Page {
            items: (0..items as i64).collect(),
            number,
            base: PageBase::Zero,
            per_page: 10,
            reported_size: None,
            total_elements: None,
            total_pages: None,
            reported_last: None,
            shape: PageShape::BareArray,
        }
    }

    #[test]
    fn is_last_uses_only_certain_signals() {
        assert!(page(0, 0).is_last());
        assert!(
            !page(3, 0).is_last(),
            "a short page is not proof of the end"
        );
        let mut p = page(10, 1);
        p.total_pages = Some(2);
        assert!(p.is_last());
        p.total_pages = Some(3);
        assert!(!p.is_last());
        let mut p = page(5, 2);
        p.total_elements = Some(25);
        p.reported_size = Some(10);
        assert!(p.is_last());
        p.total_elements = Some(26);
        assert!(!p.is_last());
        let mut p = page(5, 0);
        p.reported_last = Some(true);
        assert!(p.is_last());
    }
}
