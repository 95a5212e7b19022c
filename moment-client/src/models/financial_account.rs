//! Financial (bookkeeping) accounts (`/financialAccounts`).
//!
//! The only Moment object with a captured real payload: every field name here is verified
//! against it (a bare JSON array of objects with `links: [{rel: "self", href}]`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::FinancialAccountId;
use crate::models::link::Link;
use crate::numbers::AccountNumber;
use crate::wire::{self, Conflict, Int, Money, Text, Timestamp, text_enum};

text_enum!(
    /// Whether the account is used for sales or purchases (`"sales"` / `"purchases"` in the
    /// captured payload; written in that lower-case form).
    pub enum FinancialAccountCategory {
        /// A sales (revenue) account: the ones invoice lines use.
        Sales => "sales" | "sale",
        /// A purchase (cost) account.
        Purchases => "purchases" | "purchase",
    }
);

/// A Moment financial (bookkeeping) account.
///
/// For DK+, `external_revenue_class` holds the DK item code ("Vörunúmer") under the older
/// integration rule and `external_tax_code` the accounting VAT code under the newer one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "FinancialAccountWire")]
pub struct FinancialAccount {
    /// Moment's id of the account.
    pub id: FinancialAccountId,
    /// Id of the Moment company (database) the account belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    /// The account number, as text (`"3000"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<AccountNumber>,
    /// The account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// VAT percentage of the account (`24.00`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_vat_percentage: Option<Decimal>,
    /// VAT category code (`"S"`, `"Z"`, `"0"`; likely the Peppol code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category_code: Option<String>,
    /// The accounting VAT code (SAF-T code in Moment's UI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_tax_code: Option<String>,
    /// The external revenue class ("Vörunúmer" for DK).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_revenue_class: Option<String>,
    /// Sales or purchases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_account_category: Option<FinancialAccountCategory>,
    /// Version marker (`null` in the captured payload), kept as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Hypermedia links (`self`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// When the account was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    /// When the account was last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// Who created it (system user), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_system_user: Option<String>,
    /// Who changed it last (system user), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by_system_user: Option<String>,
    /// Full name of the creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_system_user_full_name: Option<String>,
    /// Full name of the last editor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_by_system_user_full_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FinancialAccountWire {
    id: FinancialAccountId,
    company_id: Option<Int>,
    account_number: Option<AccountNumber>,
    name: Option<Text>,
    comment: Option<Text>,
    current_vat_percentage: Option<Money>,
    vat_category_code: Option<Text>,
    external_tax_code: Option<Text>,
    external_revenue_class: Option<Text>,
    financial_account_category: Option<FinancialAccountCategory>,
    version: Option<Text>,
    links: Option<Vec<Link>>,
    created_date: Option<Timestamp>,
    last_modified_date: Option<Timestamp>,
    created_by_system_user: Option<Text>,
    last_modified_by_system_user: Option<Text>,
    created_by_system_user_full_name: Option<Text>,
    last_modified_by_system_user_full_name: Option<Text>,
}

impl TryFrom<FinancialAccountWire> for FinancialAccount {
    type Error = Conflict;
    fn try_from(w: FinancialAccountWire) -> Result<Self, Conflict> {
        let t = wire::text;
        Ok(Self {
            id: w.id,
            company_id: wire::int(w.company_id),
            account_number: w.account_number,
            name: t(w.name),
            comment: t(w.comment),
            current_vat_percentage: wire::money(w.current_vat_percentage),
            vat_category_code: t(w.vat_category_code),
            external_tax_code: t(w.external_tax_code),
            external_revenue_class: t(w.external_revenue_class),
            financial_account_category: w.financial_account_category,
            version: t(w.version),
            links: w.links.unwrap_or_default(),
            created_date: wire::timestamp(w.created_date),
            last_modified_date: wire::timestamp(w.last_modified_date),
            created_by_system_user: t(w.created_by_system_user),
            last_modified_by_system_user: t(w.last_modified_by_system_user),
            created_by_system_user_full_name: t(w.created_by_system_user_full_name),
            last_modified_by_system_user_full_name: t(w.last_modified_by_system_user_full_name),
        })
    }
}
