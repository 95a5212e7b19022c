//! Decoding of realistic Moment payloads into the typed models.

use chrono::NaiveDate;
use moment_client::{
    AccountNumber, Customer, CustomerId, CustomerStatus, FinancialAccount,
    FinancialAccountCategory, FinancialAccountId, Invoice, InvoiceId, InvoiceLine, InvoiceNumber,
    InvoiceState, InvoiceType, Product, ProductId, Project, ProjectId, ProjectState,
};
use rust_decimal_macros::dec;

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn finalized_invoice_with_lines() {
    let inv: Invoice = decode(include_str!("fixtures/invoice_finalized.json"));
    assert_eq!(inv.id, InvoiceId(106_939_080));
    assert_eq!(inv.invoice_number, Some(InvoiceNumber::from("10045")));
    assert!(inv.is_finalized() && !inv.is_draft() && !inv.is_credit_note());
    assert_eq!(inv.invoice_type, Some(InvoiceType::Invoice));
    assert_eq!(inv.customer_id(), Some(CustomerId(62_788_973)));
    assert_eq!(inv.customer_number().map(|n| n.as_str()), Some("10001"));
    assert_eq!(inv.project_id(), Some(ProjectId(62_788_980)));
    assert_eq!(inv.project_number().map(|n| n.as_str()), Some("1"));
    assert_eq!(inv.invoice_date, Some(date(2025, 3, 31)));
    assert_eq!(inv.due_date, Some(date(2025, 4, 15)));
    assert_eq!(inv.currency_code.as_deref(), Some("ISK"));
    assert_eq!(inv.total_excluding_vat, Some(dec!(250500.00)));
    assert_eq!(inv.total_vat, Some(dec!(60120)));
    assert_eq!(inv.total_including_vat, Some(dec!(310620.00)));
    assert_eq!(inv.description.as_deref(), Some("Mars 2025"));
    assert_eq!(inv.your_reference.as_deref(), Some("Anna"));
    assert!(inv.created_date.is_some() && inv.last_modified_date.is_some());
    assert_eq!(inv.lines.len(), 2);

    let hours = &inv.lines[0];
    assert_eq!(hours.quantity, Some(dec!(12.5)));
    assert_eq!(hours.unit_price, Some(dec!(18000)));
    assert_eq!(hours.discount_percent, Some(dec!(10)));
    assert_eq!(hours.surcharge_percent, None);
    assert_eq!(hours.line_total, Some(dec!(202500)));
    assert_eq!(hours.vat_percent, Some(dec!(24)));
    assert_eq!(hours.product, None, "a line without product");
    assert_eq!(hours.account_number(), Some(&AccountNumber::from("3000")));
    assert_eq!(hours.line_type.as_deref(), Some("HOURS"));

    let licence = &inv.lines[1];
    assert_eq!(licence.quantity, Some(dec!(2)));
    assert_eq!(licence.unit_price, Some(dec!(20000.00)));
    assert_eq!(licence.surcharge_percent, Some(dec!(20)));
    assert_eq!(licence.discount_percent, None);
    assert_eq!(
        licence.product_number().map(|n| n.as_str()),
        Some("LEYFI-01")
    );
    assert_eq!(
        licence.product.as_ref().and_then(|p| p.id),
        Some(ProductId(501))
    );
}

#[test]
fn draft_invoice_has_no_number_and_no_lines() {
    let inv: Invoice = decode(include_str!("fixtures/invoice_draft.json"));
    assert!(inv.is_draft() && !inv.is_finalized());
    assert_eq!(inv.state, Some(InvoiceState::Draft));
    assert_eq!(inv.invoice_number, None);
    assert_eq!(inv.project, None);
    assert!(inv.lines.is_empty());
}

#[test]
fn credit_note_with_flattened_links() {
    let inv: Invoice = decode(include_str!("fixtures/credit_note.json"));
    assert!(inv.is_credit_note() && inv.is_finalized());
    let original = inv.credited_invoice.as_ref().unwrap();
    assert_eq!(original.id, Some(InvoiceId(106_939_080)));
    assert_eq!(original.invoice_number, Some("10045".into()));
    let customer = inv.customer.as_ref().unwrap();
    assert_eq!(customer.id, Some(CustomerId(62_788_973)));
    assert_eq!(customer.customer_number, Some("10001".into()));
    assert_eq!(customer.name.as_deref(), Some("Norðurljós ehf."));
    assert_eq!(inv.project_number().map(|n| n.as_str()), Some("1"));
    assert_eq!(inv.invoice_date, Some(date(2025, 4, 2)));
    assert_eq!(inv.total_including_vat, Some(dec!(-59520)));
    let line = &inv.lines[0];
    assert_eq!(line.description.as_deref(), Some("Leyfi (kreditfært)"));
    assert_eq!(line.quantity, Some(dec!(-2)));
    assert_eq!(line.line_total, Some(dec!(-48000)));
    assert_eq!(line.product_number().map(|n| n.as_str()), Some("LEYFI-01"));
    assert_eq!(
        line.financial_account.as_ref().and_then(|a| a.id),
        Some(FinancialAccountId(4101))
    );
    assert_eq!(line.account_number().map(|n| n.as_str()), Some("3000"));
}

#[test]
fn invoice_type_and_state_read_any_case_and_keep_unknown_values() {
    let inv: Invoice = decode(r#"{"id":1,"state":"Sent","type":"creditNote","invoiceNumber":"7"}"#);
    assert_eq!(inv.state, Some(InvoiceState::Sent));
    assert!(!inv.is_finalized() && inv.is_issued());
    let inv: Invoice = decode(r#"{"id":1,"state":"Archived","invoiceNumber":"7"}"#);
    assert_eq!(inv.state, Some(InvoiceState::Unknown("Archived".into())));
    assert!(!inv.is_issued() && !inv.is_draft());
    let inv: Invoice = decode(r#"{"id":1,"state":"Sent","type":"creditNote","invoiceNumber":"7"}"#);
    assert_eq!(inv.invoice_type, Some(InvoiceType::CreditNote));
    assert_eq!(inv.invoice_number, Some("7".into()));
}

#[test]
fn money_is_exact_for_numbers_and_strings() {
    let line: InvoiceLine = decode(
        r#"{"quantity":0.1,"unitPrice":"1234567.891","lineTotal":123456.7891,
            "surchargeAmount":150.5,"discountAmount":"10"}"#,
    );
    assert_eq!(line.quantity, Some(dec!(0.1)));
    assert_eq!(line.unit_price, Some(dec!(1234567.891)));
    assert_eq!(line.line_total, Some(dec!(123456.7891)));
    assert_eq!(line.surcharge_amount, Some(dec!(150.5)));
    assert_eq!(
        line.surcharge_percent, None,
        "an amount is never read as a percentage"
    );
    assert_eq!(line.discount_amount, Some(dec!(10)));
    assert_eq!(line.discount_percent, None);
}

#[test]
fn alternative_names_are_read_and_conflicts_refused() {
    let line: InvoiceLine = decode(r#"{"price":5,"discount":12.5,"surcharge":3}"#);
    assert_eq!(line.unit_price, Some(dec!(5)));
    assert_eq!(line.discount_percent, Some(dec!(12.5)));
    assert_eq!(line.surcharge_percent, Some(dec!(3)));

    let same: InvoiceLine = decode(r#"{"unitPrice":5,"price":"5.00"}"#);
    assert_eq!(same.unit_price, Some(dec!(5)));

    let err = serde_json::from_str::<InvoiceLine>(r#"{"unitPrice":5,"price":6}"#).unwrap_err();
    assert!(err.to_string().contains("`unitPrice`"), "{err}");
    let err = serde_json::from_str::<Invoice>(r#"{"id":1,"customer":{"id":1},"customerId":2}"#)
        .unwrap_err();
    assert!(err.to_string().contains("customerId"), "{err}");
}

#[test]
fn a_bad_amount_is_an_error_with_its_field_path() {
    let json = r#"{"id":1,"lines":[{"quantity":1},{"quantity":"two"}]}"#;
    let de = &mut serde_json::Deserializer::from_str(json);
    let err = serde_path_to_error::deserialize::<_, Invoice>(de).unwrap_err();
    assert_eq!(err.path().to_string(), "lines[1].quantity");
}

#[test]
fn invoice_without_id_is_refused() {
    assert!(serde_json::from_str::<Invoice>(r#"{"invoiceNumber":5}"#).is_err());
}

#[test]
fn customer_fields() {
    let c: Customer = decode(include_str!("fixtures/customer.json"));
    assert_eq!(c.id, CustomerId(62_788_973));
    assert_eq!(c.customer_number, Some("10001".into()));
    assert_eq!(c.name.as_deref(), Some("Norðurljós ehf."));
    assert_eq!(c.status, Some(CustomerStatus::Active));
    assert_eq!(c.organization_number.as_deref(), Some("530269-7609"));
    assert_eq!(c.email.as_deref(), Some("bokhald@nordurljos.is"));
    assert_eq!(c.phone.as_deref(), Some("+354 555 1234"));
    assert_eq!(c.address_line1.as_deref(), Some("Laugavegur 1"));
    assert_eq!(c.postal_code.as_deref(), Some("101"));
    assert_eq!(c.city.as_deref(), Some("Reykjavík"));
    assert_eq!(c.country_code.as_deref(), Some("IS"));
    assert_eq!(c.credit_days, Some(14));
    assert_eq!(
        c.last_modified_date.map(|t| t.date_naive()),
        Some(date(2025, 1, 31))
    );
}

#[test]
fn customer_statuses_and_address_alternatives() {
    for (raw, status) in [
        ("ACTIVE", CustomerStatus::Active),
        ("potential", CustomerStatus::Potential),
        ("Blocked", CustomerStatus::Blocked),
        ("INACTIVE", CustomerStatus::Inactive),
        ("ARCHIVED", CustomerStatus::Unknown("ARCHIVED".into())),
    ] {
        let c: Customer = decode(&format!(r#"{{"id":1,"status":"{raw}"}}"#));
        assert_eq!(c.status, Some(status));
    }
    let c: Customer = decode(
        r#"{"id":1,"orgNumber":5302697609,"country":{"code":"IS"},
            "address":{"street":"Aðalstræti 2","zipCode":"600","city":"Akureyri"}}"#,
    );
    assert_eq!(c.organization_number.as_deref(), Some("5302697609"));
    assert_eq!(c.country_code.as_deref(), Some("IS"));
    assert_eq!(c.address_line1.as_deref(), Some("Aðalstræti 2"));
    assert_eq!(c.postal_code.as_deref(), Some("600"));
    assert_eq!(c.city.as_deref(), Some("Akureyri"));
    let c: Customer = decode(r#"{"id":1,"address":"Hafnarstræti 9","country":"IS"}"#);
    assert_eq!(c.address_line1.as_deref(), Some("Hafnarstræti 9"));
    assert_eq!(c.country_code.as_deref(), Some("IS"));
}

#[test]
fn project_fields() {
    let p: Project = decode(include_str!("fixtures/project.json"));
    assert_eq!(p.id, ProjectId(62_788_980));
    assert_eq!(p.project_number, Some("1".into()));
    assert_eq!(p.customer_id(), Some(CustomerId(62_788_973)));
    assert_eq!(p.customer_number().map(|n| n.as_str()), Some("10001"));
    assert_eq!(p.project_state, Some(ProjectState::Active));
    assert_eq!(p.start_date, Some(date(2025, 1, 1)));
    assert!(p.last_modified_date.is_some());
}

#[test]
fn product_fields() {
    let p: Product = decode(include_str!("fixtures/product.json"));
    assert_eq!(p.id, ProductId(501));
    assert_eq!(p.product_number, Some("LEYFI-01".into()));
    assert_eq!(p.price, Some(dec!(20000)));
    assert_eq!(p.cost_price, Some(dec!(12000)));
    assert_eq!(
        p.financial_account.and_then(|a| a.account_number),
        Some("3000".into())
    );
}

#[test]
fn financial_accounts_in_the_captured_shape() {
    let accounts: Vec<FinancialAccount> = decode(include_str!("fixtures/financial_accounts.json"));
    assert_eq!(accounts.len(), 3);
    let a = &accounts[0];
    assert_eq!(a.id, FinancialAccountId(4101));
    assert_eq!(a.company_id, Some(7));
    assert_eq!(a.account_number, Some("3000".into()));
    assert_eq!(a.name.as_deref(), Some("Seld þjónusta"));
    assert_eq!(a.current_vat_percentage, Some(dec!(24)));
    assert_eq!(a.vat_category_code.as_deref(), Some("S"));
    assert_eq!(a.external_tax_code.as_deref(), Some("S1"));
    assert_eq!(a.external_revenue_class.as_deref(), Some("VINNA"));
    assert_eq!(
        a.financial_account_category,
        Some(FinancialAccountCategory::Sales)
    );
    assert_eq!(a.version, None);
    assert_eq!(a.links[0].rel.as_deref(), Some("self"));
    assert_eq!(accounts[1].external_tax_code, None);
    assert_eq!(accounts[1].comment.as_deref(), Some("Undanþegið"));
    assert_eq!(
        accounts[2].financial_account_category,
        Some(FinancialAccountCategory::Purchases)
    );
}

#[test]
fn models_round_trip_through_their_own_json() {
    let inv: Invoice = decode(include_str!("fixtures/invoice_finalized.json"));
    let again: Invoice = decode(&serde_json::to_string(&inv).unwrap());
    assert_eq!(inv, again);
    let credit: Invoice = decode(include_str!("fixtures/credit_note.json"));
    assert_eq!(
        credit,
        decode::<Invoice>(&serde_json::to_string(&credit).unwrap())
    );
    let c: Customer = decode(include_str!("fixtures/customer.json"));
    assert_eq!(c, decode::<Customer>(&serde_json::to_string(&c).unwrap()));
    let p: Project = decode(include_str!("fixtures/project.json"));
    assert_eq!(p, decode::<Project>(&serde_json::to_string(&p).unwrap()));
    let accounts: Vec<FinancialAccount> = decode(include_str!("fixtures/financial_accounts.json"));
    assert_eq!(
        accounts,
        decode::<Vec<FinancialAccount>>(&serde_json::to_string(&accounts).unwrap())
    );
}
