//! Products (items, `/Product`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CostMethod, ItemClass};
use crate::ids::ItemCode;

/// A DK+ product (item) as read from `GET /Product/{itemcode}` and the product listings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Product {
    /// Item code (at most 20 characters).
    #[serde(
        rename = "ItemCode",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub item_code: Option<ItemCode>,
    /// DK+ internal record id.
    #[serde(
        rename = "RecordID",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub record_id: Option<i64>,
    /// Description (at most 40 characters).
    #[serde(rename = "Description")]
    pub description: Option<String>,
    /// Second description.
    #[serde(rename = "Description2")]
    pub description2: Option<String>,
    /// Alias item code.
    #[serde(rename = "AliasItemCode")]
    pub alias_item_code: Option<String>,
    /// Product group.
    #[serde(rename = "Group")]
    pub group: Option<String>,
    /// Stock or service item.
    #[serde(rename = "ItemClass")]
    pub item_class: Option<ItemClass>,
    /// Unit code.
    #[serde(rename = "UnitCode")]
    pub unit_code: Option<String>,
    /// Quantity per unit.
    #[serde(rename = "UnitQuantity", with = "crate::wire::decimal::decimal_opt")]
    pub unit_quantity: Option<Decimal>,
    /// Sales price 1 without VAT (ISK).
    #[serde(rename = "UnitPrice1", with = "crate::wire::decimal::decimal_opt")]
    pub unit_price1: Option<Decimal>,
    /// Sales price 1 with VAT (ISK).
    #[serde(
        rename = "UnitPrice1WithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub unit_price1_with_tax: Option<Decimal>,
    /// Sales price 2 without VAT.
    #[serde(rename = "UnitPrice2", with = "crate::wire::decimal::decimal_opt")]
    pub unit_price2: Option<Decimal>,
    /// Sales price 2 with VAT.
    #[serde(
        rename = "UnitPrice2WithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub unit_price2_with_tax: Option<Decimal>,
    /// Sales price 3 without VAT.
    #[serde(rename = "UnitPrice3", with = "crate::wire::decimal::decimal_opt")]
    pub unit_price3: Option<Decimal>,
    /// Sales price 3 with VAT.
    #[serde(
        rename = "UnitPrice3WithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub unit_price3_with_tax: Option<Decimal>,
    /// Sale (offer) price.
    #[serde(
        rename = "PropositionPrice",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub proposition_price: Option<Decimal>,
    /// Last day of the sale (offer) price.
    #[serde(rename = "PropositionDateTo", with = "crate::wire::dates::date_opt")]
    pub proposition_date_to: Option<NaiveDate>,
    /// Purchase price.
    #[serde(rename = "PurchasePrice", with = "crate::wire::decimal::decimal_opt")]
    pub purchase_price: Option<Decimal>,
    /// Purchase factor (wire name as DK+ spells it).
    #[serde(rename = "Purchasefactor", with = "crate::wire::decimal::decimal_opt")]
    pub purchase_factor: Option<Decimal>,
    /// Cost price.
    #[serde(rename = "CostPrice", with = "crate::wire::decimal::decimal_opt")]
    pub cost_price: Option<Decimal>,
    /// Profit ratio.
    #[serde(rename = "ProfitRatio1", with = "crate::wire::decimal::decimal_opt")]
    pub profit_ratio1: Option<Decimal>,
    /// Purchase currency (not the sales-price currency).
    #[serde(rename = "CurrencyCode")]
    pub currency_code: Option<String>,
    /// Exchange rate.
    #[serde(rename = "Exchange", with = "crate::wire::decimal::decimal_opt")]
    pub exchange: Option<Decimal>,
    /// Sales VAT percent (24, 11, 0).
    #[serde(rename = "TaxPercent", with = "crate::wire::decimal::decimal_opt")]
    pub tax_percent: Option<Decimal>,
    /// Sales VAT code, e.g. `u1`.
    #[serde(rename = "SalesTaxCode")]
    pub sales_tax_code: Option<String>,
    /// Purchase VAT code, e.g. `i3`.
    #[serde(rename = "PurchaseTaxCode")]
    pub purchase_tax_code: Option<String>,
    /// Sales ledger code, e.g. `s001`.
    #[serde(rename = "SalesLedgerCode")]
    pub sales_ledger_code: Option<String>,
    /// Purchase ledger code.
    #[serde(rename = "PurchaseLedgerCode")]
    pub purchase_ledger_code: Option<String>,
    /// True when the product is inactive.
    #[serde(
        rename = "Inactive",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub inactive: Option<bool>,
    /// True when the product is marked deleted.
    #[serde(
        rename = "Deleted",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub deleted: Option<bool>,
    /// Shown in the web shop.
    #[serde(
        rename = "ShowItemInWebShop",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub show_item_in_web_shop: Option<bool>,
    /// Discounts allowed.
    #[serde(
        rename = "AllowDiscount",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub allow_discount: Option<bool>,
    /// Discount in percent.
    #[serde(rename = "Discount", with = "crate::wire::decimal::decimal_opt")]
    pub discount: Option<Decimal>,
    /// Largest discount allowed.
    #[serde(
        rename = "MaxDiscountAllowed",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub max_discount_allowed: Option<Decimal>,
    /// Default quantity on a sale.
    #[serde(
        rename = "DefaultSaleQuantity",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub default_sale_quantity: Option<Decimal>,
    /// Negative stock allowed (wire name misspelt by DK+).
    #[serde(
        rename = "AllowNegativeInventiry",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub allow_negative_inventory: Option<bool>,
    /// Extra description 1.
    #[serde(rename = "ExtraDesc1")]
    pub extra_desc1: Option<String>,
    /// Extra description 2.
    #[serde(rename = "ExtraDesc2")]
    pub extra_desc2: Option<String>,
    /// Net weight.
    #[serde(rename = "NetWeight", with = "crate::wire::decimal::decimal_opt")]
    pub net_weight: Option<Decimal>,
    /// Volume per unit.
    #[serde(rename = "UnitVolume", with = "crate::wire::decimal::decimal_opt")]
    pub unit_volume: Option<Decimal>,
    /// Stock across warehouses.
    #[serde(
        rename = "TotalQuantityInWarehouse",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub total_quantity_in_warehouse: Option<Decimal>,
    /// Inventory costing method.
    #[serde(rename = "CostMethod")]
    pub cost_method: Option<CostMethod>,
    /// Dimension 1.
    #[serde(rename = "Dim1")]
    pub dim1: Option<String>,
    /// Dimension 2.
    #[serde(rename = "Dim2")]
    pub dim2: Option<String>,
    /// Dimension 3.
    #[serde(rename = "Dim3")]
    pub dim3: Option<String>,
    /// When the product was created (UTC).
    #[serde(rename = "RecordCreated", with = "crate::wire::dates::timestamp_opt")]
    pub record_created: Option<DateTime<Utc>>,
    /// Last modification time (UTC).
    #[serde(rename = "RecordModified", with = "crate::wire::dates::timestamp_opt")]
    pub record_modified: Option<DateTime<Utc>>,
    /// Stock/object timestamp.
    #[serde(rename = "ObjectDate", with = "crate::wire::dates::timestamp_opt")]
    pub object_date: Option<DateTime<Utc>>,
}

/// The body for `POST /Product`. Only the fields that are set are sent.
///
/// `item_code` must be 1–20 characters and `description` at most 40: DK+ cuts longer values
/// silently, so they are refused before sending.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductCreate {
    /// Item code (required, 1–20 characters).
    #[serde(rename = "ItemCode")]
    pub item_code: ItemCode,
    /// Description (at most 40 characters; DK+ would cut longer ones silently, so they are
    /// refused).
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Second description.
    #[serde(rename = "Description2", skip_serializing_if = "Option::is_none")]
    pub description2: Option<String>,
    /// Product group.
    #[serde(rename = "Group", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Stock or service item.
    #[serde(rename = "ItemClass", skip_serializing_if = "Option::is_none")]
    pub item_class: Option<ItemClass>,
    /// Unit code.
    #[serde(rename = "UnitCode", skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// Sales VAT percent (24, 11, 0).
    #[serde(
        rename = "TaxPercent",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_percent: Option<Decimal>,
    /// Sales price 1 without VAT.
    #[serde(
        rename = "UnitPrice1",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_price1: Option<Decimal>,
    /// Sales price 1 with VAT.
    #[serde(
        rename = "UnitPrice1WithTax",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_price1_with_tax: Option<Decimal>,
    /// Sales VAT code.
    #[serde(rename = "SalesTaxCode", skip_serializing_if = "Option::is_none")]
    pub sales_tax_code: Option<String>,
    /// Sales ledger code.
    #[serde(rename = "SalesLedgerCode", skip_serializing_if = "Option::is_none")]
    pub sales_ledger_code: Option<String>,
    /// Purchase ledger code.
    #[serde(rename = "PurchaseLedgerCode", skip_serializing_if = "Option::is_none")]
    pub purchase_ledger_code: Option<String>,
    /// Purchase currency.
    #[serde(rename = "CurrencyCode", skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Purchase price.
    #[serde(
        rename = "PurchasePrice",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_price: Option<Decimal>,
    /// Inactive product.
    #[serde(rename = "Inactive", skip_serializing_if = "Option::is_none")]
    pub inactive: Option<bool>,
    /// Show in the web shop.
    #[serde(rename = "ShowItemInWebShop", skip_serializing_if = "Option::is_none")]
    pub show_item_in_web_shop: Option<bool>,
    /// Allow discounts.
    #[serde(rename = "AllowDiscount", skip_serializing_if = "Option::is_none")]
    pub allow_discount: Option<bool>,
    /// Allow negative stock.
    #[serde(
        rename = "AllowNegativeInventiry",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_negative_inventory: Option<bool>,
}

/// A partial update for `PUT /Product/{itemcode}`: only the fields that are set are sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductUpdate {
    /// Description (at most 40 characters; DK+ would cut longer ones silently, so they are
    /// refused).
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Second description.
    #[serde(rename = "Description2", skip_serializing_if = "Option::is_none")]
    pub description2: Option<String>,
    /// Product group.
    #[serde(rename = "Group", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Stock or service item.
    #[serde(rename = "ItemClass", skip_serializing_if = "Option::is_none")]
    pub item_class: Option<ItemClass>,
    /// Unit code.
    #[serde(rename = "UnitCode", skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// Sales VAT percent (24, 11, 0).
    #[serde(
        rename = "TaxPercent",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_percent: Option<Decimal>,
    /// Sales price 1 without VAT.
    #[serde(
        rename = "UnitPrice1",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_price1: Option<Decimal>,
    /// Sales price 1 with VAT.
    #[serde(
        rename = "UnitPrice1WithTax",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit_price1_with_tax: Option<Decimal>,
    /// Sales VAT code.
    #[serde(rename = "SalesTaxCode", skip_serializing_if = "Option::is_none")]
    pub sales_tax_code: Option<String>,
    /// Sales ledger code.
    #[serde(rename = "SalesLedgerCode", skip_serializing_if = "Option::is_none")]
    pub sales_ledger_code: Option<String>,
    /// Purchase ledger code.
    #[serde(rename = "PurchaseLedgerCode", skip_serializing_if = "Option::is_none")]
    pub purchase_ledger_code: Option<String>,
    /// Purchase currency.
    #[serde(rename = "CurrencyCode", skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Purchase price.
    #[serde(
        rename = "PurchasePrice",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_price: Option<Decimal>,
    /// Inactive product.
    #[serde(rename = "Inactive", skip_serializing_if = "Option::is_none")]
    pub inactive: Option<bool>,
    /// Show in the web shop.
    #[serde(rename = "ShowItemInWebShop", skip_serializing_if = "Option::is_none")]
    pub show_item_in_web_shop: Option<bool>,
    /// Allow discounts.
    #[serde(rename = "AllowDiscount", skip_serializing_if = "Option::is_none")]
    pub allow_discount: Option<bool>,
    /// Allow negative stock.
    #[serde(
        rename = "AllowNegativeInventiry",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_negative_inventory: Option<bool>,
}
