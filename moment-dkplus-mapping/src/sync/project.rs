//! Project transfer: created once; DK+ cannot update projects, so differences are warnings.

use moment_client::{Project, ProjectId};

use tracing::Instrument;

use super::failure::SyncFailure;
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::{map_project, project_drift};

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    pub(crate) async fn transfer_project_by_id(&self, id: ProjectId) -> ObjectOutcome {
        let base = ObjectOutcome::new(id, None);
        if !self.ctx.config.transfer_projects() {
            return base.with(OutcomeStatus::Skipped(
                "project transfer is turned off".into(),
            ));
        }
        let failed = match self.moment_project(id).await {
            Ok(Some(project)) => return self.transfer_project(project).await,
            Ok(None) => base.with(OutcomeStatus::Failed(SyncFailure::NotInMoment {
                kind: ObjectKind::Project,
                id: id.get(),
            })),
            Err(failure) => base.with(OutcomeStatus::Failed(failure)),
        };
        self.remember(&failed, None).await;
        failed
    }

    pub(crate) async fn transfer_project(&self, project: Project) -> ObjectOutcome {
        let span = tracing::info_span!("project", moment_id = project.id.get());
        let outcome = self
            .transfer_project_in_span(project)
            .instrument(span)
            .await;
        self.remember(&outcome, None).await;
        outcome
    }

    async fn transfer_project_in_span(&self, project: Project) -> ObjectOutcome {
        let mut outcome = ObjectOutcome::new(
            project.id,
            project.project_number.as_ref().map(|n| n.to_string()),
        );
        // The customer number: from the project, else from its customer in Moment.
        let customer_number = match (project.customer_number(), project.customer_id()) {
            (Some(number), _) => Some(number.clone()),
            (None, Some(id)) => match self.moment_customer(id).await {
                Ok(customer) => customer.and_then(|c| c.customer_number),
                Err(failure) => return outcome.with(OutcomeStatus::Failed(failure)),
            },
            (None, None) => None,
        };
        let wanted = match map_project(&project, customer_number.as_ref(), &self.ctx.config) {
            Ok(p) => p,
            Err(e) => return outcome.with(OutcomeStatus::Failed(SyncFailure::Mapping(e))),
        };
        outcome.dkplus_number = Some(wanted.number.to_string());
        let _creating = self
            .ctx
            .create_locks
            .lock(&format!("project:{}", wanted.number))
            .await;
        let status = match self.ctx.dkplus.project(&wanted.number).await {
            Err(error) => OutcomeStatus::Failed(SyncFailure::DkPlus {
                what: format!("project {} lookup", wanted.number),
                error,
            }),
            Ok(Some(existing)) => {
                outcome.warnings = project_drift(&wanted, &existing);
                OutcomeStatus::AlreadyPresent
            }
            Ok(None) => match self.create_dk_project(&project).await {
                Ok(()) => OutcomeStatus::Created,
                Err(failure) => OutcomeStatus::Failed(failure),
            },
        };
        outcome.with(status)
    }
}
