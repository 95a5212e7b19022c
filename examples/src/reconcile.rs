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

/// One CSV row; empty cells are empty strings.
#[derive(Default)]
struct CsvRow {
    finding: &'static str,
    reference: String,
    moment_id: String,
    dkplus_number: String,
    field: String,
    moment: String,
    dkplus: String,
    with_vat: String,
    settled: String,
    open: String,
    payment: String,
}

impl CsvRow {
    const HEAD: [&'static str; 11] = [
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
    ];

    /// A row for a DK+ invoice: its number, amounts and payment state.
    fn of_dkplus(finding: &'static str, reference: String, d: &DkPlusSide) -> Self {
        let amount = |a: Option<Decimal>| a.map(csv_amount).unwrap_or_default();
        Self {
            finding,
            reference,
            dkplus_number: d.number.clone().unwrap_or_default(),
            dkplus: amount(d.total),
            with_vat: amount(with_vat(d)),
            settled: amount(d.payment.settled),
            open: amount(d.payment.open),
            payment: payment_words(d.payment.state).into(),
            ..Self::default()
        }
    }

    fn cells(self) -> [String; 11] {
        [
            self.finding.to_owned(),
            self.reference,
            self.moment_id,
            self.dkplus_number,
            self.field,
            self.moment,
            self.dkplus,
            self.with_vat,
            self.settled,
            self.open,
            self.payment,
        ]
    }
}

/// Writes the report as CSV: one row per finding and per matched invoice.
pub fn write_csv(out: &mut dyn Write, report: &ReconciliationReport) -> io::Result<()> {
    let mut rows = Vec::new();
    for m in &report.missing_in_dkplus {
        rows.push(CsvRow {
            finding: "missing_in_dkplus",
            reference: m.reference.clone(),
            moment_id: m.moment_id.to_string(),
            moment: m.total.map(csv_amount).unwrap_or_default(),
            ..CsvRow::default()
        });
    }
    for d in &report.unknown_in_dkplus {
        let reference = d.reference.clone().unwrap_or_default();
        rows.push(CsvRow::of_dkplus("unknown_in_dkplus", reference, d));
    }
    for dup in &report.duplicates {
        for d in &dup.invoices {
            rows.push(CsvRow::of_dkplus("duplicate", dup.reference.clone(), d));
        }
    }
    for diff in &report.differences {
        let value = |v: &str| v.parse::<Decimal>().map(csv_amount).unwrap_or(v.to_owned());
        rows.push(CsvRow {
            finding: "difference",
            reference: diff.reference.clone(),
            field: diff.field.to_string(),
            moment: value(&diff.moment),
            dkplus: value(&diff.dkplus),
            ..CsvRow::default()
        });
    }
    for m in &report.matched {
        let mut row = CsvRow::of_dkplus("matched", m.moment.reference.clone(), &m.dkplus);
        row.moment_id = m.moment.moment_id.to_string();
        row.dkplus = String::new();
        rows.push(row);
    }
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        cells.join(";")
    };
    writeln!(out, "{}", line(&CsvRow::HEAD.map(str::to_owned)))?;
    for row in rows {
        writeln!(out, "{}", line(&row.cells()))?;
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
