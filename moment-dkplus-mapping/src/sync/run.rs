//! One run of the engine: the caches that make an invoice cost no repeated look-ups, and the
//! "ensure it exists in DK+" steps shared by the transfers.

use dkplus_client::{CustomerNumber, ItemCode, ProjectNumber};
use moment_client::{
    Customer, CustomerId, FinancialAccount, FinancialAccountId, Invoice, Product, ProductId,
    Project, ProjectId,
};

use super::cache::SingleFlight;
use super::engine::SyncEngine;
use super::outcome::{ObjectKind, SyncFailure};
use crate::ports::{DkPlusTarget, MomentSource, PortError};
use crate::rules::{ReferenceData, RequiredProduct, map_customer, map_project};
use crate::warning::Warning;

/// Caches of one run. Values are shared by all tasks of the run; failures are not cached.
#[derive(Default)]
pub(crate) struct RunCache {
    moment_customers: SingleFlight<CustomerId, Option<Customer>>,
    moment_projects: SingleFlight<ProjectId, Option<Project>>,
    moment_products: SingleFlight<ProductId, Option<Product>>,
    moment_accounts: SingleFlight<FinancialAccountId, Option<FinancialAccount>>,
    all_accounts: SingleFlight<(), Vec<FinancialAccount>>,
    dk_customers: SingleFlight<CustomerNumber, ()>,
    dk_projects: SingleFlight<ProjectNumber, ()>,
    dk_products: SingleFlight<ItemCode, Option<Warning>>,
    sales_person: SingleFlight<(), Result<(), SyncFailure>>,
}

pub(crate) struct Run<'e, M, D> {
    pub(crate) engine: &'e SyncEngine<M, D>,
    pub(crate) cache: RunCache,
}

fn moment(e: PortError) -> SyncFailure {
    SyncFailure::Moment(e)
}

/// A create answered 409: another writer (another process, or a person in DK+) created the
/// record first. The record exists, which is all the caller needs.
pub(crate) fn created_or_exists(result: Result<(), PortError>) -> Result<(), PortError> {
    match result {
        Err(e) if e.status == Some(409) => {
            tracing::info!(error = %e, "DK+ already had the record");
            Ok(())
        }
        other => other,
    }
}

fn dkplus(what: impl Into<String>) -> impl FnOnce(PortError) -> SyncFailure {
    let what = what.into();
    move |error| SyncFailure::DkPlus { what, error }
}

impl<'e, M: MomentSource, D: DkPlusTarget> Run<'e, M, D> {
    pub(crate) fn new(engine: &'e SyncEngine<M, D>) -> Self {
        Self {
            engine,
            cache: RunCache::default(),
        }
    }

    pub(crate) async fn moment_customer(
        &self,
        id: CustomerId,
    ) -> Result<Option<Customer>, SyncFailure> {
        self.cache
            .moment_customers
            .get_or_try_init(&id, || self.engine.moment.customer(id))
            .await
            .map_err(moment)
    }

    pub(crate) fn remember_customer(&self, customer: &Customer) {
        self.cache
            .moment_customers
            .insert(customer.id, Some(customer.clone()));
    }

    /// Notes that the customer exists in DK+ now, so invoices of this run skip the look-up.
    pub(crate) fn mark_dk_customer(&self, number: &CustomerNumber) {
        self.cache.dk_customers.insert(number.clone(), ());
    }

    pub(crate) async fn moment_project(
        &self,
        id: ProjectId,
    ) -> Result<Option<Project>, SyncFailure> {
        self.cache
            .moment_projects
            .get_or_try_init(&id, || self.engine.moment.project(id))
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
                        .get_or_try_init(&id, || self.engine.moment.product(id))
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
                        .get_or_try_init(&id, || self.engine.moment.financial_account(id))
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
                        .get_or_try_init(&(), || self.engine.moment.financial_accounts())
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

    /// Checks once per run that the configured sales person exists in DK+.
    pub(crate) async fn check_sales_person(&self) -> Result<(), SyncFailure> {
        let Some(number) = self.engine.config.sales_person() else {
            return Ok(());
        };
        self.cache
            .sales_person
            .get_or_try_init(&(), || async {
                match self.engine.dkplus.sales_person(number).await {
                    Ok(Some(_)) => Ok(Ok(())),
                    Ok(None) => Ok(Err(SyncFailure::SalesPersonUnknown(number.to_string()))),
                    Err(error) => Err(SyncFailure::DkPlus {
                        what: format!("sales person {number} lookup"),
                        error,
                    }),
                }
            })
            .await?
    }

    /// Makes sure the Moment customer exists in DK+ (creating it when customers are on).
    /// Does not update an existing customer: that is the customer transfer's job, so a customer
    /// that DK+ already has is not mapped (or refused) again here.
    pub(crate) async fn ensure_dk_customer(&self, customer: &Customer) -> Result<(), SyncFailure> {
        let Some(number) = customer
            .customer_number
            .as_ref()
            .filter(|n| !n.as_str().trim().is_empty())
            .map(|n| CustomerNumber::new(n.as_str()))
        else {
            // map_customer names the problem (no customer number) with what to fix.
            return map_customer(customer, &self.engine.config)
                .map(|_| ())
                .map_err(SyncFailure::Mapping);
        };
        let wrap = |failure: SyncFailure| SyncFailure::Dependency {
            dependency: format!("customer {number}"),
            failure: Box::new(failure),
        };
        self.cache
            .dk_customers
            .get_or_try_init(&number, || async {
                let _creating = self
                    .engine
                    .create_locks
                    .lock(&format!("customer:{number}"))
                    .await;
                let existing = self
                    .engine
                    .dkplus
                    .customer(&number)
                    .await
                    .map_err(dkplus(format!("customer {number} lookup")))?;
                if existing.is_some() {
                    return Ok(());
                }
                if !self.engine.config.transfer_customers() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "customer",
                        number: number.to_string(),
                        why: "customer transfer is turned off",
                        fix: "create the customer in DK+ or turn on customer transfer",
                    });
                }
                let mapped =
                    map_customer(customer, &self.engine.config).map_err(SyncFailure::Mapping)?;
                tracing::info!(customer = %number, "creating customer in DK+");
                created_or_exists(
                    self.engine
                        .dkplus
                        .create_customer(&mapped.create_body())
                        .await,
                )
                .map_err(dkplus(format!("new customer {number}")))
            })
            .await
            .map_err(wrap)
    }

    /// Makes sure the project exists in DK+ (creating it, and its customer, when projects are on).
    pub(crate) async fn ensure_dk_project(
        &self,
        number: &ProjectNumber,
        moment_id: Option<ProjectId>,
    ) -> Result<(), SyncFailure> {
        let wrap = |failure: SyncFailure| SyncFailure::Dependency {
            dependency: format!("project {number}"),
            failure: Box::new(failure),
        };
        self.cache
            .dk_projects
            .get_or_try_init(number, || async {
                let _creating = self
                    .engine
                    .create_locks
                    .lock(&format!("project:{number}"))
                    .await;
                let existing = self
                    .engine
                    .dkplus
                    .project(number)
                    .await
                    .map_err(dkplus(format!("project {number} lookup")))?;
                if existing.is_some() {
                    return Ok(());
                }
                if !self.engine.config.transfer_projects() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "project",
                        number: number.to_string(),
                        why: "project transfer is turned off",
                        fix: "create the project in DK+ or turn on project transfer",
                    });
                }
                let Some(id) = moment_id else {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "project",
                        number: number.to_string(),
                        why: "Moment did not say which project it is",
                        fix: "transfer the project first",
                    });
                };
                let project = self
                    .moment_project(id)
                    .await?
                    .ok_or(SyncFailure::NotInMoment {
                        kind: ObjectKind::Project,
                        id: id.get(),
                    })?;
                self.create_dk_project(&project).await
            })
            .await
            .map_err(wrap)
    }

    /// Creates the project in DK+ after making sure its customer exists there. The caller holds
    /// the project's creation lock.
    pub(crate) async fn create_dk_project(&self, project: &Project) -> Result<(), SyncFailure> {
        let customer =
            match project.customer_id() {
                Some(id) => Some(self.moment_customer(id).await?.ok_or(
                    SyncFailure::NotInMoment {
                        kind: ObjectKind::Customer,
                        id: id.get(),
                    },
                )?),
                None => None,
            };
        let customer_number = customer.as_ref().and_then(|c| c.customer_number.clone());
        let create =
            map_project(project, customer_number.as_ref()).map_err(SyncFailure::Mapping)?;
        if let Some(customer) = &customer {
            self.ensure_dk_customer(customer).await?;
        }
        tracing::info!(project = %create.number, "creating project in DK+");
        created_or_exists(self.engine.dkplus.create_project(&create).await)
            .map_err(dkplus(format!("new project {}", create.number)))?;
        self.cache.dk_projects.insert(create.number.clone(), ());
        Ok(())
    }

    /// Makes sure the item code exists as a DK+ product; returns the truncation warning when the
    /// product was created with a shortened description.
    pub(crate) async fn ensure_product(
        &self,
        required: &RequiredProduct,
    ) -> Result<Option<Warning>, SyncFailure> {
        let code = &required.create.item_code;
        let mut created_here = false;
        let warning = self
            .cache
            .dk_products
            .get_or_try_init(code, || async {
                let _creating = self.engine.create_locks.lock(&format!("product:{code}")).await;
                let existing = self
                    .engine
                    .dkplus
                    .product(code)
                    .await
                    .map_err(dkplus(format!("product {code} lookup")))?;
                if existing.is_some() {
                    return Ok(None);
                }
                if required.create.tax_percent.is_none() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "product",
                        number: code.to_string(),
                        why: "its VAT percent is not known (neither the line's financial account nor the line gives one), so it is not created with a guess",
                        fix: "set the VAT percentage on the financial account in Moment, or create the product in DK+",
                    });
                }
                if !self.engine.config.create_missing_products() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "product",
                        number: code.to_string(),
                        why: "product creation is turned off",
                        fix: "create the product in DK+ (or correct the item code in Moment), or turn on product creation",
                    });
                }
                tracing::info!(item_code = %code, source = %required.source, "creating product in DK+");
                created_or_exists(self.engine.dkplus.create_product(&required.create).await)
                    .map_err(dkplus(format!("new product {code}")))?;
                created_here = true;
                Ok(required.description_truncated.clone())
            })
            .await?;
        // Only the invoice that created the product reports its shortened description.
        Ok(warning.filter(|_| created_here))
    }
}
