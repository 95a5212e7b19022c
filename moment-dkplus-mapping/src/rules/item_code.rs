//! The item-code rule: every DK+ line needs an item code. The product number when the line is
//! linked to a product; otherwise the accounting VAT code of the line's financial account;
//! optionally (older Moment rule) the account's external revenue class. Never cut to fit.

use std::fmt;

use dkplus_client::ItemCode;
use moment_client::{FinancialAccount, InvoiceLine, Product};

use super::text::{DKPLUS_ITEM_CODE_MAX, printable};
use super::{LineRef, Problem, ReferenceData};
use crate::config::ItemCodeFallback;

/// Where an item code came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemCodeSource {
    /// The number of the product the line is linked to.
    ProductNumber {
        /// The product, e.g. "product 17 (Ráðgjöf)".
        product: String,
    },
    /// The accounting VAT code (`externalTaxCode`) of the line's financial account.
    AccountVatCode {
        /// The account, e.g. "account 3000 (Sala)".
        account: String,
    },
    /// The external revenue class of the line's financial account (opt-in fallback).
    AccountRevenueClass {
        /// The account.
        account: String,
    },
}

impl fmt::Display for ItemCodeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProductNumber { product } => write!(f, "product number of {product}"),
            Self::AccountVatCode { account } => write!(f, "accounting VAT code of {account}"),
            Self::AccountRevenueClass { account } => {
                write!(f, "external revenue class of {account}")
            }
        }
    }
}

/// An item code and where it came from; the product and account used, for creating the DK+
/// product when it is missing.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedItemCode {
    /// The code (trimmed, at most 20 characters).
    pub code: ItemCode,
    /// Where it came from.
    pub source: ItemCodeSource,
    /// The product the line is linked to, when known.
    pub product: Option<Product>,
    /// The financial account of the line (or of its product), when known.
    pub account: Option<FinancialAccount>,
}

pub(crate) fn describe_account(account: &FinancialAccount) -> String {
    let number = account
        .account_number
        .as_ref()
        .map(|n| printable(n.as_str()));
    let name = account.name.as_deref().map(printable);
    match (number, name) {
        (Some(n), Some(name)) => format!("account {n} ({name})"),
        (Some(n), None) => format!("account {n}"),
        (None, Some(name)) => format!("account \"{name}\" [Moment id {}]", account.id.get()),
        (None, None) => format!("account [Moment id {}]", account.id.get()),
    }
}

fn describe_product(product: &Product) -> String {
    let number = product
        .product_number
        .as_ref()
        .map(|n| printable(n.as_str()));
    let name = product.name.as_deref().map(printable);
    match (number, name) {
        (Some(n), Some(name)) => format!("product {n} ({name})"),
        (Some(n), None) => format!("product {n}"),
        (None, Some(name)) => format!("product \"{name}\""),
        (None, None) => format!("product [Moment id {}]", product.id.get()),
    }
}

/// Finds the item code of one invoice line.
///
/// # Errors
/// [`Problem::ItemCodeMissing`] naming the line and its account when nothing gives a code,
/// [`Problem::AccountNotFound`] when the line's account is not in `data`,
/// [`Problem::ItemCodeTooLong`] over 20 characters, [`Problem::ItemCodeInvalid`] for control
/// characters.
pub fn resolve_item_code(
    line: &InvoiceLine,
    line_ref: &LineRef,
    data: &ReferenceData,
    fallback: ItemCodeFallback,
) -> Result<ResolvedItemCode, Problem> {
    let product = line
        .product
        .as_ref()
        .and_then(|link| data.product(link))
        .cloned();
    let product_number = line
        .product_number()
        .or_else(|| product.as_ref().and_then(|p| p.product_number.as_ref()))
        .map(|n| n.as_str().trim())
        .filter(|n| !n.is_empty());

    // The line's own account; for a product line without one, the product's account.
    let account_link = line
        .financial_account
        .as_ref()
        .or_else(|| product.as_ref().and_then(|p| p.financial_account.as_ref()));
    let account = account_link.and_then(|link| data.account(link)).cloned();

    if let Some(number) = product_number {
        let source = ItemCodeSource::ProductNumber {
            product: product
                .as_ref()
                .map(describe_product)
                .unwrap_or_else(|| format!("product {number}")),
        };
        let code = checked(number, source.clone(), line_ref)?;
        return Ok(ResolvedItemCode {
            code,
            source,
            product,
            account,
        });
    }

    let Some(account) = account else {
        return Err(match account_link {
            Some(link) => Problem::AccountNotFound {
                line: line_ref.clone(),
                account: link
                    .account_number
                    .as_ref()
                    .map(|n| n.to_string())
                    .or_else(|| link.id.map(|id| format!("[Moment id {}]", id.get())))
                    .unwrap_or_else(|| "(unnamed)".into()),
            },
            None if line.product.is_some() => Problem::ItemCodeMissing {
                line: line_ref.clone(),
                account:
                    "a financial account (the line has none, and its product has no product number or was not found in Moment)"
                        .into(),
            },
            None => Problem::ItemCodeMissingNoAccount {
                line: line_ref.clone(),
            },
        });
    };
    let described = describe_account(&account);
    let vat_code = account
        .external_tax_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let revenue_class = account
        .external_revenue_class
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let (code, source) = match (vat_code, revenue_class, fallback) {
        (Some(code), _, _) => (code, ItemCodeSource::AccountVatCode { account: described }),
        (None, Some(code), ItemCodeFallback::AccountVatCodeThenRevenueClass) => (
            code,
            ItemCodeSource::AccountRevenueClass { account: described },
        ),
        _ => {
            return Err(Problem::ItemCodeMissing {
                line: line_ref.clone(),
                account: described,
            });
        }
    };
    let code = checked(code, source.clone(), line_ref)?;
    Ok(ResolvedItemCode {
        code,
        source,
        product,
        account: Some(account),
    })
}

fn checked(code: &str, source: ItemCodeSource, line: &LineRef) -> Result<ItemCode, Problem> {
    if code.chars().any(char::is_control) {
        return Err(Problem::ItemCodeInvalid {
            line: line.clone(),
            code: code.to_owned(),
            source_field: source.to_string(),
        });
    }
    let length = code.chars().count();
    if length > DKPLUS_ITEM_CODE_MAX {
        return Err(Problem::ItemCodeTooLong {
            line: line.clone(),
            code: code.to_owned(),
            length,
            source_field: source.to_string(),
        });
    }
    Ok(ItemCode::new(code))
}
