//! Sales persons (`/sales/person`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SalesPersonNumber;

/// A DK+ sales person as read from `GET /sales/person/{number}` and the listing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesPerson {
    /// Sales person number.
    #[serde(
        rename = "Number",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub number: Option<SalesPersonNumber>,
    /// Employee number of the sales person.
    #[serde(rename = "Employee")]
    pub employee: Option<String>,
    /// Name printed on sales documents.
    #[serde(rename = "NameOnSalesOrders")]
    pub name_on_sales_orders: Option<String>,
    /// Default warehouse.
    #[serde(rename = "Warehouse")]
    pub warehouse: Option<String>,
    /// Price group.
    #[serde(
        rename = "PriceGroup",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub price_group: Option<i32>,
    /// Price 1 locked.
    #[serde(
        rename = "Price1Closed",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub price1_closed: Option<bool>,
    /// Price 2 locked.
    #[serde(
        rename = "Price2Closed",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub price2_closed: Option<bool>,
    /// Price 3 locked.
    #[serde(
        rename = "Price3Closed",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub price3_closed: Option<bool>,
    /// May change due dates.
    #[serde(
        rename = "CanChangeDueDate",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub can_change_due_date: Option<bool>,
    /// Sees only own customers.
    #[serde(
        rename = "FilterOnCustomer",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub filter_on_customer: Option<bool>,
    /// Item code.
    #[serde(rename = "ItemCode")]
    pub item_code: Option<String>,
    /// Second item code.
    #[serde(rename = "ItemCode2")]
    pub item_code2: Option<String>,
    /// Reference.
    #[serde(rename = "Reference")]
    pub reference: Option<String>,
    /// When the sales person was created (UTC).
    #[serde(rename = "Created", with = "crate::wire::dates::timestamp_opt")]
    pub created: Option<DateTime<Utc>>,
    /// Last modification time (UTC).
    #[serde(rename = "Modified", with = "crate::wire::dates::timestamp_opt")]
    pub modified: Option<DateTime<Utc>>,
}
