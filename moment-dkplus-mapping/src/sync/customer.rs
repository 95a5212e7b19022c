//! Customer transfer: upsert by number (Moment is master of the number).

use moment_client::{Customer, CustomerId};

use tracing::Instrument;

use super::ensure::DkCustomer;
use super::failure::SyncFailure;
use super::known::{Record, customer_fingerprint, no_vat_value};
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::{MappedCustomer, customer_changes, map_customer};

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    /// Updates a DK+ customer of the same number with Moment's data — once it is known to be
    /// the same legal entity — sending only what differs.
    async fn update_existing(
        &self,
        customer: &Customer,
        mapped: &MappedCustomer,
        existing: &dkplus_client::Customer,
    ) -> Result<(OutcomeStatus, DkCustomer), SyncFailure> {
        let number = &mapped.number;
        self.check_identity(customer, number, existing).await?;
        let in_dkplus = DkCustomer {
            no_vat: existing.no_vat.unwrap_or(false),
        };
        match customer_changes(&mapped.write, existing) {
            None => Ok((OutcomeStatus::Unchanged, in_dkplus)),
            Some(changes) => match self.ctx.dkplus.update_customer(number, &changes).await {
                Ok(()) => Ok((OutcomeStatus::Updated, in_dkplus)),
                Err(error) => Err(SyncFailure::DkPlus {
                    what: format!("update of customer {number}"),
                    error,
                }),
            },
        }
    }

    pub(crate) async fn transfer_customer_by_id(&self, id: CustomerId) -> ObjectOutcome {
        let base = ObjectOutcome::new(id, None);
        if !self.ctx.config.transfer_customers() {
            return base.with(OutcomeStatus::Skipped(
                "customer transfer is turned off".into(),
            ));
        }
        let failed = match self.moment_customer(id).await {
            Ok(Some(customer)) => return self.transfer_customer(customer).await,
            Ok(None) => base.with(OutcomeStatus::Failed(SyncFailure::NotInMoment {
                kind: ObjectKind::Customer,
                id: id.get(),
            })),
            Err(failure) => base.with(OutcomeStatus::Failed(failure)),
        };
        self.remember(&failed, None).await;
        failed
    }

    pub(crate) async fn transfer_customer(&self, customer: Customer) -> ObjectOutcome {
        let span = tracing::info_span!("customer", moment_id = customer.id.get());
        let outcome = self
            .transfer_customer_in_span(customer)
            .instrument(span)
            .await;
        self.remember(&outcome, None).await;
        outcome
    }

    async fn transfer_customer_in_span(&self, customer: Customer) -> ObjectOutcome {
        let mut outcome = ObjectOutcome::new(
            customer.id,
            customer.customer_number.as_ref().map(|n| n.to_string()),
        );
        let mapped = match map_customer(&customer, &self.ctx.config) {
            Ok(mapped) => mapped,
            Err(e) => return outcome.with(OutcomeStatus::Failed(SyncFailure::Mapping(e))),
        };
        outcome.warnings = mapped.warnings.clone();
        outcome.dkplus_number = Some(mapped.number.to_string());
        if let Err(failure) = self.claim_customer_number(&mapped.number, customer.id) {
            return outcome.with(OutcomeStatus::Failed(failure));
        }
        let dk = &self.ctx.dkplus;
        let number = &mapped.number;
        let _creating = self
            .ctx
            .create_locks
            .lock(&format!("customer:{number}"))
            .await;
        // Confirmed in DK+ as Moment has it now (within the recheck time): nothing to read or
        // send.
        let fingerprint = customer_fingerprint(&mapped, &customer);
        if let Some(value) = self.known(Record::Customer(number), &fingerprint).await {
            self.mark_dk_customer(
                number,
                DkCustomer {
                    no_vat: value == no_vat_value(true),
                },
            );
            return outcome.with(OutcomeStatus::Unchanged);
        }
        let failed = |what: String| move |error| SyncFailure::DkPlus { what, error };
        let existing = match dk.customer(number).await {
            Ok(existing) => existing,
            Err(error) => {
                return outcome.with(OutcomeStatus::Failed(failed(format!(
                    "customer {number} lookup"
                ))(error)));
            }
        };
        let result: Result<(OutcomeStatus, DkCustomer), SyncFailure> = match existing {
            None => match self.create_customer(&mapped).await {
                Ok(warnings) => {
                    outcome.warnings.extend(warnings);
                    Ok((OutcomeStatus::Created, DkCustomer::default()))
                }
                // Created by someone else meanwhile: update it like an existing one.
                Err(error) if error.status == Some(409) => match dk.customer(number).await {
                    Ok(Some(existing)) => self.update_existing(&customer, &mapped, &existing).await,
                    Ok(None) => Err(failed(format!("new customer {number}"))(
                        crate::ports::PortError::new(
                            crate::ports::System::DkPlus,
                            crate::ports::PortErrorKind::OutcomeUnknown,
                            "DK+ answered that the customer exists (409) but does not return it yet",
                        ),
                    )),
                    Err(error) => Err(failed(format!("customer {number} lookup"))(error)),
                },
                Err(error) => Err(failed(format!("new customer {number}"))(error)),
            },
            Some(existing) => self.update_existing(&customer, &mapped, &existing).await,
        };
        let status = match result {
            Ok((status, in_dkplus)) => {
                self.mark_dk_customer(&mapped.number, in_dkplus);
                self.note(
                    Record::Customer(&mapped.number),
                    &fingerprint,
                    no_vat_value(in_dkplus.no_vat),
                )
                .await;
                status
            }
            Err(failure) => OutcomeStatus::Failed(failure),
        };
        outcome.with(status)
    }
}
