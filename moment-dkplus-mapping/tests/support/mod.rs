//! Builders of Moment objects for the rule tests.
#![allow(dead_code, unreachable_pub)]

use moment_client::{
    AccountNumber, Customer, CustomerId, CustomerNumber, CustomerRef, CustomerStatus,
    FinancialAccount, FinancialAccountId, FinancialAccountRef, Invoice, InvoiceId, InvoiceLine,
    InvoiceNumber, InvoiceRef, InvoiceState, InvoiceType, Product, ProductId, ProductNumber,
    ProductRef, ProjectId, ProjectNumber, ProjectRef,
};
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::rules::ReferenceData;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub const VALID_COMPANY_KT: &str = "4710080280";
pub const VALID_PERSON_KT: &str = "1203735609";

pub fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .expect("valid config")
}

pub fn customer() -> Customer {
    Customer {
        id: CustomerId::new(11),
        customer_number: Some(CustomerNumber::new("10001")),
        name: Some("Norðurljós ehf.".into()),
        status: Some(CustomerStatus::Active),
        organization_number: Some("471008-0280".into()),
        phone: Some("5551234".into()),
        address_line1: Some("Laugavegur 1".into()),
        postal_code: Some("101".into()),
        city: Some("Reykjavík".into()),
        country_code: Some("is".into()),
        ..Customer::default()
    }
}

pub fn account(id: i64, number: &str, vat_code: Option<&str>) -> FinancialAccount {
    FinancialAccount {
        id: FinancialAccountId::new(id),
        account_number: Some(AccountNumber::new(number)),
        name: Some(format!("Sala {number}")),
        current_vat_percentage: Some(dec!(24)),
        external_tax_code: vat_code.map(Into::into),
        ..FinancialAccount::default()
    }
}

pub fn product(id: i64, number: &str, name: &str) -> Product {
    Product {
        id: ProductId::new(id),
        product_number: Some(ProductNumber::new(number)),
        name: Some(name.into()),
        ..Product::default()
    }
}

pub fn reference_data() -> ReferenceData {
    ReferenceData::new()
        .with_accounts([account(1, "3000", Some("S24")), account(2, "3100", None)])
        .with_products([product(5, "RADGJOF", "Ráðgjöf")])
}

/// A line on account 1 (VAT code S24), no product.
pub fn line(description: &str, quantity: Decimal, unit_price: Decimal) -> InvoiceLine {
    InvoiceLine {
        description: Some(description.into()),
        quantity: Some(quantity),
        unit_price: Some(unit_price),
        line_total: Some(quantity * unit_price),
        financial_account: Some(FinancialAccountRef {
            id: Some(FinancialAccountId::new(1)),
            account_number: Some(AccountNumber::new("3000")),
            name: None,
        }),
        ..InvoiceLine::default()
    }
}

pub fn with_product(mut line: InvoiceLine, id: i64, number: Option<&str>) -> InvoiceLine {
    line.product = Some(ProductRef {
        id: Some(ProductId::new(id)),
        product_number: number.map(ProductNumber::new),
        name: None,
    });
    line
}

pub fn on_account(mut line: InvoiceLine, id: i64) -> InvoiceLine {
    line.financial_account = Some(FinancialAccountRef {
        id: Some(FinancialAccountId::new(id)),
        account_number: None,
        name: None,
    });
    line
}

pub fn invoice(lines: Vec<InvoiceLine>) -> Invoice {
    let total = lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, l| sum.checked_add(l.line_total?));
    Invoice {
        id: InvoiceId::new(900),
        invoice_number: Some(InvoiceNumber::new("1042")),
        state: Some(InvoiceState::Finalized),
        invoice_type: Some(InvoiceType::Invoice),
        customer: Some(CustomerRef {
            id: Some(CustomerId::new(11)),
            customer_number: Some(CustomerNumber::new("10001")),
            name: None,
        }),
        project: Some(ProjectRef {
            id: Some(ProjectId::new(21)),
            project_number: Some(ProjectNumber::new("P-100")),
            name: None,
        }),
        invoice_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 2),
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 16),
        currency_code: Some("ISK".into()),
        total_excluding_vat: total,
        lines,
        ..Invoice::default()
    }
}

pub fn credit_note(lines: Vec<InvoiceLine>, original: Option<&str>) -> Invoice {
    let mut inv = invoice(lines);
    inv.invoice_number = Some(InvoiceNumber::new("1043"));
    inv.invoice_type = Some(InvoiceType::CreditNote);
    inv.credited_invoice = original.map(|n| InvoiceRef {
        id: None,
        invoice_number: Some(InvoiceNumber::new(n)),
    });
    inv
}
