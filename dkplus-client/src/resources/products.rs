//! `/Product`.

use crate::operations::{self as op, Operation};
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::client::DkPlusClient;
use crate::client::request::{ApiRequest, ApiResponse};
use crate::error::{Error, Result};
use crate::ids::ItemCode;
use crate::models::{Product, ProductCreate, ProductUpdate};
use crate::paging::{Listing, flag, list_builder_common};
use crate::validation;
use crate::wire::dates::format_query_timestamp;

use super::decode_optional;

/// Product calls, from [`DkPlusClient::products`].
#[derive(Debug, Clone)]
pub struct Products {
    client: DkPlusClient,
}

/// True when an item code cannot go into a URL path as it is. DK+ then takes it base64-encoded
/// with `isBase64=true`. Anything beyond ASCII letters, digits, `-` and `_` qualifies (a `/`, a
/// space, a dot, non-ASCII letters such as `Þ` …).
pub(crate) fn needs_base64(code: &str) -> bool {
    !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The request for `/Product/{itemcode}`, base64-encoding the code when needed.
fn item_request(operation: &'static Operation, code: &ItemCode) -> Result<ApiRequest> {
    let raw = code.as_str();
    if needs_base64(raw) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
        Ok(ApiRequest::to(operation, &[&encoded])?.query("isBase64", "true"))
    } else {
        ApiRequest::to(operation, &[raw])
    }
}

impl Products {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// `GET /Product/{itemcode}`; `Ok(None)` when DK+ has no such product (404). DK+ matches item
    /// codes case-insensitively.
    pub async fn get(&self, item_code: &ItemCode) -> Result<Option<Product>> {
        validation::item_code("item_code", item_code.as_str())?;
        let request = item_request(&op::PRODUCT_GET, item_code)?;
        decode_optional(self.client.execute_optional(&request).await?)
    }

    /// `GET /Product/page/{page}/{count}` with filters.
    pub fn list(&self) -> ProductList {
        ProductList {
            client: self.client.clone(),
            listing: Listing::new(&op::PRODUCT_PAGE),
        }
    }

    /// `POST /Product`; returns the product as DK+ stored it.
    pub async fn create(&self, product: &ProductCreate) -> Result<Product> {
        let request = create_request(product)?;
        let response = self.client.execute(&request).await?;
        tracing::info!(item_code = %product.item_code, "created DK+ product");
        self.stored(response, &product.item_code).await
    }

    /// `PUT /Product/{itemcode}` with only the fields that are set; returns the product as DK+
    /// stored it.
    pub async fn update(&self, item_code: &ItemCode, update: &ProductUpdate) -> Result<Product> {
        let request = update_request(item_code, update)?;
        let response = self.client.execute(&request).await?;
        self.stored(response, item_code).await
    }

    /// The product from a write's answer, or read back when the answer is empty.
    async fn stored(&self, response: ApiResponse, item_code: &ItemCode) -> Result<Product> {
        if !response.is_empty() {
            return response.json();
        }
        match self.get(item_code).await? {
            Some(product) => Ok(product),
            None => Err(Error::Decode {
                method: response.method.to_string(),
                path: response.path.clone(),
                status: response.status,
                field_path: ".".to_owned(),
                reason: format!(
                    "DK+ accepted product {item_code} with an empty answer and could not read it back yet"
                ),
                body: String::new(),
            }),
        }
    }
}

/// Filters for [`Products::list`]. Filters are sent with every page.
#[derive(Debug, Clone)]
#[must_use = "call .send() or .stream()"]
pub struct ProductList {
    client: DkPlusClient,
    listing: Listing,
}

impl ProductList {
    list_builder_common!(Product);

    /// Only inactive (`true`) or active (`false`) products (`inactive`).
    pub fn inactive(mut self, inactive: bool) -> Self {
        self.listing.set("inactive", flag(inactive));
        self
    }

    /// Only products shown (or not) in the web shop (`onweb`).
    pub fn on_web(mut self, on_web: bool) -> Self {
        self.listing.set("onweb", flag(on_web));
        self
    }

    /// Only products in this group (`group`).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.listing.set("group", group.into());
        self
    }

    /// Only deleted or non-deleted products (`deleted`).
    pub fn deleted(mut self, deleted: bool) -> Self {
        self.listing.set("deleted", flag(deleted));
        self
    }

    /// Only products modified after this instant (`modified`).
    pub fn modified_after(mut self, at: DateTime<Utc>) -> Self {
        self.listing.set("modified", format_query_timestamp(at));
        self
    }

    /// Only products modified before this instant (`modifiedBefore`).
    pub fn modified_before(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedBefore", format_query_timestamp(at));
        self
    }
}

/// The checked request of [`Products::create`].
pub(crate) fn create_request(product: &ProductCreate) -> Result<ApiRequest> {
    validation::product_create(product)?;
    ApiRequest::to(&op::PRODUCT_CREATE, &[])?.json_body(product)
}

/// The checked request of [`Products::update`].
pub(crate) fn update_request(item_code: &ItemCode, update: &ProductUpdate) -> Result<ApiRequest> {
    validation::item_code("item_code", item_code.as_str())?;
    validation::product_update(update)?;
    item_request(&op::PRODUCT_UPDATE, item_code)?.json_body(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_codes_go_into_the_path_as_they_are() {
        for plain in ["RADGJOF", "sndkost", "A-1_2"] {
            assert!(!needs_base64(plain), "{plain}");
        }
        for odd in ["A/B", "A B", "ÞJÓN", "a.b", "50%", "a?b", "a#b"] {
            assert!(needs_base64(odd), "{odd}");
        }
    }

    #[test]
    fn odd_codes_are_base64_with_the_flag() {
        let request = item_request(&op::PRODUCT_GET, &ItemCode::new("A/B 1")).unwrap();
        assert_eq!(request.segments, ["Product", "QS9CIDE="]);
        assert_eq!(request.query, [("isBase64", "true".to_owned())]);
        let request = item_request(&op::PRODUCT_GET, &ItemCode::new("AB1")).unwrap();
        assert_eq!(request.segments, ["Product", "AB1"]);
        assert!(request.query.is_empty());
    }
}
