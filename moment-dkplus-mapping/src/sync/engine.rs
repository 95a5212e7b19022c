//! [`SyncEngine`]: the public operations. Each is one *run* (see [`Run`]); backfills are in
//! `backfill.rs`, the object pipelines in `customer.rs`, `project.rs` and `invoice.rs`.

use std::sync::Arc;

use moment_client::webhook::{WebhookEvent, WebhookEventKind, WebhookObject};

use super::context::Context;
use super::notify::Notifier;
use super::outcome::{ObjectOutcome, OutcomeStatus};
use super::report::{ReportBuilder, Retention, SyncReport};
use super::run::Run;
use crate::config::IntegrationConfig;
use crate::moment_id::MomentId;
use crate::ports::{DkPlusTarget, MomentSource, PortError, PortErrorKind};
use crate::store::{Scope, Store};

/// Runs the integration: Moment → DK+ through the two ports, with the rules of
/// [`rules`](crate::rules) and the configuration it was built with.
///
/// Each public operation is one *run*: within a run, Moment's financial accounts, products,
/// customers and projects, DK+'s product and customer existence and the sales-person check are
/// looked up once. Invoices with the same reference never post concurrently within one engine
/// (share one engine between your webhook handler and your backfill).
///
/// ```no_run
/// use moment_dkplus_mapping::{IntegrationConfig, SyncEngine};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let moment = moment_client::MomentClient::builder()
///     .company_code("acme")
///     .api_key(std::env::var("MOMENT_API_KEY")?)
///     .build()?;
/// let dkplus = dkplus_client::DkPlusClient::new(std::env::var("DKPLUS_TOKEN")?)?;
/// let config = IntegrationConfig::builder().sales_person("vef").error_email("bokhald@acme.is").build()?;
/// let engine = SyncEngine::new(moment, dkplus, config);
/// engine.verify().await?;
/// let since = chrono::Utc::now() - chrono::Duration::days(7);
/// let report = engine.backfill(since).await;
/// println!("{}", report.counts);
/// # Ok(()) }
/// ```
pub struct SyncEngine<M, D> {
    pub(crate) ctx: Context<M, D>,
}

impl<M, D> std::fmt::Debug for SyncEngine<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("config", &self.ctx.config)
            .field("notifier", &self.ctx.notifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Why [`SyncEngine::verify`] failed: every problem found.
///
/// Serializes with its problems and `message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(remote = "Self")]
#[error("the integration is not ready:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
#[non_exhaustive]
pub struct VerifyError {
    /// Every problem found.
    pub problems: Vec<VerifyProblem>,
}

/// One problem found by [`SyncEngine::verify`].
///
/// Serializes as `{"kind": "…", "details": …, "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "details",
    rename_all = "snake_case"
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum VerifyProblem {
    /// DK+ could not be reached or refused the token.
    #[error("{}", describe_access("DK+", .0, "create a new API token in DK+ under Menu / Settings, tokens"))]
    DkPlusAccess(PortError),
    /// DK+ answered that it cannot reach the company's data.
    #[error(
        "DK+ answered that it has no connection to the company's data; check the company in dkPlus"
    )]
    DkPlusNotConnected,
    /// The sales person does not exist.
    #[error(
        "the sales person {0:?} does not exist in DK+: create it under Sales persons or correct the configuration"
    )]
    SalesPersonUnknown(String),
    /// Moment could not be reached or refused the API key.
    #[error("{}", describe_access("Moment", .0, "check the company code and create a key under Company / API keys in Moment"))]
    MomentAccess(PortError),
}

fn describe_access(system: &str, port_error: &PortError, credential_fix: &str) -> String {
    let error = port_error.message.trim_end().trim_end_matches('.');
    match port_error.kind {
        PortErrorKind::Unauthorized => {
            format!("{system} refused the credentials: {error}; {credential_fix}")
        }
        PortErrorKind::Unavailable => {
            format!("{system} could not be reached: {error}; try again later")
        }
        _ => format!(
            "{system} answered unexpectedly: {error}; check the base URL{}",
            if system == "Moment" {
                " and the company code"
            } else {
                ""
            }
        ),
    }
}

impl<M: MomentSource, D: DkPlusTarget> SyncEngine<M, D> {
    /// An engine over the two systems with a validated configuration.
    pub fn new(moment: M, dkplus: D, config: IntegrationConfig) -> Self {
        Self {
            ctx: Context::new(moment, dkplus, config),
        }
    }

    /// Hands the report of every operation that had failures — or warnings, unless
    /// `notify_warnings` is off — to `notifier`.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.ctx.notifier = Some(notifier);
        self
    }

    /// Keeps the sync state in `store` under `scope` (default: in memory, for this engine only).
    /// With a shared store (`SqliteStore`, `PostgresStore`) several processes run against the
    /// same books without posting an invoice twice. The store must be prepared
    /// ([`Store::migrate`], or opened with [`store::open`](crate::store::open)).
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn Store>, scope: Scope) -> Self {
        self.ctx.store = store;
        self.ctx.scope = scope;
        self
    }

    /// Registers in Moment what DK+ shows as paid since the last look, each payment once (see
    /// [`sync::payments`](crate::sync::payments)). Opt-in: Moment publishes no payment schema
    /// and the names this relies on are assumed (`docs/moment-api.md`). Reads DK+ in pages.
    pub async fn sync_payments(&self) -> crate::sync::payments::PaymentReport {
        self.ctx.sync_payments().await
    }

    /// Compares Moment's issued invoices and credit notes dated in `period` with DK+'s sales
    /// invoices of the same dates, by reference, and says what DK+ shows as paid (see
    /// [`reconcile`](crate::reconcile)). Reads both systems (DK+ in pages) and writes nothing.
    ///
    /// # Errors
    /// [`ReconcileError`](crate::reconcile::ReconcileError) when either system cannot be read to
    /// the end: no partial answer is given.
    pub async fn reconcile(
        &self,
        period: crate::reconcile::Period,
    ) -> Result<crate::reconcile::ReconciliationReport, crate::reconcile::ReconcileError> {
        let ctx = &self.ctx;
        crate::reconcile::reconcile(
            &ctx.moment,
            &ctx.dkplus,
            ctx.store.as_ref(),
            &ctx.scope,
            period,
        )
        .await
    }

    /// The sync state store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.ctx.store
    }

    /// Whose books the store keys this engine's state by.
    pub fn scope(&self) -> &Scope {
        &self.ctx.scope
    }

    /// The configuration.
    pub fn config(&self) -> &IntegrationConfig {
        &self.ctx.config
    }

    /// The Moment side.
    pub fn moment(&self) -> &M {
        &self.ctx.moment
    }

    /// The DK+ side.
    pub fn dkplus(&self) -> &D {
        &self.ctx.dkplus
    }

    /// Checks the configuration against the two systems: the DK+ token works, the sales person
    /// exists (when invoices are on) and Moment accepts the API key. Lists every problem.
    pub async fn verify(&self) -> Result<(), VerifyError> {
        let mut problems = Vec::new();
        match self.ctx.dkplus.verify().await {
            Ok(true) => {
                if let Some(number) = self
                    .ctx
                    .config
                    .sales_person()
                    .filter(|_| self.ctx.config.transfer_invoices())
                {
                    match self.ctx.dkplus.sales_person(number).await {
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            problems.push(VerifyProblem::SalesPersonUnknown(number.to_string()))
                        }
                        Err(e) => problems.push(VerifyProblem::DkPlusAccess(e)),
                    }
                }
            }
            Ok(false) => problems.push(VerifyProblem::DkPlusNotConnected),
            Err(e) => problems.push(VerifyProblem::DkPlusAccess(e)),
        }
        if let Err(e) = self.ctx.moment.verify().await {
            problems.push(VerifyProblem::MomentAccess(e));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(VerifyError { problems })
        }
    }

    /// Transfers one customer by Moment id: created in DK+, or updated when it differs.
    pub async fn transfer_customer(&self, id: moment_client::CustomerId) -> SyncReport {
        let run = Run::new(&self.ctx);
        let outcome = run.transfer_customer_by_id(id).await;
        self.ctx.single(&run, outcome).await
    }

    /// Transfers one project by Moment id: created in DK+ when missing (DK+ cannot update
    /// projects; differences are warnings).
    pub async fn transfer_project(&self, id: moment_client::ProjectId) -> SyncReport {
        let run = Run::new(&self.ctx);
        let outcome = run.transfer_project_by_id(id).await;
        self.ctx.single(&run, outcome).await
    }

    /// Transfers one invoice or credit note by Moment id and returns the DK+ invoice number in
    /// the outcome. A draft is refused with an error; an invoice already in DK+ (same reference,
    /// customer and total) is reported as already present and not posted again.
    pub async fn transfer_invoice(&self, id: moment_client::InvoiceId) -> SyncReport {
        let run = Run::new(&self.ctx);
        let outcome = run
            .transfer_invoice_by_id(id, DraftPolicy::Refuse, None)
            .await;
        self.ctx.single(&run, outcome).await
    }

    /// Tries an object of an earlier report again, by its typed Moment id: a customer, project
    /// or invoice is transferred as by [`transfer_customer`](Self::transfer_customer),
    /// [`transfer_project`](Self::transfer_project) or
    /// [`transfer_invoice`](Self::transfer_invoice) — safe for an invoice that may have been
    /// posted meanwhile, which is found by reference and not posted again. A DK+ product is
    /// made when an invoice that uses it is sent, so for a product the report says to retry
    /// that invoice.
    pub async fn retry(&self, outcome: &ObjectOutcome) -> SyncReport {
        match outcome.moment_id {
            MomentId::Customer(id) => self.transfer_customer(id).await,
            MomentId::Project(id) => self.transfer_project(id).await,
            MomentId::Invoice(id) => self.transfer_invoice(id).await,
            id @ (MomentId::Product(_) | MomentId::FinancialAccount(_)) => {
                let report =
                    ReportBuilder::new(Retention::All, None).dry_run(self.ctx.dkplus.is_dry_run());
                report.record(
                    ObjectOutcome::new(id, outcome.moment_number.clone()).with(
                        OutcomeStatus::Skipped(
                            "a DK+ product is created when an invoice that uses it is sent; \
                             retry that invoice"
                                .into(),
                        ),
                    ),
                );
                report.finish()
            }
        }
    }

    /// Handles a Moment webhook end to end: fetches the object it names and transfers it.
    /// Deletions and unknown object types are skipped (DK+ keeps its records); a draft invoice is
    /// skipped until it is finalized.
    ///
    /// The body is parsed once, where it arrives, with the receiver's own size limit
    /// ([`moment_client::webhook::parse_with_limit`]); the engine takes the typed event.
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     engine: &moment_dkplus_mapping::SyncEngine<
    /// #         moment_client::MomentClient, dkplus_client::DkPlusClient>,
    /// #     body: &[u8],
    /// # ) -> Result<(), moment_client::WebhookError> {
    /// let event = moment_client::webhook::parse_with_limit(body, 256 * 1024)?;
    /// let report = engine.handle_webhook(&event).await;
    /// println!("{}", report.counts);
    /// # Ok(()) }
    /// ```
    pub async fn handle_webhook(&self, event: &WebhookEvent) -> SyncReport {
        let run = Run::new(&self.ctx);
        let deleted = event.kind == WebhookEventKind::Delete;
        let outcome = match &event.object {
            WebhookObject::Invoice {
                id, invoice_number, ..
            } if deleted => ObjectOutcome::new(*id, invoice_number.as_ref().map(|n| n.to_string()))
                .with(OutcomeStatus::Skipped(
                    "deleted in Moment; DK+ invoices are never deleted by the integration".into(),
                )),
            WebhookObject::Customer {
                id,
                customer_number,
                ..
            } if deleted => {
                ObjectOutcome::new(*id, customer_number.as_ref().map(|n| n.to_string())).with(
                    OutcomeStatus::Skipped("deleted in Moment; the DK+ customer is kept".into()),
                )
            }
            WebhookObject::Project {
                id, project_number, ..
            } if deleted => ObjectOutcome::new(*id, project_number.as_ref().map(|n| n.to_string()))
                .with(OutcomeStatus::Skipped(
                    "deleted in Moment; the DK+ project is kept".into(),
                )),
            WebhookObject::Invoice { id, .. } => {
                run.transfer_invoice_by_id(*id, DraftPolicy::Skip, None)
                    .await
            }
            WebhookObject::Customer { id, .. } => run.transfer_customer_by_id(*id).await,
            WebhookObject::Project { id, .. } => run.transfer_project_by_id(*id).await,
            other => {
                tracing::warn!(
                    object_type = other.object_type(),
                    "webhook for an object type that is not transferred; ignored"
                );
                return ReportBuilder::new(Retention::All, None).finish();
            }
        };
        self.ctx.single(&run, outcome).await
    }
}

/// What to do with a draft invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DraftPolicy {
    /// Asked for explicitly: a draft is an error ("finalize it in Moment").
    Refuse,
    /// Webhooks and backfills: a draft is skipped until it is finalized.
    Skip,
}

serialize_with_message!(VerifyError);
serialize_with_message!(VerifyProblem);
