//! A generated company of any size, the same every time: two sales accounts, products, customers
//! with valid kennitölur, one project per customer, and finalized invoices whose lines each name
//! a product (one line with a surcharge, one with a discount). Everything maps cleanly, so a
//! backfill of it must transfer every invoice.

use chrono::NaiveDate;
use moment_client::testing::FakeMoment;
use moment_client::{
    AccountNumber, Customer, CustomerId, CustomerNumber, CustomerRef, CustomerStatus,
    FinancialAccount, FinancialAccountCategory, FinancialAccountId, FinancialAccountRef, Invoice,
    InvoiceId, InvoiceLine, InvoiceNumber, InvoiceState, InvoiceType, Product, ProductId,
    ProductNumber, ProductRef, Project, ProjectId, ProjectNumber, ProjectRef,
};
use moment_dkplus_mapping::rules::ReferenceData;
use rust_decimal::Decimal;

/// Invoices in the default workload.
pub const DEFAULT_INVOICES: usize = 1_000;
/// Distinct products in the default workload.
pub const DEFAULT_PRODUCTS: usize = 20;
/// Customers in the default workload (each with one project).
pub const DEFAULT_CUSTOMERS: usize = 100;
/// Lines per invoice in the default workload.
pub const DEFAULT_LINES: usize = 10;

/// The first Moment invoice number; DK+'s fake numbers its invoices from the same value, so
/// a sequential run gets DK+ numbers equal to Moment's.
pub const FIRST_INVOICE_NUMBER: u64 = 100_001;

/// The size of a generated company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Finalized invoices.
    pub invoices: usize,
    /// Distinct products the invoice lines use.
    pub products: usize,
    /// Customers; invoices go to them in turn, each on the customer's project.
    pub customers: usize,
    /// Lines per invoice.
    pub lines_per_invoice: usize,
}

impl Default for Workload {
    fn default() -> Self {
        Self {
            invoices: DEFAULT_INVOICES,
            products: DEFAULT_PRODUCTS,
            customers: DEFAULT_CUSTOMERS,
            lines_per_invoice: DEFAULT_LINES,
        }
    }
}

/// The two sales accounts: id, number, name, VAT percent, accounting VAT code.
const ACCOUNTS: [(i64, &str, &str, i64, &str); 2] = [
    (301, "3000", "Sala þjónustu", 24, "S24"),
    (302, "3010", "Sala hugbúnaðar", 11, "S11"),
];

fn account_ref(index: usize) -> FinancialAccountRef {
    let (id, number, ..) = ACCOUNTS[index % ACCOUNTS.len()];
    FinancialAccountRef {
        id: Some(FinancialAccountId::new(id)),
        account_number: Some(AccountNumber::new(number)),
        name: None,
    }
}

/// A valid company kennitala, different for every `index` below 200,000 (the same `index`
/// always gives the same kennitala).
pub fn company_kennitala(index: usize) -> String {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    // Sixteen candidates per index, the first with a check digit is taken: a check digit of 10
    // does not exist, which happens for about one candidate in eleven and never for sixteen
    // consecutive ones (their day digits differ).
    let first = index.saturating_mul(16);
    (first..)
        .find_map(|candidate| {
            let day = 41 + candidate % 28; // a company's day is 41–71; 1–28 exist in every month
            let month = 1 + (candidate / 28) % 12;
            let year = (candidate / 336) % 100;
            let serial = (candidate / 33_600) % 100;
            let body = format!("{day:02}{month:02}{year:02}{serial:02}");
            let sum: u32 = body
                .bytes()
                .zip(WEIGHTS)
                .map(|(digit, weight)| u32::from(digit - b'0') * weight)
                .sum();
            let check = match 11 - sum % 11 {
                11 => 0,
                10 => return None,
                other => other,
            };
            Some(format!("{body}{check}9"))
        })
        .unwrap_or_default()
}

fn date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn customer_number(index: usize) -> String {
    (10_001 + index).to_string()
}

fn project_number(index: usize) -> String {
    format!("P-{}", 10_001 + index)
}

fn moment_id(index: usize) -> i64 {
    i64::try_from(index).map_or(i64::MAX, |i| i.saturating_add(1))
}

/// The Moment customer number `index` (0-based), Active, with a valid kennitala. Depends only on
/// `index`, so long listings can be generated on the fly.
pub fn customer(index: usize) -> Customer {
    let number = customer_number(index);
    Customer {
        id: CustomerId::new(moment_id(index)),
        customer_number: Some(CustomerNumber::new(number.as_str())),
        name: Some(format!("Viðskiptavinur {number} ehf.")),
        status: Some(CustomerStatus::Active),
        organization_number: Some(company_kennitala(index)),
        email: Some(format!("reikningar@v{number}.is")),
        phone: Some("5551234".into()),
        address_line1: Some(format!("Laugavegur {}", 1 + index % 200)),
        postal_code: Some("101".into()),
        city: Some("Reykjavík".into()),
        country_code: Some("IS".into()),
        credit_days: Some(14),
        ..Customer::default()
    }
}

/// The financial accounts the products and lines point to.
pub fn financial_accounts() -> Vec<FinancialAccount> {
    ACCOUNTS
        .iter()
        .map(|&(id, number, name, vat, code)| FinancialAccount {
            id: FinancialAccountId::new(id),
            account_number: Some(AccountNumber::new(number)),
            name: Some(name.into()),
            current_vat_percentage: Some(Decimal::from(vat)),
            vat_category_code: Some("S".into()),
            external_tax_code: Some(code.into()),
            financial_account_category: Some(FinancialAccountCategory::Sales),
            ..FinancialAccount::default()
        })
        .collect()
}

impl Workload {
    /// Product `index` (0-based): its own number and price, on one of the two sales accounts.
    /// Prices are multiples of 16 krónur, so every generated line total is exact in aurar.
    pub fn product(&self, index: usize) -> Product {
        Product {
            id: ProductId::new(moment_id(index)),
            product_number: Some(ProductNumber::new(format!("VARA-{:03}", index + 1))),
            name: Some(format!("Þjónustuliður {}", index + 1)),
            price: Some(Decimal::from(4_800 + 800 * (index % 1_000))),
            financial_account: Some(account_ref(index)),
            ..Product::default()
        }
    }

    /// The customer of invoice `index`.
    pub fn invoice_customer(&self, index: usize) -> Customer {
        customer(index % self.customers.max(1))
    }

    /// Project `index` (0-based), belonging to customer `index`.
    pub fn project(&self, index: usize) -> Project {
        Project {
            id: ProjectId::new(moment_id(index)),
            project_number: Some(ProjectNumber::new(project_number(index))),
            name: Some(format!("Verkefni {}", index + 1)),
            customer: Some(CustomerRef {
                id: Some(CustomerId::new(moment_id(index))),
                customer_number: Some(CustomerNumber::new(customer_number(index))),
                name: None,
            }),
            start_date: date(2026, 1, 5),
            ..Project::default()
        }
    }

    /// The project of invoice `index`.
    pub fn invoice_project(&self, index: usize) -> Project {
        self.project(index % self.customers.max(1))
    }

    /// The Moment invoice number of invoice `index`.
    pub fn invoice_number(&self, index: usize) -> String {
        (FIRST_INVOICE_NUMBER + index as u64).to_string()
    }

    /// Finalized invoice `index` (0-based) with its lines. Line `k` uses product
    /// `(index + k) mod products` (distinct within an invoice while there are at least as many
    /// products as lines); line 1 has a 12.5 % surcharge and line 2 a 10 % discount. Line totals
    /// are Moment's: quantity × price × (1 + surcharge) × (1 − discount), in whole aurar.
    pub fn invoice(&self, index: usize) -> Invoice {
        let customer_index = index % self.customers.max(1);
        let lines: Vec<InvoiceLine> = (0..self.lines_per_invoice)
            .map(|k| self.line(index, k))
            .collect();
        let total: Decimal = lines.iter().filter_map(|l| l.line_total).sum();
        Invoice {
            id: InvoiceId::new(moment_id(index)),
            invoice_number: Some(InvoiceNumber::new(self.invoice_number(index))),
            state: Some(InvoiceState::Finalized),
            invoice_type: Some(InvoiceType::Invoice),
            customer: Some(CustomerRef {
                id: Some(CustomerId::new(moment_id(customer_index))),
                customer_number: Some(CustomerNumber::new(customer_number(customer_index))),
                name: None,
            }),
            project: Some(ProjectRef {
                id: Some(ProjectId::new(moment_id(customer_index))),
                project_number: Some(ProjectNumber::new(project_number(customer_index))),
                name: None,
            }),
            invoice_date: date(2026, 11, 2),
            due_date: date(2026, 11, 16),
            currency_code: Some("ISK".into()),
            total_excluding_vat: Some(total),
            lines,
            ..Invoice::default()
        }
    }

    fn line(&self, invoice: usize, k: usize) -> InvoiceLine {
        let product_index = (invoice + k) % self.products.max(1);
        let product = self.product(product_index);
        let half_hours = i64::try_from((invoice + 3 * k) % 16 + 1).unwrap_or(1);
        let quantity = Decimal::new(half_hours * 5, 1); // 0.5 to 8.0 hours
        let unit_price = product.price.unwrap_or_default();
        let (surcharge, discount) = match k {
            1 => (Some(Decimal::new(125, 1)), None),
            2 => (None, Some(Decimal::TEN)),
            _ => (None, None),
        };
        let hundred = Decimal::ONE_HUNDRED;
        let mut total = quantity * unit_price;
        if let Some(s) = surcharge {
            total *= (hundred + s) / hundred;
        }
        if let Some(d) = discount {
            total *= (hundred - d) / hundred;
        }
        InvoiceLine {
            description: Some(format!(
                "{}, verk {}",
                product.name.as_deref().unwrap_or("Vara"),
                invoice + 1
            )),
            quantity: Some(quantity),
            unit_price: Some(unit_price),
            surcharge_percent: surcharge,
            discount_percent: discount,
            line_total: Some(total.round_dp(2)),
            product: Some(ProductRef {
                id: Some(product.id),
                product_number: product.product_number.clone(),
                name: None,
            }),
            financial_account: Some(account_ref(product_index)),
            ..InvoiceLine::default()
        }
    }

    /// The accounts and products the invoices point to, for [`map_invoice`] without I/O.
    ///
    /// [`map_invoice`]: moment_dkplus_mapping::rules::map_invoice
    pub fn reference_data(&self) -> ReferenceData {
        ReferenceData::new()
            .with_accounts(financial_accounts())
            .with_products((0..self.products).map(|p| self.product(p)))
    }

    /// Puts the whole company into a fake Moment.
    pub fn seed(&self, moment: &FakeMoment) {
        for account in financial_accounts() {
            moment.add_financial_account(account);
        }
        for p in 0..self.products {
            moment.add_product(self.product(p));
        }
        for c in 0..self.customers {
            moment.add_customer(customer(c));
            moment.add_project(self.project(c));
        }
        for i in 0..self.invoices {
            moment.add_invoice(self.invoice(i));
        }
    }
}

/// A page of `count` DK+ sales invoices with `lines` lines each, as `GET /sales/invoice/page/…`
/// answers: PascalCase fields, amounts as JSON numbers with many decimals, DK's `0001-01-01`
/// "no date", empty strings for empty fields.
pub fn dkplus_invoice_page(count: usize, lines: usize) -> String {
    let invoices: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let lines: Vec<serde_json::Value> = (0..lines)
                .map(|k| {
                    serde_json::json!({
                        "SequenceNumber": (k + 1) * 10_000,
                        "ItemCode": format!("VARA-{:03}", (i + k) % 20 + 1),
                        "Text": format!("Þjónustuliður {}, verk {}", (i + k) % 20 + 1, i + 1),
                        "Quantity": 2.5,
                        "UnitCode": "klst",
                        "UnitPrice": 18_500.0,
                        "UnitPriceWithTax": 22_940.0,
                        "Discount": 0,
                        "DiscountAmount": 0,
                        "TotalAmount": 46_250.0,
                        "TotalAmountWithTax": 57_350.0,
                        "Variations": []
                    })
                })
                .collect();
            serde_json::json!({
                "Number": (FIRST_INVOICE_NUMBER + i as u64).to_string(),
                "RecordID": 9_000 + i,
                "Created": "2026-11-02T16:13:51.247Z",
                "Modified": "2026-11-02T16:13:52Z",
                "CreatedBy": "API",
                "CNumber": customer_number(i % 100),
                "CName": format!("Viðskiptavinur {} ehf.", customer_number(i % 100)),
                "CAddress1": "Laugavegur 1",
                "CZipCode": "101",
                "CSSNumber": company_kennitala(i % 100),
                "OrderNumber": 0,
                "InvoiceDate": "2026-11-02T00:00:00",
                "DueDate": "2026-11-16T00:00:00",
                "DiscountPercent": 0,
                "Discount": 0,
                "TotalAmount": 744.103585657371,
                "TotalAmountWithTax": 922.688446215139,
                "Currency": "ISK",
                "Exchange": 1,
                "Reference": (FIRST_INVOICE_NUMBER + i as u64).to_string(),
                "Voucher": "",
                "SettledType": 0,
                "SettledAmount": 0,
                "SalePerson": "vef",
                "Text1": "Ráðgjöf í nóvember",
                "Text2": "",
                "Origin": 3,
                "PaymentTerm": "d14",
                "ClaimDate": "0001-01-01T00:00:00",
                "SalesType": 0,
                "Version": 1,
                "Project": project_number(i % 100),
                "IRNumber": "",
                "Lines": lines
            })
        })
        .collect();
    serde_json::Value::Array(invoices).to_string()
}
