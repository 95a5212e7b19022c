//! One run of the engine: the caches that make an invoice cost no repeated look-ups, and the
//! "ensure it exists in DK+" steps shared by the transfers.

use std::collections::HashMap;
use std::sync::Mutex;

use dkplus_client::{CustomerNumber, ItemCode, ProjectNumber};
use moment_client::{
    Customer, CustomerId, FinancialAccount, FinancialAccountId, Invoice, Product, ProductId,
    Project, ProjectId,
};
use rust_decimal::Decimal;

use super::cache::SingleFlight;
use super::context::Context;
use super::ensure::DkCustomer;
use super::failure::SyncFailure;
use super::outcome::ObjectOutcome;
use super::report::ReportBuilder;
use crate::ports::{DkPlusTarget, MomentSource, PortError};
use crate::rules::ReferenceData;
use crate::warning::Warning;

/// Caches of one run. Values are shared by all tasks of the run; failures are not cached.
#[derive(Default)]
pub(crate) struct RunCache {
    pub(crate) moment_customers: SingleFlight<CustomerId, Option<Customer>>,
    pub(crate) moment_projects: SingleFlight<ProjectId, Option<Project>>,
    pub(crate) moment_products: SingleFlight<ProductId, Option<Product>>,
    pub(crate) moment_accounts: SingleFlight<FinancialAccountId, Option<FinancialAccount>>,
    pub(crate) all_accounts: SingleFlight<(), Vec<FinancialAccount>>,
    pub(crate) dk_customers: SingleFlight<CustomerNumber, DkCustomer>,
    pub(crate) dk_projects: SingleFlight<ProjectNumber, ()>,
    pub(crate) dk_products: SingleFlight<ItemCode, Option<Decimal>>,
    pub(crate) sales_person: SingleFlight<(), Result<(), SyncFailure>>,
    /// When this run last brought the invoice ledger up to date with DK+, and whether it could.
    pub(crate) ledger_current: tokio::sync::Mutex<Option<(std::time::Instant, bool)>>,
    /// Which Moment customer each DK+ customer number belongs to in this run.
    pub(crate) customer_owners: Mutex<HashMap<CustomerNumber, CustomerId>>,
}

pub(crate) struct Run<'c, M, D> {
    /// What the engine's operations share.
    pub(crate) ctx: &'c Context<M, D>,
    pub(crate) cache: RunCache,
    /// Objects the run created in DK+ on the way (a product for an item code, a customer or
    /// project an invoice needed): reported like the objects it was asked for.
    side_outcomes: Mutex<Vec<ObjectOutcome>>,
    /// Invoices DK+ numbered differently from Moment: (Moment's number, DK+'s).
    renumbered: Mutex<Vec<(String, String)>>,
}

fn moment(e: PortError) -> SyncFailure {
    SyncFailure::Moment(e)
}

impl<'c, M: MomentSource, D: DkPlusTarget> Run<'c, M, D> {
    pub(crate) fn new(ctx: &'c Context<M, D>) -> Self {
        Self {
            ctx,
            cache: RunCache::default(),
            side_outcomes: Mutex::new(Vec::new()),
            renumbered: Mutex::new(Vec::new()),
        }
    }

    /// Notes an object created on the way.
    pub(crate) fn side_outcome(&self, outcome: ObjectOutcome) {
        self.side_outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(outcome);
    }

    /// Records the objects created on the way since the last call (products, and customers or
    /// projects an invoice needed).
    pub(crate) fn record_side_outcomes(&self, report: &ReportBuilder<'_>) {
        let created =
            std::mem::take(&mut *self.side_outcomes.lock().unwrap_or_else(|p| p.into_inner()));
        for outcome in created {
            report.record(outcome);
        }
    }

    /// Notes an invoice that DK+ numbered differently from Moment.
    pub(crate) fn note_number_series(&self, moment: &str, dkplus: &str) {
        self.renumbered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((moment.to_owned(), dkplus.to_owned()));
    }

    /// One warning for every invoice of the run that DK+ numbered differently, with the first
    /// and last numbers.
    pub(crate) fn number_series_warning(&self) -> Option<Warning> {
        let mut pairs = self
            .renumbered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let key = |n: &str| (n.parse::<u64>().unwrap_or(u64::MAX), n.to_owned());
        pairs.sort_by_key(|(moment, _)| key(moment));
        let (first, last) = (pairs.first()?, pairs.last()?);
        Some(Warning::NumberSeriesOutOfStep {
            count: pairs.len(),
            first_moment: first.0.clone(),
            first_dkplus: first.1.clone(),
            last_moment: last.0.clone(),
            last_dkplus: last.1.clone(),
        })
    }

    pub(crate) async fn moment_customer(
        &self,
        id: CustomerId,
    ) -> Result<Option<Customer>, SyncFailure> {
        self.cache
            .moment_customers
            .get_or_try_init(&id, || self.ctx.moment.customer(id))
            .await
            .map_err(moment)
    }

    pub(crate) fn remember_customer(&self, customer: &Customer) {
        self.cache
            .moment_customers
            .insert(customer.id, Some(customer.clone()));
    }

    /// Notes that the customer exists in DK+ now, so invoices of this run skip the look-up.
    pub(crate) fn mark_dk_customer(&self, number: &CustomerNumber, customer: DkCustomer) {
        self.cache.dk_customers.insert(number.clone(), customer);
    }

    pub(crate) async fn moment_project(
        &self,
        id: ProjectId,
    ) -> Result<Option<Project>, SyncFailure> {
        self.cache
            .moment_projects
            .get_or_try_init(&id, || self.ctx.moment.project(id))
            .await
            .map_err(moment)
    }

    pub(crate) fn remember_project(&self, project: &Project) {
        self.cache
            .moment_projects
            .insert(project.id, Some(project.clone()));
    }

    /// The accounts and products the invoice's lines point to, each fetched once per run.
    pub(crate) async fn reference_data(
        &self,
        invoice: &Invoice,
    ) -> Result<ReferenceData, SyncFailure> {
        let mut data = ReferenceData::new();
        let mut account_links = Vec::new();
        for line in &invoice.lines {
            if let Some(link) = &line.product {
                let product = match link.id {
                    Some(id) => self
                        .cache
                        .moment_products
                        .get_or_try_init(&id, || self.ctx.moment.product(id))
                        .await
                        .map_err(moment)?,
                    None => None,
                };
                if let Some(product) = product {
                    // The product's own account matters when the line has none.
                    if line.financial_account.is_none()
                        && let Some(link) = &product.financial_account
                    {
                        account_links.push(link.clone());
                    }
                    data.insert_product(product);
                }
            }
            if let Some(link) = &line.financial_account {
                account_links.push(link.clone());
            }
        }
        for link in account_links {
            match link.id {
                Some(id) => {
                    let account = self
                        .cache
                        .moment_accounts
                        .get_or_try_init(&id, || self.ctx.moment.financial_account(id))
                        .await
                        .map_err(moment)?;
                    if let Some(account) = account {
                        data.insert_account(account);
                    }
                }
                None if link.account_number.is_some() => {
                    let all = self
                        .cache
                        .all_accounts
                        .get_or_try_init(&(), || self.ctx.moment.financial_accounts())
                        .await
                        .map_err(moment)?;
                    if let Some(account) = all
                        .into_iter()
                        .find(|a| a.account_number == link.account_number)
                    {
                        data.insert_account(account);
                    }
                }
                None => {}
            }
        }
        Ok(data)
    }
}
