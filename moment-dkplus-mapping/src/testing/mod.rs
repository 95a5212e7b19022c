//! Fakes for tests and demos (feature `testing`): a fake Moment and a fake DK+ wired to a
//! [`SyncEngine`], and a seeded Icelandic demo company.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
//! use moment_dkplus_mapping::IntegrationConfig;
//!
//! let world = FakeWorld::start(IntegrationConfig::builder().sales_person("vef").build()?).await?;
//! let demo = DemoCompany::seed(&world);
//! let report = world.engine.backfill(chrono::Utc::now() - chrono::Duration::days(30)).await;
//! assert_eq!(world.dkplus.invoices().len(), demo.valid_invoices.len());
//! # Ok(()) }
//! ```

mod intercept;

use std::sync::Arc;

use chrono::NaiveDate;
use dkplus_client::testing::FakeDkPlus;
use dkplus_client::{DkPlusClient, DkPlusClientBuilder, SalesPerson, SalesPersonNumber};
use moment_client::testing::FakeMoment;
use moment_client::{
    AccountNumber, Customer, CustomerId, CustomerNumber, CustomerRef, CustomerStatus,
    FinancialAccount, FinancialAccountCategory, FinancialAccountId, FinancialAccountRef, Invoice,
    InvoiceId, InvoiceLine, InvoiceNumber, InvoiceRef, InvoiceState, InvoiceType, MomentClient,
    MomentClientBuilder, Product, ProductId, ProductNumber, ProductRef, Project, ProjectId,
    ProjectNumber, ProjectRef,
};
use rust_decimal::Decimal;

use crate::config::IntegrationConfig;
use crate::sync::{CollectingNotifier, SyncEngine};

pub use intercept::Intercept;

/// The engine type the fakes run: the real clients against loopback fakes.
pub type FakeEngine = SyncEngine<MomentClient, DkPlusClient>;

/// A fake Moment and a fake DK+ on loopback, real clients pointed at them, and an engine.
pub struct FakeWorld {
    /// The fake Moment.
    pub moment: FakeMoment,
    /// The fake DK+ (seeded with the configured sales person).
    pub dkplus: FakeDkPlus,
    /// The engine, with [`FakeWorld::notifier`] as its notifier.
    pub engine: FakeEngine,
    /// Receives the failure reports.
    pub notifier: Arc<CollectingNotifier>,
}

/// Could not start the fakes.
#[derive(Debug, thiserror::Error)]
pub enum FakeWorldError {
    /// The Moment client could not be built.
    #[error(transparent)]
    Moment(#[from] Box<moment_client::Error>),
    /// The DK+ client could not be built.
    #[error(transparent)]
    DkPlus(#[from] Box<dkplus_client::Error>),
}

impl FakeWorld {
    /// Starts both fakes with default clients.
    pub async fn start(config: IntegrationConfig) -> Result<Self, FakeWorldError> {
        Self::start_with(config, |m| m, |d| d).await
    }

    /// Starts both fakes; the closures adjust the client builders (timeouts, retry policies).
    pub async fn start_with(
        config: IntegrationConfig,
        moment_client: impl FnOnce(MomentClientBuilder) -> MomentClientBuilder,
        dkplus_client: impl FnOnce(DkPlusClientBuilder) -> DkPlusClientBuilder,
    ) -> Result<Self, FakeWorldError> {
        let moment = FakeMoment::start().await;
        let dkplus = FakeDkPlus::start().await;
        Self::assemble(moment, dkplus, config, moment_client, dkplus_client)
    }

    /// Wires already started fakes (e.g. built with options) to an engine.
    pub fn assemble(
        moment: FakeMoment,
        dkplus: FakeDkPlus,
        config: IntegrationConfig,
        moment_client: impl FnOnce(MomentClientBuilder) -> MomentClientBuilder,
        dkplus_client: impl FnOnce(DkPlusClientBuilder) -> DkPlusClientBuilder,
    ) -> Result<Self, FakeWorldError> {
        if let Some(number) = config.sales_person() {
            dkplus.add_sales_person(SalesPerson {
                number: Some(SalesPersonNumber::new(number.as_str())),
                name_on_sales_orders: Some("Vefsala".into()),
                ..SalesPerson::default()
            });
        }
        let moment_client = moment_client(moment.client_builder())
            .build()
            .map_err(Box::new)?;
        let dkplus_client = dkplus_client(dkplus.client_builder())
            .build()
            .map_err(Box::new)?;
        let notifier = Arc::new(CollectingNotifier::new());
        let engine =
            SyncEngine::new(moment_client, dkplus_client, config).with_notifier(notifier.clone());
        Ok(Self {
            moment,
            dkplus,
            engine,
            notifier,
        })
    }
}

impl FakeWorld {
    /// The same world with its engine keeping its state in `store` under `scope` (the engine
    /// starts with a [`MemoryStore`](crate::store::MemoryStore)).
    #[must_use]
    pub fn with_store(
        self,
        store: Arc<dyn crate::store::Store>,
        scope: crate::store::Scope,
    ) -> Self {
        Self {
            engine: self.engine.with_store(store, scope),
            ..self
        }
    }
}

/// Ids of what [`DemoCompany::seed`] put into the fake Moment.
#[derive(Clone, Debug)]
pub struct DemoCompany {
    /// Customers with a valid kennitala.
    pub customers_with_kennitala: Vec<CustomerId>,
    /// The customer without a kennitala.
    pub customer_without_kennitala: CustomerId,
    /// The projects.
    pub projects: Vec<ProjectId>,
    /// Finalized invoices and credit notes that must reach DK+.
    pub valid_invoices: Vec<InvoiceId>,
    /// The invoice that must fail (its customer has no kennitala).
    pub failing_invoice: InvoiceId,
    /// A draft invoice (skipped by backfills and webhooks).
    pub draft_invoice: InvoiceId,
}

fn d(value: i64, scale: u32) -> Decimal {
    Decimal::new(value, scale)
}

fn date(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
}

fn account_ref(id: i64, number: &str) -> Option<FinancialAccountRef> {
    Some(FinancialAccountRef {
        id: Some(FinancialAccountId::new(id)),
        account_number: Some(AccountNumber::new(number)),
        name: None,
    })
}

fn product_ref(id: i64, number: &str) -> Option<ProductRef> {
    Some(ProductRef {
        id: Some(ProductId::new(id)),
        product_number: Some(ProductNumber::new(number)),
        name: None,
    })
}

/// Builds one invoice line; the line total is what Moment computes (surcharge, then discount).
fn demo_line(description: &str, quantity: Decimal, unit_price: Decimal) -> InvoiceLine {
    InvoiceLine {
        description: Some(description.into()),
        quantity: Some(quantity),
        unit_price: Some(unit_price),
        line_total: Some(quantity * unit_price),
        financial_account: account_ref(301, "3000"),
        ..InvoiceLine::default()
    }
}

fn customer_ref(id: i64, number: &str) -> Option<CustomerRef> {
    Some(CustomerRef {
        id: Some(CustomerId::new(id)),
        customer_number: Some(CustomerNumber::new(number)),
        name: None,
    })
}

fn project_ref(id: i64, number: &str) -> Option<ProjectRef> {
    Some(ProjectRef {
        id: Some(ProjectId::new(id)),
        project_number: Some(ProjectNumber::new(number)),
        name: None,
    })
}

fn finalized(id: i64, number: &str, customer: (i64, &str), lines: Vec<InvoiceLine>) -> Invoice {
    let total: Decimal = lines.iter().filter_map(|l| l.line_total).sum();
    Invoice {
        id: InvoiceId::new(id),
        invoice_number: Some(InvoiceNumber::new(number)),
        state: Some(InvoiceState::Finalized),
        invoice_type: Some(InvoiceType::Invoice),
        customer: customer_ref(customer.0, customer.1),
        invoice_date: date(2026, 11, 2),
        due_date: date(2026, 11, 16),
        currency_code: Some("ISK".into()),
        total_excluding_vat: Some(total),
        lines,
        ..Invoice::default()
    }
}

impl DemoCompany {
    /// Seeds an Icelandic consultancy into the fake Moment: three sales accounts (one without
    /// an accounting VAT code), two products, customers with valid kennitölur and one without,
    /// two projects, finalized invoices (incl. a surcharge line and a line without product that
    /// falls back to the account's VAT code), a credit note, one invoice that must fail, and a
    /// draft. DK+ starts with one of the products.
    pub fn seed(world: &FakeWorld) -> Self {
        let m = &world.moment;
        for (id, number, name, vat, code) in [
            (301, "3000", "Sala þjónustu", d(24, 0), Some("S24")),
            (302, "3010", "Sala hugbúnaðar", d(11, 0), Some("S11")),
            (303, "3900", "Önnur sala", d(24, 0), None),
        ] {
            m.add_financial_account(FinancialAccount {
                id: FinancialAccountId::new(id),
                account_number: Some(AccountNumber::new(number)),
                name: Some(name.into()),
                current_vat_percentage: Some(vat),
                vat_category_code: Some("S".into()),
                external_tax_code: code.map(Into::into),
                financial_account_category: Some(FinancialAccountCategory::Sales),
                ..FinancialAccount::default()
            });
        }
        m.add_product(Product {
            id: ProductId::new(401),
            product_number: Some(ProductNumber::new("RADGJOF")),
            name: Some("Ráðgjöf".into()),
            price: Some(d(18_500, 0)),
            financial_account: account_ref(301, "3000"),
            ..Product::default()
        });
        m.add_product(Product {
            id: ProductId::new(402),
            product_number: Some(ProductNumber::new("LEYFI-ARS")),
            name: Some("Ársleyfi fyrir verkbókhaldshugbúnað, allt að 25 notendur".into()),
            price: Some(d(240_000, 0)),
            financial_account: account_ref(302, "3010"),
            ..Product::default()
        });
        world.dkplus.add_product(dkplus_client::Product {
            item_code: Some(dkplus_client::ItemCode::new("RADGJOF")),
            description: Some("Ráðgjöf".into()),
            tax_percent: Some(d(24, 0)),
            ..dkplus_client::Product::default()
        });

        let customers = [
            (
                101,
                "10001",
                "Norðurljós ehf.",
                Some("471008-0280"),
                "Laugavegur 1",
                "101",
                "Reykjavík",
            ),
            (
                102,
                "10002",
                "Jón Jónsson",
                Some("120373-5609"),
                "Strandgata 5",
                "600",
                "Akureyri",
            ),
            (
                103,
                "10003",
                "Fjallasýn hf.",
                None,
                "Austurvegur 12",
                "800",
                "Selfoss",
            ),
        ];
        for (id, number, name, kt, street, zip, city) in customers {
            m.add_customer(Customer {
                id: CustomerId::new(id),
                customer_number: Some(CustomerNumber::new(number)),
                name: Some(name.into()),
                status: Some(CustomerStatus::Active),
                organization_number: kt.map(Into::into),
                email: Some(format!("reikningar@{number}.is")),
                phone: Some("5551234".into()),
                address_line1: Some(street.into()),
                postal_code: Some(zip.into()),
                city: Some(city.into()),
                country_code: Some("IS".into()),
                credit_days: Some(14),
                ..Customer::default()
            });
        }
        for (id, number, name, customer) in [
            (201, "P-100", "Innleiðing verkbókhalds", (101, "10001")),
            (202, "P-200", "Ný vefsíða", (102, "10002")),
        ] {
            m.add_project(Project {
                id: ProjectId::new(id),
                project_number: Some(ProjectNumber::new(number)),
                name: Some(name.into()),
                customer: customer_ref(customer.0, customer.1),
                start_date: date(2026, 9, 1),
                ..Project::default()
            });
        }

        // 1001: product line, a line with a 12.5 % surcharge, and a line without product
        // (item code from account 3000's VAT code, S24).
        let mut surcharge = demo_line("Ráðgjöf utan dagvinnutíma", d(4, 0), d(18_500, 0));
        surcharge.product = product_ref(401, "RADGJOF");
        surcharge.surcharge_percent = Some(d(125, 1));
        surcharge.line_total = Some(d(83_250, 0)); // 4 × 18 500 × 1.125
        let mut consulting = demo_line("Ráðgjöf, október", d(12, 0), d(18_500, 0));
        consulting.product = product_ref(401, "RADGJOF");
        let mut invoice_1001 = finalized(
            501,
            "1001",
            (101, "10001"),
            vec![
                consulting,
                surcharge,
                demo_line("Ferðakostnaður", d(1, 0), d(12_400, 0)),
            ],
        );
        invoice_1001.project = project_ref(201, "P-100");

        // 1002: a licence with a 10 % discount, on project P-200.
        let mut licence = demo_line("Ársleyfi 2027", d(1, 0), d(240_000, 0));
        licence.product = product_ref(402, "LEYFI-ARS");
        licence.financial_account = account_ref(302, "3010");
        licence.discount_percent = Some(d(10, 0));
        licence.line_total = Some(d(216_000, 0));
        let mut invoice_1002 = finalized(502, "1002", (102, "10002"), vec![licence]);
        invoice_1002.project = project_ref(202, "P-200");

        // 1003: credit note for two hours of 1001.
        let mut credit_line = demo_line("Leiðrétting: ofreiknaðir tímar", d(-2, 0), d(18_500, 0));
        credit_line.product = product_ref(401, "RADGJOF");
        let mut credit_1003 = finalized(503, "1003", (101, "10001"), vec![credit_line]);
        credit_1003.invoice_type = Some(InvoiceType::CreditNote);
        credit_1003.credited_invoice = Some(InvoiceRef {
            id: Some(InvoiceId::new(501)),
            invoice_number: Some(InvoiceNumber::new("1001")),
        });
        credit_1003.project = project_ref(201, "P-100");

        // 1004: customer without kennitala: must fail before anything is written.
        let invoice_1004 = finalized(
            504,
            "1004",
            (103, "10003"),
            vec![demo_line("Ráðgjöf", d(3, 0), d(18_500, 0))],
        );

        // A draft: no number yet.
        let mut draft = finalized(
            505,
            "0",
            (102, "10002"),
            vec![demo_line("Drög", d(1, 0), d(1_000, 0))],
        );
        draft.invoice_number = None;
        draft.state = Some(InvoiceState::Draft);

        for invoice in [invoice_1001, invoice_1002, credit_1003, invoice_1004, draft] {
            m.add_invoice(invoice);
        }

        Self {
            customers_with_kennitala: vec![CustomerId::new(101), CustomerId::new(102)],
            customer_without_kennitala: CustomerId::new(103),
            projects: vec![ProjectId::new(201), ProjectId::new(202)],
            valid_invoices: vec![
                InvoiceId::new(501),
                InvoiceId::new(502),
                InvoiceId::new(503),
            ],
            failing_invoice: InvoiceId::new(504),
            draft_invoice: InvoiceId::new(505),
        }
    }
}
