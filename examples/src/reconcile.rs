//! The reconciliation report as a bookkeeper reads it: a table with Icelandic amounts
//! (`1.234.567,50`) and a CSV file for a spreadsheet (`;` between fields, `,` before the
//! decimals, as Icelandic Excel reads it).

use std::io::{self, Write};

use moment_dkplus_mapping::reconcile::{DkPlusSide, PaymentState, ReconciliationReport};
use rust_decimal::Decimal;

pub use moment_dkplus_mapping::reconcile::icelandic_amount as isk;

/// An amount for the CSV file: `,` before the decimals, no thousands separator.
pub fn csv_amount(amount: Decimal) -> String {
    format!("{:.2}", amount.round_dp(2)).replace('.', ",")
}

fn optional(amount: Option<Decimal>) -> String {
    amount.map_or_else(|| "—".to_owned(), isk)
}

fn payment_words(state: PaymentState) -> &'static str {
    state.label()
}

fn with_vat(side: &DkPlusSide) -> Option<Decimal> {
    side.total.zip(side.vat).map(|(t, v)| t + v)
}

/// Writes the report as a table: first what needs a look, then the payment state of every
/// matched invoice, then the totals.
pub fn write_table(out: &mut dyn Write, report: &ReconciliationReport) -> io::Result<()> {
    writeln!(
        out,
        "Reconciliation of invoices dated {} to {}: {}",
        report.period.from,
        report.period.to,
        if report.is_clean() {
            "everything matches"
        } else {
            "differences to look at"
        }
    )?;
    if !report.missing_in_dkplus.is_empty() {
        writeln!(out, "\nIn Moment, not in DK+:")?;
        for m in &report.missing_in_dkplus {
            writeln!(
                out,
                "  {:<10} {} {:>16}  customer {}  [Moment id {}]",
                m.reference,
                m.date.map(|d| d.to_string()).unwrap_or_default(),
                optional(m.total),
                m.customer.as_deref().unwrap_or("—"),
                m.moment_id
            )?;
        }
    }
    if !report.unknown_in_dkplus.is_empty() {
        writeln!(
            out,
            "\nIn DK+ with a Moment-like reference, no Moment invoice:"
        )?;
        for d in &report.unknown_in_dkplus {
            writeln!(
                out,
                "  {:<10} DK+ {} {} {:>16}  customer {}",
                d.reference.as_deref().unwrap_or("—"),
                d.number.as_deref().unwrap_or("—"),
                d.date.map(|d| d.to_string()).unwrap_or_default(),
                optional(d.total),
                d.customer.as_deref().unwrap_or("—"),
            )?;
        }
    }
    if !report.duplicates.is_empty() {
        writeln!(out, "\nThe same reference more than once in DK+:")?;
        for dup in &report.duplicates {
            let numbers: Vec<&str> = dup
                .invoices
                .iter()
                .map(|d| d.number.as_deref().unwrap_or("—"))
                .collect();
            writeln!(
                out,
                "  {:<10} DK+ invoices {}",
                dup.reference,
                numbers.join(", ")
            )?;
        }
    }
    if !report.differences.is_empty() {
        writeln!(out, "\nDifferences (Moment | DK+):")?;
        for diff in &report.differences {
            let (moment, dkplus) = match diff.field {
                moment_dkplus_mapping::reconcile::Field::Total
                | moment_dkplus_mapping::reconcile::Field::Vat => (
                    diff.moment.parse().map(isk).unwrap_or(diff.moment.clone()),
                    diff.dkplus.parse().map(isk).unwrap_or(diff.dkplus.clone()),
                ),
                _ => (diff.moment.clone(), diff.dkplus.clone()),
            };
            writeln!(
                out,
                "  {:<10} {:<18} {moment} | {dkplus}",
                diff.reference,
                diff.field.to_string()
            )?;
        }
    }
    writeln!(
        out,
        "\nPayments in DK+ of the {} matched invoices:",
        report.matched.len()
    )?;
    writeln!(
        out,
        "  {:<10} {:<8} {:>16} {:>16} {:>16}  state",
        "reference", "DK+", "with VAT", "settled", "open"
    )?;
    for m in &report.matched {
        writeln!(
            out,
            "  {:<10} {:<8} {:>16} {:>16} {:>16}  {}",
            m.moment.reference,
            m.dkplus.number.as_deref().unwrap_or("—"),
            optional(with_vat(&m.dkplus)),
            optional(m.dkplus.payment.settled),
            optional(m.dkplus.payment.open),
            payment_words(m.dkplus.payment.state)
        )?;
    }
    let (total, settled, open) = report.payment_totals();
    writeln!(
        out,
        "  {:<19} {:>16} {:>16} {:>16}",
        "total",
        isk(total),
        isk(settled),
        isk(open)
    )?;
    Ok(())
}

fn csv_field(text: &str) -> String {
    // A cell a spreadsheet would run as a formula (text from DK+, such as a customer number,
    // could start with `=`) is kept as text; a negative amount is not a formula.
    let number = text.replace(',', ".").parse::<Decimal>().is_ok();
    let formula = !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Writes the report as CSV: one row per finding and per matched invoice.
pub fn write_csv(out: &mut dyn Write, report: &ReconciliationReport) -> io::Result<()> {
    let mut row = |fields: &[String]| -> io::Result<()> {
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(";"))
    };
    row(&[
        "finding",
        "reference",
        "moment_id",
        "dkplus_number",
        "field",
        "moment",
        "dkplus",
        "with_vat",
        "settled",
        "open",
        "payment",
    ]
    .map(str::to_owned))?;
    let amount = |a: Option<Decimal>| a.map(csv_amount).unwrap_or_default();
    for m in &report.missing_in_dkplus {
        row(&[
            "missing_in_dkplus".into(),
            m.reference.clone(),
            m.moment_id.to_string(),
            String::new(),
            String::new(),
            amount(m.total),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ])?;
    }
    for d in &report.unknown_in_dkplus {
        row(&[
            "unknown_in_dkplus".into(),
            d.reference.clone().unwrap_or_default(),
            String::new(),
            d.number.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            amount(d.total),
            amount(with_vat(d)),
            amount(d.payment.settled),
            amount(d.payment.open),
            payment_words(d.payment.state).into(),
        ])?;
    }
    for dup in &report.duplicates {
        for d in &dup.invoices {
            row(&[
                "duplicate".into(),
                dup.reference.clone(),
                String::new(),
                d.number.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                amount(d.total),
                amount(with_vat(d)),
                amount(d.payment.settled),
                amount(d.payment.open),
                payment_words(d.payment.state).into(),
            ])?;
        }
    }
    for diff in &report.differences {
        let value = |v: &str| v.parse::<Decimal>().map(csv_amount).unwrap_or(v.to_owned());
        row(&[
            "difference".into(),
            diff.reference.clone(),
            String::new(),
            String::new(),
            diff.field.to_string(),
            value(&diff.moment),
            value(&diff.dkplus),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ])?;
    }
    for m in &report.matched {
        row(&[
            "matched".into(),
            m.moment.reference.clone(),
            m.moment.moment_id.to_string(),
            m.dkplus.number.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            amount(with_vat(&m.dkplus)),
            amount(m.dkplus.payment.settled),
            amount(m.dkplus.payment.open),
            payment_words(m.dkplus.payment.state).into(),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_are_written_the_icelandic_way() {
        assert_eq!(isk(dec("1234567.5")), "1.234.567,50");
        assert_eq!(isk(dec("-1234.567")), "-1.234,57");
        assert_eq!(isk(dec("0")), "0,00");
        assert_eq!(isk(dec("-0.001")), "0,00");
        assert_eq!(isk(dec("999")), "999,00");
        assert_eq!(isk(dec("1000")), "1.000,00");
        assert_eq!(csv_amount(dec("-1234.5")), "-1234,50");
    }

    #[test]
    fn a_field_with_a_separator_is_quoted() {
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_field("-1234,50"),
            "-1234,50",
            "a negative amount stays a number"
        );
        assert_eq!(csv_field("-cmd"), "'-cmd");
        assert_eq!(csv_field("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
    }
}
