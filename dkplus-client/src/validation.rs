//! Checks run on write models before any request is sent. DK+ cuts over-long values silently and
//! answers vague errors for missing ones, so we refuse them up front with the field's name.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::models::{
    CustomerWrite, ProductCreate, ProductUpdate, ProjectCreate, SalesInvoiceCreate,
};
use crate::wire::decimal::{MAX_SIGNIFICANT_DIGITS, fits_double};

/// Longest item code DK+ stores.
pub const MAX_ITEM_CODE_CHARS: usize = 20;
/// Longest product description DK+ stores.
pub const MAX_PRODUCT_DESCRIPTION_CHARS: usize = 40;
/// Longest invoice `Text1`/`Text2` DK+ stores.
pub const MAX_INVOICE_TEXT_CHARS: usize = 2000;

fn required(field: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(()),
        _ => Err(Error::invalid(field, "is required and must not be empty")),
    }
}

fn non_empty(field: &str, value: &str) -> Result<()> {
    required(field, Some(value))
}

fn max_chars(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    if let Some(v) = value {
        let count = v.chars().count();
        if count > max {
            return Err(Error::invalid(
                field,
                format!(
                    "is {count} characters long; DK+ keeps at most {max} and would cut the rest silently"
                ),
            ));
        }
    }
    Ok(())
}

fn representable(field: &str, value: Option<Decimal>) -> Result<()> {
    match value {
        Some(v) if !fits_double(v) => Err(Error::invalid(
            field,
            format!(
                "{v} has more than {MAX_SIGNIFICANT_DIGITS} significant digits; DK+ stores amounts as doubles and would round it — round it first"
            ),
        )),
        _ => Ok(()),
    }
}

fn percent(field: &str, value: Option<Decimal>) -> Result<()> {
    representable(field, value)?;
    match value {
        Some(v) if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED => Err(Error::invalid(
            field,
            format!("is a percentage and must be between 0 and 100, not {v}"),
        )),
        _ => Ok(()),
    }
}

/// Checks an item code used as a key or written to DK+.
pub(crate) fn item_code(field: &str, code: &str) -> Result<()> {
    non_empty(field, code)?;
    max_chars(field, Some(code), MAX_ITEM_CODE_CHARS)
}

/// Checks a key that goes into a URL path.
pub(crate) fn key(field: &str, value: &str) -> Result<()> {
    non_empty(field, value)
}

pub(crate) fn customer_create(customer: &CustomerWrite) -> Result<()> {
    required("number", customer.number.as_ref().map(|n| n.as_str()))?;
    required("name", customer.name.as_deref())?;
    customer_common(customer)
}

pub(crate) fn customer_update(customer: &CustomerWrite) -> Result<()> {
    if customer
        .name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err(Error::invalid("name", "must not be set to an empty string"));
    }
    customer_common(customer)
}

fn customer_common(customer: &CustomerWrite) -> Result<()> {
    percent("discount", customer.discount)
}

pub(crate) fn project_create(project: &ProjectCreate) -> Result<()> {
    non_empty("number", project.number.as_str())
}

pub(crate) fn product_create(product: &ProductCreate) -> Result<()> {
    item_code("item_code", product.item_code.as_str())?;
    product_fields(
        product.description.as_deref(),
        product.tax_percent,
        [
            ("unit_price1", product.unit_price1),
            ("unit_price1_with_tax", product.unit_price1_with_tax),
            ("purchase_price", product.purchase_price),
        ],
    )
}

pub(crate) fn product_update(product: &ProductUpdate) -> Result<()> {
    product_fields(
        product.description.as_deref(),
        product.tax_percent,
        [
            ("unit_price1", product.unit_price1),
            ("unit_price1_with_tax", product.unit_price1_with_tax),
            ("purchase_price", product.purchase_price),
        ],
    )
}

fn product_fields<const N: usize>(
    description: Option<&str>,
    tax_percent: Option<Decimal>,
    amounts: [(&str, Option<Decimal>); N],
) -> Result<()> {
    max_chars("description", description, MAX_PRODUCT_DESCRIPTION_CHARS)?;
    percent("tax_percent", tax_percent)?;
    for (field, value) in amounts {
        representable(field, value)?;
    }
    Ok(())
}

pub(crate) fn invoice_create(invoice: &SalesInvoiceCreate) -> Result<()> {
    non_empty("customer.number", invoice.customer.number.as_str())?;
    if let Some(sp) = &invoice.sales_person {
        non_empty("sales_person", sp.as_str())?;
    }
    if let Some(project) = &invoice.project {
        non_empty("project", project.as_str())?;
    }
    max_chars("text1", invoice.text1.as_deref(), MAX_INVOICE_TEXT_CHARS)?;
    max_chars("text2", invoice.text2.as_deref(), MAX_INVOICE_TEXT_CHARS)?;
    representable("exchange", invoice.exchange)?;
    if invoice.lines.is_empty() {
        return Err(Error::invalid(
            "lines",
            "an invoice needs at least one line",
        ));
    }
    for (index, line) in invoice.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{index}].{name}");
        item_code(&field("item_code"), line.item_code.as_str())?;
        representable(&field("quantity"), Some(line.quantity))?;
        representable(&field("price"), Some(line.price))?;
        percent(&field("discount"), line.discount)?;
        representable(&field("discount_amount"), line.discount_amount)?;
        representable(&field("total"), line.total)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{InvoiceCustomer, SalesInvoiceLineCreate};
    use rust_decimal_macros::dec;

    fn field_of(result: Result<()>) -> String {
        match result {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn invoice() -> SalesInvoiceCreate {
        SalesInvoiceCreate {
            customer: InvoiceCustomer {
                number: "1710794709".into(),
                ..Default::default()
            },
            lines: vec![SalesInvoiceLineCreate {
                item_code: "RADGJOF".into(),
                quantity: dec!(1),
                price: dec!(100),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn customers_need_number_and_name_on_create() {
        let mut c = CustomerWrite::default();
        assert_eq!(field_of(customer_create(&c)), "number");
        c.number = Some("1".into());
        assert_eq!(field_of(customer_create(&c)), "name");
        c.name = Some("  ".into());
        assert_eq!(field_of(customer_create(&c)), "name");
        c.name = Some("A".into());
        assert!(customer_create(&c).is_ok());
        assert!(customer_update(&CustomerWrite::default()).is_ok());
        c.discount = Some(dec!(101));
        assert_eq!(field_of(customer_create(&c)), "discount");
    }

    #[test]
    fn item_codes_and_descriptions_are_bounded() {
        let mut p = ProductCreate {
            item_code: "x".repeat(20).into(),
            description: Some("é".repeat(40)),
            ..Default::default()
        };
        assert!(product_create(&p).is_ok());
        p.item_code = "x".repeat(21).into();
        assert_eq!(field_of(product_create(&p)), "item_code");
        p.item_code = "".into();
        assert_eq!(field_of(product_create(&p)), "item_code");
        p.item_code = "ok".into();
        p.description = Some("é".repeat(41));
        assert_eq!(field_of(product_create(&p)), "description");
        let u = ProductUpdate {
            description: Some("d".repeat(41)),
            ..Default::default()
        };
        assert_eq!(field_of(product_update(&u)), "description");
    }

    #[test]
    fn invoices_are_checked_line_by_line() {
        assert!(invoice_create(&invoice()).is_ok());
        let mut inv = invoice();
        inv.text1 = Some("a".repeat(2001));
        assert_eq!(field_of(invoice_create(&inv)), "text1");
        let mut inv = invoice();
        inv.text2 = Some("a".repeat(2000));
        assert!(invoice_create(&inv).is_ok());
        let mut inv = invoice();
        inv.lines.clear();
        assert_eq!(field_of(invoice_create(&inv)), "lines");
        let mut inv = invoice();
        inv.lines.push(SalesInvoiceLineCreate::default());
        assert_eq!(field_of(invoice_create(&inv)), "lines[1].item_code");
        let mut inv = invoice();
        inv.lines[0].discount = Some(dec!(-1));
        assert_eq!(field_of(invoice_create(&inv)), "lines[0].discount");
        let mut inv = invoice();
        inv.lines[0].price = dec!(0.1234567890123456789);
        assert_eq!(field_of(invoice_create(&inv)), "lines[0].price");
        let mut inv = invoice();
        inv.customer.number = "".into();
        assert_eq!(field_of(invoice_create(&inv)), "customer.number");
    }

    #[test]
    fn error_names_field_and_fix() {
        let mut inv = invoice();
        inv.text1 = Some("a".repeat(2001));
        let message = invoice_create(&inv).unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid text1: is 2001 characters long; DK+ keeps at most 2000 and would cut the rest silently"
        );
    }
}
