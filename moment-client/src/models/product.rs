//! Products (`/products`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{FinancialAccountId, ProductId};
use crate::models::refs::FinancialAccountRef;
use crate::numbers::{AccountNumber, ProductNumber};
use crate::wire::{self, Conflict, Money, Text, Timestamp, agree, pick};

/// A Moment product. The product number is the DK+ item code of lines linked to the product.
///
/// Moment's product page lists the fields (number, name, cost price, selling price, discount,
/// description, group, bookkeeping accounts); every JSON name here is a guess (see
/// `docs/moment-api.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "ProductWire")]
pub struct Product {
    /// Moment's id of the product.
    pub id: ProductId,
    /// The product number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_number: Option<ProductNumber>,
    /// The product name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Internal description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Selling price per unit, excluding VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Cost price per unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<Decimal>,
    /// Default discount in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Decimal>,
    /// Product group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_group: Option<String>,
    /// Bookkeeping account for domestic sales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_account: Option<FinancialAccountRef>,
    /// Bookkeeping account for foreign sales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_financial_account: Option<FinancialAccountRef>,
    /// When the product was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    /// When the product was last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductWire {
    id: ProductId,
    product_number: Option<ProductNumber>,
    number: Option<ProductNumber>,
    name: Option<Text>,
    description: Option<Text>,
    price: Option<Money>,
    selling_price: Option<Money>,
    sales_price: Option<Money>,
    cost_price: Option<Money>,
    discount_percent: Option<Money>,
    discount: Option<Money>,
    product_group: Option<Text>,
    group: Option<Text>,
    financial_account: Option<FinancialAccountRef>,
    bookkeeping_account: Option<FinancialAccountRef>,
    financial_account_id: Option<FinancialAccountId>,
    financial_account_number: Option<AccountNumber>,
    account_number: Option<AccountNumber>,
    foreign_financial_account: Option<FinancialAccountRef>,
    created_date: Option<Timestamp>,
    last_modified_date: Option<Timestamp>,
}

impl TryFrom<ProductWire> for Product {
    type Error = Conflict;
    fn try_from(w: ProductWire) -> Result<Self, Conflict> {
        let t = wire::text;
        let nested_account = agree([
            ("financialAccount", w.financial_account),
            ("bookkeepingAccount", w.bookkeeping_account),
        ])?;
        let account_number = agree([
            ("financialAccountNumber", w.financial_account_number),
            ("accountNumber", w.account_number),
        ])?;
        Ok(Self {
            id: w.id,
            product_number: agree([("productNumber", w.product_number), ("number", w.number)])?,
            name: t(w.name),
            description: t(w.description),
            price: agree([
                ("price", wire::money(w.price)),
                ("sellingPrice", wire::money(w.selling_price)),
                ("salesPrice", wire::money(w.sales_price)),
            ])?,
            cost_price: wire::money(w.cost_price),
            discount_percent: agree([
                ("discountPercent", wire::money(w.discount_percent)),
                ("discount", wire::money(w.discount)),
            ])?,
            product_group: pick([t(w.product_group), t(w.group)]),
            financial_account: FinancialAccountRef::merge(
                nested_account,
                [
                    "financialAccountId",
                    "financialAccountNumber",
                    "financialAccountName",
                ],
                w.financial_account_id,
                account_number,
                None,
            )?,
            foreign_financial_account: w.foreign_financial_account,
            created_date: wire::timestamp(w.created_date),
            last_modified_date: wire::timestamp(w.last_modified_date),
        })
    }
}
