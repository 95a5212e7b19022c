//! Customer transfer: upsert by number (Moment is master of the number).

use moment_client::{Customer, CustomerId};

use tracing::Instrument;

use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus, SyncFailure};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::{customer_changes, map_customer};

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    pub(crate) async fn transfer_customer_by_id(&self, id: CustomerId) -> ObjectOutcome {
        let base = ObjectOutcome::new(ObjectKind::Customer, id.get(), None);
        if !self.engine.config.transfer_customers() {
            return base.with(OutcomeStatus::Skipped(
                "customer transfer is turned off".into(),
            ));
        }
        match self.moment_customer(id).await {
            Ok(Some(customer)) => self.transfer_customer(customer).await,
            Ok(None) => base.with(OutcomeStatus::Failed(SyncFailure::NotInMoment {
                kind: ObjectKind::Customer,
                id: id.get(),
            })),
            Err(failure) => base.with(OutcomeStatus::Failed(failure)),
        }
    }

    pub(crate) async fn transfer_customer(&self, customer: Customer) -> ObjectOutcome {
        let span = tracing::info_span!("customer", moment_id = customer.id.get());
        self.transfer_customer_in_span(customer)
            .instrument(span)
            .await
    }

    async fn transfer_customer_in_span(&self, customer: Customer) -> ObjectOutcome {
        let mut outcome = ObjectOutcome::new(
            ObjectKind::Customer,
            customer.id.get(),
            customer.customer_number.as_ref().map(|n| n.to_string()),
        );
        let mapped = match map_customer(&customer, &self.engine.config) {
            Ok(mapped) => mapped,
            Err(e) => return outcome.with(OutcomeStatus::Failed(SyncFailure::Mapping(e))),
        };
        outcome.warnings = mapped.warnings.clone();
        outcome.dkplus_number = Some(mapped.number.to_string());
        let dk = &self.engine.dkplus;
        let number = &mapped.number;
        let _creating = self
            .engine
            .create_locks
            .lock(&format!("customer:{number}"))
            .await;
        let failed =
            |what: String| move |error| OutcomeStatus::Failed(SyncFailure::DkPlus { what, error });
        let mut existing = dk.customer(number).await;
        let mut status = None;
        if let Ok(None) = existing {
            match dk.create_customer(&mapped.create_body()).await {
                Ok(()) => status = Some(OutcomeStatus::Created),
                // Created by someone else meanwhile: update it like an existing one.
                Err(error) if error.status == Some(409) => existing = dk.customer(number).await,
                Err(error) => status = Some(failed(format!("new customer {number}"))(error)),
            }
        }
        let status = match (status, existing) {
            (Some(status), _) => status,
            (None, Err(error)) => failed(format!("customer {number} lookup"))(error),
            (None, Ok(None)) => {
                failed(format!("new customer {number}"))(crate::ports::PortError::new(
                    crate::ports::System::DkPlus,
                    crate::ports::PortErrorKind::OutcomeUnknown,
                    "DK+ answered that the customer exists (409) but does not return it yet",
                ))
            }
            (None, Ok(Some(existing))) => match customer_changes(&mapped.write, &existing) {
                None => OutcomeStatus::Unchanged,
                Some(changes) => match dk.update_customer(number, &changes).await {
                    Ok(()) => OutcomeStatus::Updated,
                    Err(error) => failed(format!("update of customer {number}"))(error),
                },
            },
        };
        if matches!(
            status,
            OutcomeStatus::Created | OutcomeStatus::Updated | OutcomeStatus::Unchanged
        ) {
            self.mark_dk_customer(&mapped.number);
        }
        outcome.with(status)
    }
}
