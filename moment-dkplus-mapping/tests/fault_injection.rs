//! Fault injection over HTTP: a backfill of 550 invoices while the fake Moment and the fake DK+
//! misbehave, with duplicate and out-of-order webhooks arriving at the same time, then one run
//! after the faults stop. Every finalized valid invoice must end up in DK+ exactly once with the
//! right reference, customer and total; every invalid one must be reported with its reason.
//!
//! Faults, injected one at a time as the fakes count requests:
//! - DK+: 503, 429 with `Retry-After: 1`, an answer slower than the client's timeout, a 500
//!   HTML page, and invoice posts that DK+ stores but whose answer is lost (a 502 from the
//!   gateway, an answer that comes after the client's timeout, or a TCP connection that a proxy
//!   in front of DK+ closes once DK+ has answered), and answers of any kind cut off in the
//!   middle by that proxy;
//! - Moment: 503, 429 with `Retry-After: 1`, a slow answer, a 502 HTML page, and an invoice
//!   listing page served twice.
//!
//! Everything talks to loopback only. A hang guard bounds the whole test.
//!
//! Run `cargo test -p moment-dkplus-mapping --test fault_injection -- --nocapture` to see the
//! summary line.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use dkplus_client::testing::{self as dk, AfterStore, FakeDkPlus};
use futures_util::StreamExt;
use moment_client::testing::{self as moment, FakeMoment};
use moment_client::{
    AccountNumber, Customer, CustomerId, CustomerNumber, CustomerRef, CustomerStatus,
    FinancialAccount, FinancialAccountCategory, FinancialAccountId, FinancialAccountRef, Invoice,
    InvoiceId, InvoiceLine, InvoiceNumber, InvoiceRef, InvoiceState, InvoiceType, Product,
    ProductId, ProductNumber, ProductRef, Project, ProjectId, ProjectNumber, ProjectRef,
};
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::sync::{ObjectKind, OutcomeStatus, SyncFailure, SyncReport};
use moment_dkplus_mapping::testing::FakeWorld;
use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A webhook body parsed as the receiver parses it, at the edge.
fn event(body: &str) -> moment_client::WebhookEvent {
    moment_client::webhook::parse(body.as_bytes()).expect("a Moment webhook")
}

/// Finalized invoices and credit notes that must reach DK+ (besides the drafts finalized later).
const VALID_INVOICES: usize = 530;
/// Drafts at the start, finalized between the two faulty runs.
const DRAFTS: usize = 5;
/// Customers with a valid kennitala.
const CUSTOMERS: usize = 60;
/// Projects (one per customer of the first few).
const PROJECTS: usize = 12;
/// Products in Moment; every other one already exists in DK+.
const PRODUCTS: usize = 20;
/// Invoices delivered as webhooks while the first backfill runs.
const WEBHOOK_INVOICES: usize = 60;

/// A DK+ fault after every this many DK+ requests.
const DK_EVERY: u64 = 11;
/// A Moment fault after every this many Moment requests.
const MOMENT_EVERY: u64 = 12;
/// The clients' timeout; slow answers take [`SLOW`].
const TIMEOUT: Duration = Duration::from_millis(1000);
const SLOW: Duration = Duration::from_millis(2000);
/// Moment's page size for the client: 555 invoices make 12 pages.
const PAGE_SIZE: u32 = 50;

/// Hang guard: the test fails instead of hanging (it takes well under a minute).
const HANG_GUARD: Duration = Duration::from_secs(600);

fn d(value: i64, scale: u32) -> Decimal {
    Decimal::new(value, scale)
}

/// A valid company kennitala, different for every `i`, written `DDMMYY-NNNN`.
fn company_kennitala(i: usize) -> String {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    let day = 41 + (i % 28) as u32;
    let month = 1 + ((i / 28) % 12) as u32;
    let year = (10 + i % 80) as u32;
    (20u32..100)
        .find_map(|serial| {
            let digits = [
                day / 10,
                day % 10,
                month / 10,
                month % 10,
                year / 10,
                year % 10,
                serial / 10,
                serial % 10,
            ];
            let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
            let check = match 11 - sum % 11 {
                11 => 0,
                10 => return None,
                c => c,
            };
            Some(format!("{day:02}{month:02}{year:02}-{serial:02}{check}9"))
        })
        .expect("some serial has a check digit")
}

/// What one seeded Moment invoice must become.
#[derive(Clone, Debug)]
struct Expected {
    id: InvoiceId,
    number: String,
    customer_number: String,
    total: Decimal,
    /// `None` for a valid invoice; the words its failure must contain otherwise.
    problem: Option<&'static str>,
}

/// The seeded company, and what DK+ must hold in the end.
struct Company {
    invoices: Vec<Expected>,
    drafts: Vec<(InvoiceId, String)>,
    customer_numbers: BTreeSet<String>,
    project_numbers: BTreeSet<String>,
    customers: Vec<(CustomerId, ProjectId)>,
}

fn account_ref(id: i64, number: &str) -> Option<FinancialAccountRef> {
    Some(FinancialAccountRef {
        id: Some(FinancialAccountId::new(id)),
        account_number: Some(AccountNumber::new(number)),
        name: None,
    })
}

fn customer_ref(id: i64, number: &str) -> Option<CustomerRef> {
    Some(CustomerRef {
        id: Some(CustomerId::new(id)),
        customer_number: Some(CustomerNumber::new(number)),
        name: None,
    })
}

/// One line; every other line names a product, the others only an account (item code from
/// the account's VAT code). Some lines carry a 10 % discount.
fn make_line(i: usize, j: usize) -> InvoiceLine {
    let quantity = d(1 + ((i + j) % 7) as i64, 0) + if j % 3 == 1 { d(5, 1) } else { d(0, 0) };
    let unit_price = d(1_000 + ((i * 37 + j * 11) % 50) as i64 * 500, 0);
    let discount = (i % 9 == 4 && j == 0).then(|| d(10, 0));
    let gross = quantity * unit_price;
    let total = match discount {
        Some(p) => gross * (Decimal::ONE_HUNDRED - p) / Decimal::ONE_HUNDRED,
        None => gross,
    };
    let mut line = InvoiceLine {
        description: Some(format!("Vinna {i}-{j}")),
        quantity: Some(quantity),
        unit_price: Some(unit_price),
        discount_percent: discount,
        line_total: Some(total),
        ..InvoiceLine::default()
    };
    if j.is_multiple_of(2) {
        let p = (i + j) % PRODUCTS;
        line.product = Some(ProductRef {
            id: Some(ProductId::new(400 + p as i64)),
            product_number: Some(ProductNumber::new(format!("VARA-{p:02}"))),
            name: None,
        });
        line.financial_account = if p.is_multiple_of(2) {
            account_ref(301, "3000")
        } else {
            account_ref(302, "3010")
        };
    } else {
        line.financial_account = if i.is_multiple_of(2) {
            account_ref(301, "3000")
        } else {
            account_ref(302, "3010")
        };
    }
    line
}

fn seed(world: &FakeWorld) -> Company {
    let m = &world.moment;
    // Everything was last changed two days ago, so only the backfills' `since` brings back what
    // a run did not finish (a later `since` would leave it behind).
    let earlier = Some(Utc::now() - chrono::Duration::days(2));
    for (id, number, vat, code) in [
        (301, "3000", d(24, 0), "S24"),
        (302, "3010", d(11, 0), "S11"),
    ] {
        m.add_financial_account(FinancialAccount {
            id: FinancialAccountId::new(id),
            account_number: Some(AccountNumber::new(number)),
            name: Some(format!("Sala {number}")),
            current_vat_percentage: Some(vat),
            vat_category_code: Some("S".into()),
            external_tax_code: Some(code.into()),
            financial_account_category: Some(FinancialAccountCategory::Sales),
            ..FinancialAccount::default()
        });
    }
    for p in 0..PRODUCTS {
        let code = format!("VARA-{p:02}");
        m.add_product(Product {
            id: ProductId::new(400 + p as i64),
            product_number: Some(ProductNumber::new(code.as_str())),
            name: Some(format!("Vara {p}")),
            financial_account: if p.is_multiple_of(2) {
                account_ref(301, "3000")
            } else {
                account_ref(302, "3010")
            },
            ..Product::default()
        });
        if p.is_multiple_of(2) {
            world.dkplus.add_product(dkplus_client::Product {
                item_code: Some(dkplus_client::ItemCode::new(code.as_str())),
                description: Some(format!("Vara {p}")),
                tax_percent: Some(d(24, 0)),
                ..dkplus_client::Product::default()
            });
        }
    }

    // Customers: valid ones, then one without a kennitala (its invoices must fail).
    let mut customer_numbers = BTreeSet::new();
    let mut customers = Vec::new();
    for c in 0..=CUSTOMERS {
        let id = 1_000 + c as i64;
        let number = format!("{}", 20_000 + c);
        let kennitala = (c < CUSTOMERS).then(|| company_kennitala(c));
        m.add_customer(Customer {
            id: CustomerId::new(id),
            customer_number: Some(CustomerNumber::new(number.as_str())),
            name: Some(format!("Fyrirtæki {c} ehf.")),
            status: Some(CustomerStatus::Active),
            organization_number: kennitala,
            email: Some(format!("reikningar@f{c}.is")),
            address_line1: Some(format!("Aðalgata {}", c + 1)),
            postal_code: Some("101".into()),
            city: Some("Reykjavík".into()),
            country_code: Some("IS".into()),
            credit_days: Some(14),
            created_date: earlier,
            last_modified_date: earlier,
            ..Customer::default()
        });
        customer_numbers.insert(number);
        customers.push((
            CustomerId::new(id),
            ProjectId::new(2_000 + (c % PROJECTS) as i64),
        ));
    }
    let mut project_numbers = BTreeSet::new();
    for p in 0..PROJECTS {
        let number = format!("V-{p:03}");
        m.add_project(Project {
            id: ProjectId::new(2_000 + p as i64),
            project_number: Some(ProjectNumber::new(number.as_str())),
            name: Some(format!("Verkefni {p}")),
            customer: customer_ref(1_000 + p as i64, &format!("{}", 20_000 + p)),
            start_date: NaiveDate::from_ymd_opt(2026, 9, 1),
            created_date: earlier,
            last_modified_date: earlier,
            ..Project::default()
        });
        project_numbers.insert(number);
    }

    let mut invoices: Vec<Expected> = Vec::new();
    let mut next_number = 5_001;
    let push = |invoice: Invoice, expected: &mut Vec<Expected>, problem| {
        let number = invoice
            .invoice_number
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default();
        let c = invoice
            .customer
            .as_ref()
            .and_then(|c| c.customer_number.clone());
        expected.push(Expected {
            id: invoice.id,
            number,
            customer_number: c.map(|c| c.to_string()).unwrap_or_default(),
            total: invoice.total_excluding_vat.unwrap_or_default(),
            problem,
        });
        m.add_invoice(invoice);
    };
    let base = |i: usize, c: usize, number: i64, lines: Vec<InvoiceLine>| {
        let total: Decimal = lines.iter().filter_map(|l| l.line_total).sum();
        let customer = 1_000 + c as i64;
        Invoice {
            id: InvoiceId::new(10_000 + i as i64),
            invoice_number: Some(InvoiceNumber::new(number.to_string())),
            state: Some(InvoiceState::Finalized),
            invoice_type: Some(InvoiceType::Invoice),
            customer: customer_ref(customer, &format!("{}", 20_000 + c)),
            project: (c < PROJECTS).then(|| ProjectRef {
                id: Some(ProjectId::new(2_000 + c as i64)),
                project_number: Some(ProjectNumber::new(format!("V-{c:03}"))),
                name: None,
            }),
            invoice_date: NaiveDate::from_ymd_opt(2026, 11, 2),
            due_date: NaiveDate::from_ymd_opt(2026, 11, 16),
            currency_code: Some("ISK".into()),
            total_excluding_vat: Some(total),
            lines,
            created_date: earlier,
            last_modified_date: earlier,
            ..Invoice::default()
        }
    };

    // Valid invoices; every 25th is a credit note for the invoice before it.
    for i in 0..VALID_INVOICES {
        let credit = i % 25 == 24;
        // A credit note keeps the customer (and project) of the invoice it credits.
        let c = if credit {
            (i - 1) % CUSTOMERS
        } else {
            i % CUSTOMERS
        };
        let lines: Vec<InvoiceLine> = (0..1 + i % 4).map(|j| make_line(i, j)).collect();
        let mut invoice = base(i, c, next_number, lines);
        if credit {
            let original: &Expected = &invoices[i - 1];
            invoice.invoice_type = Some(InvoiceType::CreditNote);
            invoice.credited_invoice = Some(InvoiceRef {
                id: Some(original.id),
                invoice_number: Some(InvoiceNumber::new(original.number.as_str())),
            });
            for line in &mut invoice.lines {
                line.quantity = line.quantity.map(|q| -q);
                line.line_total = line.line_total.map(|t| -t);
            }
            invoice.total_excluding_vat = invoice.total_excluding_vat.map(|t| -t);
        }
        push(invoice, &mut invoices, None);
        next_number += 1;
    }

    // Invalid invoices: each breaks one rule, and must be reported with it.
    type Breaks = fn(&mut Invoice);
    let invalid: [(&str, Breaks); 5] = [
        ("has no kennitala", |inv| {
            inv.customer =
                customer_ref(1_000 + CUSTOMERS as i64, &format!("{}", 20_000 + CUSTOMERS));
        }),
        ("has no quantity", |inv| inv.lines[0].quantity = None),
        ("outside the accepted range", |inv| {
            inv.lines[0].quantity = Some(d(5_000_000_000, 0));
            inv.lines[0].line_total = None;
        }),
        ("control characters", |inv| {
            inv.lines[0].description = Some("Vinna\u{0}\u{7}".into())
        }),
        ("discount percent", |inv| {
            inv.lines[0].discount_percent = Some(d(150, 0));
            inv.lines[0].line_total = None;
        }),
    ];
    for (k, (problem, breaks)) in invalid.iter().enumerate() {
        for r in 0..4 {
            let i = VALID_INVOICES + k * 4 + r;
            let mut invoice = base(i, i % CUSTOMERS, next_number, vec![make_line(i, 1)]);
            breaks(&mut invoice);
            push(invoice, &mut invoices, Some(*problem));
            next_number += 1;
        }
    }

    // Drafts, finalized later.
    let mut drafts = Vec::new();
    for k in 0..DRAFTS {
        let i = VALID_INVOICES + 100 + k;
        let mut invoice = base(i, k, 0, vec![make_line(i, 0), make_line(i, 1)]);
        invoice.invoice_number = None;
        invoice.state = Some(InvoiceState::Draft);
        let number = format!("{}", 9_001 + k);
        invoices.push(Expected {
            id: invoice.id,
            number: number.clone(),
            customer_number: format!("{}", 20_000 + k),
            total: invoice.total_excluding_vat.unwrap_or_default(),
            problem: None,
        });
        drafts.push((invoice.id, number));
        m.add_invoice(invoice);
    }

    Company {
        invoices,
        drafts,
        customer_numbers,
        project_numbers,
        customers,
    }
}

/// A loopback TCP proxy in front of the fake DK+ that breaks connections the way networks do:
/// it can close the connection of the next invoice `POST` once DK+ has answered it (DK+ stored
/// the invoice, the client never hears back), or cut the next answer of any request in the
/// middle.
struct DroppingProxy {
    address: SocketAddr,
    faults: Arc<ProxyFaults>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct ProxyFaults {
    drop_invoice_answer: AtomicBool,
    dropped: AtomicU64,
    cut_next_answer: AtomicBool,
    cut: AtomicU64,
}

impl DroppingProxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("bound");
        let faults = Arc::new(ProxyFaults::default());
        let shared = faults.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, shared.clone()));
            }
        });
        Self {
            address,
            faults,
            task,
        }
    }

    /// The base URL for a DK+ client.
    fn uri(&self) -> String {
        format!("http://{}/api/v1", self.address)
    }

    /// Closes the connection of the next invoice post after DK+ answered it.
    fn drop_next_invoice_answer(&self) {
        self.faults
            .drop_invoice_answer
            .store(true, Ordering::SeqCst);
    }

    fn drop_pending(&self) -> bool {
        self.faults.drop_invoice_answer.load(Ordering::SeqCst)
    }

    /// Cuts the next answer (of any request) in the middle and closes the connection.
    fn cut_next_answer(&self) {
        self.faults.cut_next_answer.store(true, Ordering::SeqCst);
    }

    fn cut_pending(&self) -> bool {
        self.faults.cut_next_answer.load(Ordering::SeqCst)
    }

    fn disarm(&self) {
        self.faults
            .drop_invoice_answer
            .store(false, Ordering::SeqCst);
        self.faults.cut_next_answer.store(false, Ordering::SeqCst);
    }

    /// Invoice answers dropped so far.
    fn dropped(&self) -> u64 {
        self.faults.dropped.load(Ordering::SeqCst)
    }

    /// Answers cut so far.
    fn cut(&self) -> u64 {
        self.faults.cut.load(Ordering::SeqCst)
    }
}

impl Drop for DroppingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one client connection; HTTP/1.1 clients send one request at a time on it.
async fn relay(client: TcpStream, upstream: SocketAddr, faults: Arc<ProxyFaults>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let doomed = AtomicBool::new(false);
    let requests = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buffer[..n];
            let first_line = chunk.split(|b| *b == b'\n').next().unwrap_or_default();
            if chunk.starts_with(b"POST ")
                && first_line.windows(14).any(|w| w == b"/sales/invoice")
                && faults.drop_invoice_answer.swap(false, Ordering::SeqCst)
            {
                doomed.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(chunk).await.is_err() {
                break;
            }
        }
    };
    let answers = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if doomed.load(Ordering::SeqCst) {
                // DK+ has answered (so it stored the invoice): the client gets nothing.
                faults.dropped.fetch_add(1, Ordering::SeqCst);
                break;
            }
            if faults.cut_next_answer.swap(false, Ordering::SeqCst) {
                // Half of what DK+ sent, then the connection closes.
                let _ = client_write.write_all(&buffer[..n.div_ceil(2)]).await;
                faults.cut.fetch_add(1, Ordering::SeqCst);
                break;
            }
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = requests => {}
        () = answers => {}
    }
}

/// Faults injected (and used: a fault counts once a request has met it).
#[derive(Debug, Default)]
struct Tally {
    dk_statuses: u64,
    dk_rate_limits: u64,
    dk_slow: u64,
    dk_lost_answers: u64,
    dk_dropped_connections: u64,
    dk_cut_answers: u64,
    moment_statuses: u64,
    moment_rate_limits: u64,
    moment_slow: u64,
    repeated_pages: u64,
}

impl Tally {
    fn total(&self) -> u64 {
        self.dk_statuses
            + self.dk_rate_limits
            + self.dk_slow
            + self.dk_lost_answers
            + self.dk_dropped_connections
            + self.dk_cut_answers
            + self.moment_statuses
            + self.moment_rate_limits
            + self.moment_slow
            + self.repeated_pages
    }
}

fn dk_requests(world: &FakeWorld) -> u64 {
    world.dkplus.counts().values().sum()
}

/// Injects faults into both fakes, one at a time, as they count requests, until `stop` is set.
/// Returns how many faults requests actually met.
async fn chaos(
    world: &FakeWorld,
    proxy: &DroppingProxy,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Tally {
    #[derive(Clone, Copy)]
    enum Queued {
        DkStatus,
        DkRateLimit,
        DkSlow,
        MomentStatus,
        MomentRateLimit,
        MomentSlow,
    }
    let mut tally = Tally::default();
    let mut dk_kind = 0usize;
    let mut moment_kind = 0usize;
    let mut dk_mark = dk_requests(world);
    let mut moment_mark = world.moment.request_count();
    let mut dk_pending: Option<Queued> = None;
    let mut moment_pending: Option<(Queued, u64)> = None;
    let mut lost_answer_armed = false;
    let count = |tally: &mut Tally, q: Queued| match q {
        Queued::DkStatus => tally.dk_statuses += 1,
        Queued::DkRateLimit => tally.dk_rate_limits += 1,
        Queued::DkSlow => tally.dk_slow += 1,
        Queued::MomentStatus => tally.moment_statuses += 1,
        Queued::MomentRateLimit => tally.moment_rate_limits += 1,
        Queued::MomentSlow => tally.moment_slow += 1,
    };
    let mut repeat_armed_for: Option<u64> = None;
    loop {
        // A queued fault is used by the next request; count it then.
        if let Some(q) = dk_pending
            && world.dkplus.pending_faults() == 0
        {
            count(&mut tally, q);
            dk_pending = None;
        }
        if lost_answer_armed && !world.dkplus.lost_answer_pending() {
            tally.dk_lost_answers += 1;
            lost_answer_armed = false;
        }
        if let Some((q, at)) = moment_pending
            && world.moment.request_count() > at
        {
            count(&mut tally, q);
            moment_pending = None;
        }
        if *stop.borrow() {
            proxy.disarm();
            tally.dk_dropped_connections = proxy.dropped();
            tally.dk_cut_answers = proxy.cut();
            break;
        }

        let dk_now = dk_requests(world);
        if dk_now >= dk_mark + DK_EVERY && dk_pending.is_none() {
            dk_mark = dk_now;
            dk_kind += 1;
            match dk_kind % 7 {
                0 => {
                    world.dkplus.fail_next(1, 503);
                    dk_pending = Some(Queued::DkStatus);
                }
                1 => {
                    world
                        .dkplus
                        .fail_next_with(1, dk::Failure::status(429).retry_after_secs(1));
                    dk_pending = Some(Queued::DkRateLimit);
                }
                2 => {
                    world.dkplus.delay_next(1, SLOW);
                    dk_pending = Some(Queued::DkSlow);
                }
                3 => {
                    world
                        .dkplus
                        .fail_next_with(1, dk::Failure::status(500).html());
                    dk_pending = Some(Queued::DkStatus);
                }
                4 if !proxy.drop_pending() => proxy.drop_next_invoice_answer(),
                6 if !proxy.cut_pending() => proxy.cut_next_answer(),
                5 if !lost_answer_armed => {
                    let after = if dk_kind.is_multiple_of(2) {
                        AfterStore::Status(502)
                    } else {
                        AfterStore::Delay(SLOW)
                    };
                    world.dkplus.store_then_fail_next_invoice(after);
                    lost_answer_armed = true;
                }
                _ => {}
            }
        }

        let moment_now = world.moment.request_count();
        if moment_now >= moment_mark + MOMENT_EVERY && moment_pending.is_none() {
            moment_mark = moment_now;
            moment_kind += 1;
            let q = match moment_kind % 4 {
                0 => {
                    world.moment.fail_next(1, 503);
                    Queued::MomentStatus
                }
                1 => {
                    world
                        .moment
                        .fail_next_with(1, moment::Failure::status(429).retry_after_secs(1));
                    Queued::MomentRateLimit
                }
                2 => {
                    world.moment.delay_next(1, SLOW);
                    Queued::MomentSlow
                }
                _ => {
                    world
                        .moment
                        .fail_next_with(1, moment::Failure::status(502).html());
                    Queued::MomentStatus
                }
            };
            moment_pending = Some((q, moment_now));
        }

        // Serve an invoice listing page twice, once per listing, early in the listing.
        if let Some(page) = last_invoice_page(world)
            && page.1 <= 6
            && repeat_armed_for != Some(page.0)
        {
            world.moment.repeat_page_next(1);
            repeat_armed_for = Some(page.0);
        }

        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tally
}

/// The (request index, page number) of the latest invoice listing request, if the latest
/// listing request of any kind is one.
fn last_invoice_page(world: &FakeWorld) -> Option<(u64, u64)> {
    let requests = world.moment.requests();
    let (index, last) = requests
        .iter()
        .enumerate()
        .rev()
        .find(|(_, r)| r.query_param("page").is_some())?;
    if !last.path.ends_with("/invoices") {
        return None;
    }
    // The first page of a listing marks it: one repeat per listing.
    let page: u64 = last.query_param("page")?.parse().ok()?;
    let start = requests[..=index]
        .iter()
        .rposition(|r| r.path.ends_with("/invoices") && r.query_param("page") == Some("0"))?;
    Some((start as u64, page))
}

/// Delivers webhooks the way a flaky sender does: every invoice twice at once, an update before
/// its creation, the customer and project after the invoice, newest first, four at a time.
async fn deliver_webhooks(
    world: &FakeWorld,
    ids: &[InvoiceId],
    company: &Company,
) -> Vec<SyncReport> {
    futures_util::stream::iter(ids.iter().rev())
        .map(|id| deliver_for_invoice(world, *id, company))
        .buffer_unordered(4)
        .concat()
        .await
}

async fn deliver_for_invoice(
    world: &FakeWorld,
    id: InvoiceId,
    company: &Company,
) -> Vec<SyncReport> {
    let mut reports = Vec::new();
    let invoice = world.moment.invoice(id).expect("seeded");
    let update = world
        .moment
        .webhook_body_for_invoice(id, "UPDATE")
        .expect("seeded");
    let create = event(
        &world
            .moment
            .webhook_body_for_invoice(id, "CREATE_NEW")
            .expect("seeded"),
    );
    reports.push(world.engine.handle_webhook(&event(&update)).await);
    let (a, b) = tokio::join!(
        world.engine.handle_webhook(&create),
        world.engine.handle_webhook(&create)
    );
    reports.push(a);
    reports.push(b);
    if let Some(customer) = invoice.customer_id() {
        let body = world
            .moment
            .webhook_body_for_customer(customer, "UPDATE")
            .expect("seeded");
        reports.push(world.engine.handle_webhook(&event(&body)).await);
        if let Some((_, project)) = company.customers.iter().find(|(c, _)| *c == customer)
            && let Some(body) = world
                .moment
                .webhook_body_for_project(*project, "CREATE_NEW")
        {
            reports.push(world.engine.handle_webhook(&event(&body)).await);
        }
    }
    reports
}

/// Finalizes the drafts and delivers their webhooks (twice each).
async fn finalize_drafts(world: &FakeWorld, company: &Company) -> Vec<SyncReport> {
    let mut reports = Vec::new();
    for (id, number) in &company.drafts {
        // Before: a webhook for the draft is skipped.
        let body = world
            .moment
            .webhook_body_for_invoice(*id, "CREATE_NEW")
            .expect("seeded");
        reports.push(world.engine.handle_webhook(&event(&body)).await);
        assert!(world.moment.finalize_invoice(*id, number.as_str()));
        let update = event(
            &world
                .moment
                .webhook_body_for_invoice(*id, "UPDATE")
                .expect("seeded"),
        );
        let (a, b) = tokio::join!(
            world.engine.handle_webhook(&update),
            world.engine.handle_webhook(&update)
        );
        reports.push(a);
        reports.push(b);
    }
    reports
}

/// How long an invoice whose post had no clear answer is left alone here (15 minutes in
/// production): the last run starts after it.
const SETTLE_TIME: Duration = Duration::from_secs(4);

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@example.is")
        .concurrency(8)
        .claim_lease(Duration::from_secs(2))
        .settle_time(SETTLE_TIME)
        .build()
        .expect("valid configuration")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_under_faults_posts_every_invoice_exactly_once() {
    tokio::time::timeout(HANG_GUARD, scenario())
        .await
        .expect("the fault-injection scenario finished (hang guard)");
}

async fn scenario() {
    let dkplus = FakeDkPlus::start().await;
    let upstream = dkplus
        .uri()
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .parse()
        .expect("the fake listens on a socket address");
    let proxy = DroppingProxy::start(upstream).await;
    let world = FakeWorld::assemble(
        FakeMoment::start().await,
        dkplus,
        config(),
        |m| m.timeout(TIMEOUT).per_page(PAGE_SIZE),
        |d| d.base_url(proxy.uri()).timeout(TIMEOUT),
    )
    .expect("fakes wired");
    let company = seed(&world);
    let since = Utc::now() - chrono::Duration::days(30);
    let webhook_ids: Vec<InvoiceId> = company
        .invoices
        .iter()
        .filter(|e| e.problem.is_none())
        .take(VALID_INVOICES)
        .step_by(VALID_INVOICES / WEBHOOK_INVOICES)
        .map(|e| e.id)
        .collect();

    // Phase 1: a backfill and webhooks at once, under faults.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let faulty = async {
        let (first, hooks) = tokio::join!(
            world.engine.backfill(since),
            deliver_webhooks(&world, &webhook_ids, &company)
        );
        // Phase 2: the drafts are finalized while the next backfill runs, still under faults.
        let next = first.next_backfill_since(since);
        let (second, drafts) = tokio::join!(
            world.engine.backfill(next),
            finalize_drafts(&world, &company)
        );
        stop_tx.send(true).expect("chaos listens");
        (first, hooks, second, drafts)
    };
    let ((first, hooks, second, drafts), tally) =
        tokio::join!(faulty, chaos(&world, &proxy, &stop_rx));
    world.dkplus.clear_faults();
    world.moment.clear_faults();
    let repeated: u64 = [&first, &second]
        .iter()
        .flat_map(|r| &r.listing_failures)
        .filter(|f| f.error.message.contains("same items for page"))
        .count() as u64;
    let tally = Tally {
        repeated_pages: repeated,
        ..tally
    };

    // Phase 3: the faults have stopped; once unclear posts have settled, one more run.
    tokio::time::sleep(SETTLE_TIME + Duration::from_millis(500)).await;
    let since_final = second.next_backfill_since(first.next_backfill_since(since));
    let last = world.engine.backfill(since_final).await;

    let mut all: Vec<&SyncReport> = vec![&first, &second];
    all.extend(hooks.iter());
    all.extend(drafts.iter());
    all.push(&last);
    check(&world, &company, &tally, &all, &last);
}

fn check(
    world: &FakeWorld,
    company: &Company,
    tally: &Tally,
    all: &[&SyncReport],
    last: &SyncReport,
) {
    let stored = world.dkplus.invoices();
    let mut by_reference: BTreeMap<String, Vec<&dkplus_client::SalesInvoice>> = BTreeMap::new();
    for invoice in &stored {
        by_reference
            .entry(invoice.reference.clone().unwrap_or_default())
            .or_default()
            .push(invoice);
    }
    let valid: Vec<&Expected> = company
        .invoices
        .iter()
        .filter(|e| e.problem.is_none())
        .collect();
    let invalid: Vec<&Expected> = company
        .invoices
        .iter()
        .filter(|e| e.problem.is_some())
        .collect();
    let duplicates: usize = by_reference
        .values()
        .map(|v| v.len().saturating_sub(1))
        .sum();
    let lost: Vec<&str> = valid
        .iter()
        .filter(|e| !by_reference.contains_key(&e.number))
        .map(|e| e.number.as_str())
        .collect();
    let requests = dk_requests(world) + world.moment.request_count();
    println!(
        "fault injection: {requests} requests, {} faults injected ({tally:?}), {} invoices, \
         duplicates = {duplicates}, lost = {}",
        tally.total(),
        valid.len(),
        lost.len()
    );

    assert_eq!(duplicates, 0, "invoices posted twice: {by_reference:#?}");
    assert!(
        lost.is_empty(),
        "invoices missing in DK+: {lost:?}\n{:#?}",
        last.outcomes
    );
    assert_eq!(stored.len(), valid.len(), "nothing else reached DK+");
    for e in &valid {
        let found = by_reference[&e.number][0];
        assert_eq!(
            found
                .customer_number
                .as_ref()
                .map(|n| n.to_string())
                .as_deref(),
            Some(e.customer_number.as_str()),
            "customer of {}",
            e.number
        );
        assert_eq!(found.total_amount, Some(e.total), "total of {}", e.number);
    }

    // The invalid ones: reported with their reason, in the run after the faults and in its
    // e-mail; never in DK+.
    for e in &invalid {
        assert!(
            !by_reference.contains_key(&e.number),
            "{} must not be posted",
            e.number
        );
        let outcome = last
            .outcomes
            .iter()
            .find(|o| o.moment_id == e.id.into())
            .unwrap_or_else(|| panic!("no outcome for invalid invoice {}", e.number));
        let failure = outcome.failure().unwrap_or_else(|| panic!("{outcome}"));
        assert!(matches!(failure, SyncFailure::Mapping(_)), "{failure}");
        assert!(!failure.retry_later(), "{failure}");
        let problem = e.problem.unwrap_or_default();
        assert!(
            failure.to_string().contains(problem),
            "{} → {failure}",
            e.number
        );
    }
    assert_eq!(
        last.counts.failed,
        invalid.len(),
        "{:#?}",
        last.failures().collect::<Vec<_>>()
    );
    assert!(
        last.listing_failures.is_empty(),
        "{:?}",
        last.listing_failures
    );
    let email = world
        .notifier
        .reports()
        .pop()
        .expect("the last run's failure report");
    for e in &invalid {
        assert!(
            email.body.contains(&format!("Invoice {}", e.number)),
            "{}",
            email.body
        );
    }

    // Customers and projects: each exactly once, all of them.
    let customers: Vec<String> = world
        .dkplus
        .customers()
        .iter()
        .filter_map(|c| c.number.as_ref().map(|n| n.to_string()))
        .collect();
    assert_eq!(
        customers.iter().cloned().collect::<BTreeSet<_>>(),
        company.customer_numbers
    );
    assert_eq!(customers.len(), company.customer_numbers.len());
    let projects: Vec<String> = world
        .dkplus
        .projects()
        .iter()
        .filter_map(|p| p.number.as_ref().map(|n| n.to_string()))
        .collect();
    assert_eq!(
        projects.iter().cloned().collect::<BTreeSet<_>>(),
        company.project_numbers
    );
    assert_eq!(projects.len(), company.project_numbers.len());

    // The engine never claimed to have created an invoice twice.
    let mut created: BTreeMap<i64, usize> = BTreeMap::new();
    for report in all {
        for o in report
            .outcomes
            .iter()
            .filter(|o| o.kind == ObjectKind::Invoice)
        {
            if o.status == OutcomeStatus::Created {
                *created.entry(o.moment_id.get()).or_default() += 1;
            }
        }
    }
    assert!(created.values().all(|n| *n == 1), "{created:?}");

    // The faults really happened.
    assert!(
        tally.dk_statuses > 0 && tally.dk_rate_limits > 0 && tally.dk_slow > 0,
        "{tally:?}"
    );
    assert!(tally.dk_lost_answers > 0, "{tally:?}");
    assert!(tally.dk_dropped_connections > 0, "{tally:?}");
    assert!(tally.dk_cut_answers > 0, "{tally:?}");
    assert!(
        tally.moment_statuses > 0 && tally.moment_rate_limits > 0 && tally.moment_slow > 0,
        "{tally:?}"
    );
    assert!(
        tally.repeated_pages > 0,
        "{tally:?} stopped: {:?}; listing failures: {:?}",
        all.iter().map(|r| &r.stopped).collect::<Vec<_>>(),
        all.iter().map(|r| &r.listing_failures).collect::<Vec<_>>()
    );
    // Under faults too, nothing left DK+'s published API.
    assert_eq!(world.dkplus.contract_violations(), vec![]);
}
