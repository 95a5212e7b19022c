//! [`ReferenceData`]: the Moment financial accounts and products an invoice's lines point to.

use std::collections::HashMap;

use moment_client::{
    FinancialAccount, FinancialAccountId, FinancialAccountRef, Product, ProductId, ProductRef,
};

/// Financial accounts and products by id, handed to [`map_invoice`](super::map_invoice) so the
/// rules can find a line's account (for its VAT code) and product (for its number) without I/O.
#[derive(Clone, Debug, Default)]
pub struct ReferenceData {
    accounts: HashMap<FinancialAccountId, FinancialAccount>,
    products: HashMap<ProductId, Product>,
}

impl ReferenceData {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a financial account.
    pub fn insert_account(&mut self, account: FinancialAccount) {
        self.accounts.insert(account.id, account);
    }

    /// Adds (or replaces) a product.
    pub fn insert_product(&mut self, product: Product) {
        self.products.insert(product.id, product);
    }

    /// Adds accounts; builder style.
    #[must_use]
    pub fn with_accounts(mut self, accounts: impl IntoIterator<Item = FinancialAccount>) -> Self {
        accounts.into_iter().for_each(|a| self.insert_account(a));
        self
    }

    /// Adds products; builder style.
    #[must_use]
    pub fn with_products(mut self, products: impl IntoIterator<Item = Product>) -> Self {
        products.into_iter().for_each(|p| self.insert_product(p));
        self
    }

    /// The account a line points to: by id, else by account number.
    pub fn account(&self, link: &FinancialAccountRef) -> Option<&FinancialAccount> {
        if let Some(found) = link.id.and_then(|id| self.accounts.get(&id)) {
            return Some(found);
        }
        let number = link.account_number.as_ref()?;
        self.accounts
            .values()
            .find(|a| a.account_number.as_ref() == Some(number))
    }

    /// The product a line points to: by id, else by product number.
    pub fn product(&self, link: &ProductRef) -> Option<&Product> {
        if let Some(found) = link.id.and_then(|id| self.products.get(&id)) {
            return Some(found);
        }
        let number = link.product_number.as_ref()?;
        self.products
            .values()
            .find(|p| p.product_number.as_ref() == Some(number))
    }
}
