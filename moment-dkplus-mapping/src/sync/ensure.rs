//! Ensuring what an invoice needs in DK+ before it is posted: the sales person, the customer
//! (and that it is Moment's customer), the project and the products — each looked up once per run
//! and created when missing (when its type is on).

use dkplus_client::{CustomerNumber, Kennitala, ProjectNumber};
use moment_client::{Customer, CustomerId, Project, ProjectId};
use rust_decimal::Decimal;

use super::failure::SyncFailure;
use super::known::{Record, customer_fingerprint, no_vat_value, parse_rate, rate_value};
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, InvoiceQuery, MomentSource, PortError};
use crate::rules::{
    MappedCustomer, RequiredProduct, contact_matches, map_customer, map_project, names_agree,
    same_legal_entity,
};
use crate::warning::Warning;

/// What an invoice needs to know of its customer in DK+.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DkCustomer {
    /// The customer is VAT-exempt in DK+: DK+ charges no VAT on its invoices.
    pub(crate) no_vat: bool,
}

/// A DK+ product an invoice uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct DkProduct {
    /// Its VAT percent, which DK+ charges on the lines that use it.
    pub(crate) tax_percent: Option<Decimal>,
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

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    /// Claims a DK+ customer number for one Moment customer in this run: two Moment customers
    /// with one number would overwrite one DK+ record with the other's data.
    pub(crate) fn claim_customer_number(
        &self,
        number: &CustomerNumber,
        id: CustomerId,
    ) -> Result<(), SyncFailure> {
        let mut owners = self
            .cache
            .customer_owners
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match owners.get(number) {
            Some(owner) if *owner != id => Err(SyncFailure::DuplicateCustomerNumber {
                number: number.to_string(),
                first: owner.get(),
                second: id.get(),
            }),
            Some(_) => Ok(()),
            None => {
                owners.insert(number.clone(), id);
                Ok(())
            }
        }
    }

    /// Checks that a DK+ customer of the same number is Moment's customer before it is updated
    /// or invoiced (see [`same_legal_entity`]): the kennitala DK+ printed on that customer's
    /// invoices decides where there is one; otherwise the name must be Moment's.
    pub(crate) async fn check_identity(
        &self,
        customer: &Customer,
        number: &CustomerNumber,
        existing: &dkplus_client::Customer,
    ) -> Result<(), SyncFailure> {
        let Some(name) = customer
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            return Ok(());
        };
        let invoices = self
            .ctx
            .dkplus
            .list_invoices(&InvoiceQuery::of_customer(
                number,
                20,
                &["Number", "CNumber", "CSSNumber"],
            ))
            .await
            .map_err(dkplus(format!("customer {number}'s invoices")))?;
        let kennitalas: Vec<String> = invoices
            .into_iter()
            .filter(|i| {
                i.customer_number.as_ref().is_some_and(|n| {
                    n.as_str()
                        .trim()
                        .eq_ignore_ascii_case(number.as_str().trim())
                })
            })
            .filter_map(|i| i.customer_ssn)
            .filter(|k| !k.trim().is_empty())
            .collect();
        let moment_kennitala = customer
            .organization_number
            .as_deref()
            .and_then(|k| Kennitala::parse(k).ok());
        // What Moment would write, to compare the contact details.
        let contact = map_customer(customer, &self.ctx.config)
            .is_ok_and(|mapped| contact_matches(&mapped.write, existing));
        same_legal_entity(
            name,
            moment_kennitala.as_ref(),
            existing.name.as_deref(),
            &kennitalas,
            contact,
        )
        .map_err(|mismatch| SyncFailure::CustomerIdentity {
            number: number.to_string(),
            dkplus: mismatch.dkplus,
            moment: mismatch.moment,
            reason: mismatch.reason,
        })
    }

    /// Creates a customer in DK+; warns when DK+ already has a customer of the same name under
    /// another number (a customer renumbered in Moment becomes a second DK+ customer). A `409`
    /// (someone created the number meanwhile) is returned as the error it is.
    pub(crate) async fn create_customer(
        &self,
        mapped: &MappedCustomer,
    ) -> Result<Vec<Warning>, PortError> {
        self.ctx
            .dkplus
            .create_customer(&mapped.create_body())
            .await?;
        let mut warnings = Vec::new();
        if let Some(name) = mapped.write.name.as_deref() {
            match self.ctx.dkplus.search_customers(name, 10).await {
                Ok(found) => warnings.extend(
                    found
                        .into_iter()
                        .filter(|c| {
                            c.number
                                .as_ref()
                                .is_some_and(|n| n.as_str() != mapped.number.as_str())
                                && names_agree(name, c.name.as_deref())
                        })
                        .map(|c| Warning::CustomerPossiblyRenumbered {
                            number: mapped.number.to_string(),
                            existing: c.number.map(|n| n.to_string()).unwrap_or_default(),
                            name: name.to_owned(),
                        }),
                ),
                Err(error) => {
                    tracing::warn!(%error, "could not look for customers of the same name");
                }
            }
        }
        Ok(warnings)
    }

    /// Checks once per run that the configured sales person exists in DK+.
    pub(crate) async fn check_sales_person(&self) -> Result<(), SyncFailure> {
        let Some(number) = self.ctx.config.sales_person() else {
            return Ok(());
        };
        self.cache
            .sales_person
            .get_or_try_init(&(), || async {
                match self.ctx.dkplus.sales_person(number).await {
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

    /// Makes sure the Moment customer exists in DK+ (creating it when customers are on) and is
    /// Moment's customer (see [`check_identity`](Self::check_identity)). Does not update an
    /// existing customer: that is the customer transfer's job.
    pub(crate) async fn ensure_dk_customer(
        &self,
        customer: &Customer,
    ) -> Result<DkCustomer, SyncFailure> {
        let Some(number) = customer
            .customer_number
            .as_ref()
            .filter(|n| !n.as_str().trim().is_empty())
            .map(|n| CustomerNumber::new(n.as_str()))
        else {
            // map_customer names the problem (no customer number) with what to fix.
            return map_customer(customer, &self.ctx.config)
                .map(|_| DkCustomer::default())
                .map_err(SyncFailure::Mapping);
        };
        let wrap = |failure: SyncFailure| SyncFailure::Dependency {
            dependency: format!("customer {number}"),
            failure: Box::new(failure),
        };
        self.claim_customer_number(&number, customer.id)
            .map_err(wrap)?;
        self.cache
            .dk_customers
            .get_or_try_init(&number, || async {
                let _creating = self
                    .ctx
                    .create_locks
                    .lock(&format!("customer:{number}"))
                    .await;
                // Confirmed earlier as Moment would write it now: no DK+ read.
                let fingerprint = map_customer(customer, &self.ctx.config)
                    .ok()
                    .map(|mapped| customer_fingerprint(&mapped, customer));
                let record = Record::Customer(&number);
                if let Some(fingerprint) = &fingerprint
                    && let Some(value) = self.known(record, fingerprint).await
                {
                    return Ok(DkCustomer {
                        no_vat: value == no_vat_value(true),
                    });
                }
                let confirmed = |no_vat: bool| async move {
                    if let Some(fingerprint) = &fingerprint {
                        self.note(record, fingerprint, no_vat_value(no_vat)).await;
                    }
                    Ok(DkCustomer { no_vat })
                };
                let existing = self
                    .ctx
                    .dkplus
                    .customer(&number)
                    .await
                    .map_err(dkplus(format!("customer {number} lookup")))?;
                if let Some(existing) = existing {
                    self.check_identity(customer, &number, &existing).await?;
                    return confirmed(existing.no_vat.unwrap_or(false)).await;
                }
                if !self.ctx.config.transfer_customers() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "customer",
                        number: number.to_string(),
                        why: "customer transfer is turned off",
                        fix: "create the customer in DK+ or turn on customer transfer",
                    });
                }
                let mapped =
                    map_customer(customer, &self.ctx.config).map_err(SyncFailure::Mapping)?;
                tracing::info!(customer = %number, "creating customer in DK+");
                let warnings = match self.create_customer(&mapped).await {
                    Ok(warnings) => warnings,
                    // Created by someone else meanwhile: read it and check it like any existing
                    // one (identity, VAT exemption).
                    Err(e) if e.status == Some(409) => {
                        let existing = self
                            .ctx
                            .dkplus
                            .customer(&number)
                            .await
                            .map_err(dkplus(format!("customer {number} lookup")))?
                            .ok_or_else(|| {
                                dkplus(format!("new customer {number}"))(PortError::new(
                                    crate::ports::System::DkPlus,
                                    crate::ports::PortErrorKind::OutcomeUnknown,
                                    "DK+ answered that the customer exists (409) but does not return it yet",
                                ))
                            })?;
                        self.check_identity(customer, &number, &existing).await?;
                        return confirmed(existing.no_vat.unwrap_or(false)).await;
                    }
                    Err(e) => return Err(dkplus(format!("new customer {number}"))(e)),
                };
                let mut outcome = ObjectOutcome::new(customer.id,
                    Some(number.to_string()),
                );
                outcome.dkplus_number = Some(number.to_string());
                outcome.warnings = mapped.warnings.iter().cloned().chain(warnings).collect();
                self.side_outcome(outcome.with(OutcomeStatus::Created));
                confirmed(false).await
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
                    .ctx
                    .create_locks
                    .lock(&format!("project:{number}"))
                    .await;
                // A project in DK+ is never changed by the integration: known to exist is enough.
                if self.known(Record::Project(number), "").await.is_some() {
                    return Ok(());
                }
                let existing = self
                    .ctx
                    .dkplus
                    .project(number)
                    .await
                    .map_err(dkplus(format!("project {number} lookup")))?;
                if existing.is_some() {
                    self.note(Record::Project(number), "", "").await;
                    return Ok(());
                }
                if !self.ctx.config.transfer_projects() {
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
                self.create_dk_project(&project).await?;
                let mut outcome = ObjectOutcome::new(project.id, Some(number.to_string()));
                outcome.dkplus_number = Some(number.to_string());
                self.side_outcome(outcome.with(OutcomeStatus::Created));
                Ok(())
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
        let create = map_project(project, customer_number.as_ref(), &self.ctx.config)
            .map_err(SyncFailure::Mapping)?;
        if let Some(customer) = &customer {
            self.ensure_dk_customer(customer).await?;
        }
        tracing::info!(project = %create.number, "creating project in DK+");
        created_or_exists(self.ctx.dkplus.create_project(&create).await)
            .map_err(dkplus(format!("new project {}", create.number)))?;
        self.note(Record::Project(&create.number), "", "").await;
        self.cache.dk_projects.insert(create.number.clone(), ());
        Ok(())
    }

    /// Makes sure the item code exists as a DK+ product and returns its VAT percent; the invoice
    /// that creates it reports it (with a shortened description, if it was shortened).
    pub(crate) async fn ensure_product(
        &self,
        required: &RequiredProduct,
    ) -> Result<DkProduct, SyncFailure> {
        let code = &required.create.item_code;
        let mut created_here = false;
        let tax_percent = self
            .cache
            .dk_products
            .get_or_try_init(code, || async {
                let _creating = self.ctx.create_locks.lock(&format!("product:{code}")).await;
                // A product the integration never changes: its VAT rate as DK+ last said it.
                let record = Record::Product(code);
                if let Some(value) = self.known(record, "").await
                    && let Ok(rate) = parse_rate(&value)
                {
                    return Ok(rate);
                }
                let confirmed = |rate: Option<Decimal>| async move {
                    self.note(record, "", &rate_value(rate)).await;
                    Ok(rate)
                };
                let existing = self
                    .ctx
                    .dkplus
                    .product(code)
                    .await
                    .map_err(dkplus(format!("product {code} lookup")))?;
                if let Some(existing) = existing {
                    return confirmed(existing.tax_percent).await;
                }
                if required.create.tax_percent.is_none() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "product",
                        number: code.to_string(),
                        why: "its VAT percent is not known (neither the line's financial account nor the line gives one), so it is not created with a guess",
                        fix: "set the VAT percentage on the financial account in Moment, or create the product in DK+",
                    });
                }
                if !self.ctx.config.create_missing_products() {
                    return Err(SyncFailure::MissingInDkPlus {
                        what: "product",
                        number: code.to_string(),
                        why: "product creation is turned off",
                        fix: "create the product in DK+ (or correct the item code in Moment), or turn on product creation",
                    });
                }
                tracing::info!(item_code = %code, source = %required.source, "creating product in DK+");
                match self.ctx.dkplus.create_product(&required.create).await {
                    Ok(()) => {
                        created_here = true;
                        confirmed(required.create.tax_percent).await
                    }
                    // Created by someone else meanwhile: its own VAT counts, not ours.
                    Err(e) if e.status == Some(409) => {
                        let existing = self
                            .ctx
                            .dkplus
                            .product(code)
                            .await
                            .map_err(dkplus(format!("product {code} lookup")))?;
                        confirmed(existing.and_then(|p| p.tax_percent)).await
                    }
                    Err(e) => Err(dkplus(format!("new product {code}"))(e)),
                }
            })
            .await?;
        if created_here {
            let mut outcome = ObjectOutcome::new(required.moment_id, Some(code.to_string()));
            outcome.dkplus_number = Some(code.to_string());
            outcome
                .warnings
                .extend(required.description_truncated.clone());
            self.side_outcome(outcome.with(OutcomeStatus::Created));
        }
        Ok(DkProduct { tax_percent })
    }
}
