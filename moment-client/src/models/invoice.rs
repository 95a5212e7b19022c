//! Invoices and credit notes (`/invoices`), with their lines.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, FinancialAccountId, InvoiceId, InvoiceLineId, ProductId, ProjectId};
use crate::models::refs::{CustomerRef, FinancialAccountRef, InvoiceRef, ProductRef, ProjectRef};
use crate::numbers::{AccountNumber, CustomerNumber, InvoiceNumber, ProductNumber, ProjectNumber};
use crate::wire::{self, Conflict, Day, Int, Money, Text, Timestamp, agree, pick, text_enum};

text_enum!(
    /// Where an invoice is in its life: a draft can still change; from finalization on it has
    /// its number and is what Moment's integrations transfer — also once it has been sent, paid
    /// or credited. Wire values are guesses (see `docs/moment-api.md`).
    pub enum InvoiceState {
        /// Still being edited; has no invoice number yet.
        Draft => "DRAFT",
        /// Finalized (booked); will not change any more.
        Finalized => "FINALIZED" | "FINALISED" | "FINAL",
        /// Finalized and sent to the customer.
        Sent => "SENT",
        /// Finalized and partly paid.
        PartlyPaid => "PARTLY_PAID" | "PARTIALLY_PAID",
        /// Finalized and paid.
        Paid => "PAID",
        /// Finalized and past its due date.
        Overdue => "OVERDUE",
        /// Finalized and credited (by a credit note).
        Credited => "CREDITED",
    }
);

impl InvoiceState {
    /// `true` for every state an invoice reaches once finalized (finalized, sent, partly paid,
    /// paid, overdue, credited): it has its number and belongs in the books.
    pub fn is_issued(&self) -> bool {
        matches!(
            self,
            Self::Finalized
                | Self::Sent
                | Self::PartlyPaid
                | Self::Paid
                | Self::Overdue
                | Self::Credited
        )
    }
}

text_enum!(
    /// An ordinary invoice or a credit note. Wire values are guesses.
    pub enum InvoiceType {
        /// An ordinary invoice.
        Invoice => "INVOICE",
        /// A credit note (usually a copy of an invoice with negated lines).
        CreditNote => "CREDIT_NOTE" | "CREDIT_INVOICE" | "CREDIT",
    }
);

/// A Moment invoice or credit note, with its lines.
///
/// `id`, `invoiceNumber` (an integer on the wire, kept as text), `customer{id, customerNumber}`
/// and `project{id, projectNumber}` are verified (webhook). All other names are guesses read
/// with a few alternatives (see `docs/moment-api.md`); money is [`Decimal`]. When two
/// alternative names carry different amounts the invoice is refused with a decode error rather
/// than guessing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "InvoiceWire")]
pub struct Invoice {
    /// Moment's id of the invoice.
    pub id: InvoiceId,
    /// The invoice number; drafts have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<InvoiceNumber>,
    /// Draft or finalized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<InvoiceState>,
    /// Invoice or credit note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_type: Option<InvoiceType>,
    /// For a credit note: the invoice it credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credited_invoice: Option<InvoiceRef>,
    /// The invoiced customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerRef>,
    /// The project invoiced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    /// Invoice date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<NaiveDate>,
    /// Due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Currency code (e.g. `ISK`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Exchange rate to the company currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_rate: Option<Decimal>,
    /// Total without VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_excluding_vat: Option<Decimal>,
    /// Total VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_vat: Option<Decimal>,
    /// Total including VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_including_vat: Option<Decimal>,
    /// Description / header text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The customer's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub your_reference: Option<String>,
    /// Our reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub our_reference: Option<String>,
    /// Payment id (KID-like).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The invoice lines (empty when the response carried none).
    #[serde(default)]
    pub lines: Vec<InvoiceLine>,
    /// When the invoice was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    /// When the invoice was last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

impl Invoice {
    /// `true` when the state is [`InvoiceState::Finalized`].
    pub fn is_finalized(&self) -> bool {
        self.state == Some(InvoiceState::Finalized)
    }

    /// `true` when the state is one an invoice reaches once finalized (see
    /// [`InvoiceState::is_issued`]).
    pub fn is_issued(&self) -> bool {
        self.state.as_ref().is_some_and(InvoiceState::is_issued)
    }

    /// `true` when the state is [`InvoiceState::Draft`].
    pub fn is_draft(&self) -> bool {
        self.state == Some(InvoiceState::Draft)
    }

    /// `true` when the type is [`InvoiceType::CreditNote`].
    pub fn is_credit_note(&self) -> bool {
        self.invoice_type == Some(InvoiceType::CreditNote)
    }

    /// The id of the invoiced customer, if known.
    pub fn customer_id(&self) -> Option<CustomerId> {
        self.customer.as_ref().and_then(|c| c.id)
    }

    /// The number of the invoiced customer, if known.
    pub fn customer_number(&self) -> Option<&CustomerNumber> {
        self.customer
            .as_ref()
            .and_then(|c| c.customer_number.as_ref())
    }

    /// The id of the invoiced project, if known.
    pub fn project_id(&self) -> Option<ProjectId> {
        self.project.as_ref().and_then(|p| p.id)
    }

    /// The number of the invoiced project, if known.
    pub fn project_number(&self) -> Option<&ProjectNumber> {
        self.project
            .as_ref()
            .and_then(|p| p.project_number.as_ref())
    }
}

/// One line of an invoice.
///
/// All names are guesses (see `docs/moment-api.md`). Percentages are percent (`10` = 10 %).
/// A surcharge or discount given as an amount (`surchargeAmount`, `discountAmount`) is kept in
/// its own field and never mixed with the percentage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "InvoiceLineWire")]
pub struct InvoiceLine {
    /// Moment's id of the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<InvoiceLineId>,
    /// Position of the line on the invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_number: Option<i64>,
    /// Line text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// Unit price, excluding VAT, before discount and surcharge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// Discount in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Decimal>,
    /// Discount as an amount, when Moment sends one (`discountAmount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<Decimal>,
    /// Surcharge in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surcharge_percent: Option<Decimal>,
    /// Surcharge as an amount, when Moment sends one (`surchargeAmount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surcharge_amount: Option<Decimal>,
    /// Line total excluding VAT, as Moment computed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_total: Option<Decimal>,
    /// VAT percentage of the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_percent: Option<Decimal>,
    /// VAT code of the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_code: Option<String>,
    /// Kind of line (hours, product, expense, ...), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_type: Option<String>,
    /// The linked product, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductRef>,
    /// The financial (bookkeeping) account chosen on the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_account: Option<FinancialAccountRef>,
}

impl InvoiceLine {
    /// The linked product's number, if any.
    pub fn product_number(&self) -> Option<&ProductNumber> {
        self.product
            .as_ref()
            .and_then(|p| p.product_number.as_ref())
    }

    /// The line's account number, if known.
    pub fn account_number(&self) -> Option<&AccountNumber> {
        self.financial_account
            .as_ref()
            .and_then(|a| a.account_number.as_ref())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceWire {
    id: InvoiceId,
    invoice_number: Option<InvoiceNumber>,
    number: Option<InvoiceNumber>,
    state: Option<InvoiceState>,
    invoice_state: Option<InvoiceState>,
    invoice_type: Option<InvoiceType>,
    #[serde(rename = "type")]
    kind: Option<InvoiceType>,
    credited_invoice: Option<InvoiceRef>,
    original_invoice: Option<InvoiceRef>,
    credited_invoice_id: Option<InvoiceId>,
    credited_invoice_number: Option<InvoiceNumber>,
    original_invoice_id: Option<InvoiceId>,
    original_invoice_number: Option<InvoiceNumber>,
    customer: Option<CustomerRef>,
    customer_id: Option<CustomerId>,
    customer_number: Option<CustomerNumber>,
    customer_name: Option<Text>,
    project: Option<ProjectRef>,
    project_id: Option<ProjectId>,
    project_number: Option<ProjectNumber>,
    project_name: Option<Text>,
    invoice_date: Option<Day>,
    date: Option<Day>,
    due_date: Option<Day>,
    currency_code: Option<Text>,
    currency: Option<Text>,
    currency_rate: Option<Money>,
    exchange_rate: Option<Money>,
    total_excluding_vat: Option<Money>,
    total_ex_vat: Option<Money>,
    net_amount: Option<Money>,
    total_vat: Option<Money>,
    vat_amount: Option<Money>,
    total_including_vat: Option<Money>,
    total_inc_vat: Option<Money>,
    description: Option<Text>,
    text: Option<Text>,
    your_reference: Option<Text>,
    our_reference: Option<Text>,
    payment_id: Option<Text>,
    kid: Option<Text>,
    lines: Option<Vec<InvoiceLine>>,
    invoice_lines: Option<Vec<InvoiceLine>>,
    created_date: Option<Timestamp>,
    last_modified_date: Option<Timestamp>,
}

impl TryFrom<InvoiceWire> for Invoice {
    type Error = Conflict;
    fn try_from(w: InvoiceWire) -> Result<Self, Conflict> {
        let t = wire::text;
        let credited_nested = agree([
            ("creditedInvoice", w.credited_invoice),
            ("originalInvoice", w.original_invoice),
        ])?;
        let credited_id = agree([
            ("creditedInvoiceId", w.credited_invoice_id),
            ("originalInvoiceId", w.original_invoice_id),
        ])?;
        let credited_number = agree([
            ("creditedInvoiceNumber", w.credited_invoice_number),
            ("originalInvoiceNumber", w.original_invoice_number),
        ])?;
        Ok(Self {
            id: w.id,
            invoice_number: agree([("invoiceNumber", w.invoice_number), ("number", w.number)])?,
            state: agree([("state", w.state), ("invoiceState", w.invoice_state)])?,
            invoice_type: agree([("invoiceType", w.invoice_type), ("type", w.kind)])?,
            credited_invoice: InvoiceRef::merge(
                credited_nested,
                ["creditedInvoiceId", "creditedInvoiceNumber"],
                credited_id,
                credited_number,
            )?,
            customer: CustomerRef::merge(
                w.customer,
                ["customerId", "customerNumber", "customerName"],
                w.customer_id,
                w.customer_number,
                t(w.customer_name),
            )?,
            project: ProjectRef::merge(
                w.project,
                ["projectId", "projectNumber", "projectName"],
                w.project_id,
                w.project_number,
                t(w.project_name),
            )?,
            invoice_date: agree([
                ("invoiceDate", wire::day(w.invoice_date)),
                ("date", wire::day(w.date)),
            ])?,
            due_date: wire::day(w.due_date),
            currency_code: pick([t(w.currency_code), t(w.currency)]),
            currency_rate: agree([
                ("currencyRate", wire::money(w.currency_rate)),
                ("exchangeRate", wire::money(w.exchange_rate)),
            ])?,
            total_excluding_vat: agree([
                ("totalExcludingVat", wire::money(w.total_excluding_vat)),
                ("totalExVat", wire::money(w.total_ex_vat)),
                ("netAmount", wire::money(w.net_amount)),
            ])?,
            total_vat: agree([
                ("totalVat", wire::money(w.total_vat)),
                ("vatAmount", wire::money(w.vat_amount)),
            ])?,
            total_including_vat: agree([
                ("totalIncludingVat", wire::money(w.total_including_vat)),
                ("totalIncVat", wire::money(w.total_inc_vat)),
            ])?,
            description: pick([t(w.description), t(w.text)]),
            your_reference: t(w.your_reference),
            our_reference: t(w.our_reference),
            payment_id: pick([t(w.payment_id), t(w.kid)]),
            lines: agree([("lines", w.lines), ("invoiceLines", w.invoice_lines)])?
                .unwrap_or_default(),
            created_date: wire::timestamp(w.created_date),
            last_modified_date: wire::timestamp(w.last_modified_date),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceLineWire {
    id: Option<InvoiceLineId>,
    line_number: Option<Int>,
    sort_order: Option<Int>,
    description: Option<Text>,
    text: Option<Text>,
    quantity: Option<Money>,
    qty: Option<Money>,
    unit_price: Option<Money>,
    price: Option<Money>,
    discount_percent: Option<Money>,
    discount_percentage: Option<Money>,
    discount: Option<Money>,
    discount_amount: Option<Money>,
    surcharge_percent: Option<Money>,
    surcharge_percentage: Option<Money>,
    surcharge: Option<Money>,
    surcharge_amount: Option<Money>,
    line_total: Option<Money>,
    total_price: Option<Money>,
    total_excluding_vat: Option<Money>,
    vat_percent: Option<Money>,
    vat_percentage: Option<Money>,
    vat_rate: Option<Money>,
    vat_code: Option<Text>,
    line_type: Option<Text>,
    #[serde(rename = "type")]
    kind: Option<Text>,
    product: Option<ProductRef>,
    product_id: Option<ProductId>,
    product_number: Option<ProductNumber>,
    product_name: Option<Text>,
    financial_account: Option<FinancialAccountRef>,
    financial_account_id: Option<FinancialAccountId>,
    financial_account_number: Option<AccountNumber>,
    account_number: Option<AccountNumber>,
    financial_account_name: Option<Text>,
}

impl TryFrom<InvoiceLineWire> for InvoiceLine {
    type Error = Conflict;
    fn try_from(w: InvoiceLineWire) -> Result<Self, Conflict> {
        let t = wire::text;
        let account_number = agree([
            ("financialAccountNumber", w.financial_account_number),
            ("accountNumber", w.account_number),
        ])?;
        Ok(Self {
            id: w.id,
            line_number: agree([
                ("lineNumber", wire::int(w.line_number)),
                ("sortOrder", wire::int(w.sort_order)),
            ])?,
            description: pick([t(w.description), t(w.text)]),
            quantity: agree([
                ("quantity", wire::money(w.quantity)),
                ("qty", wire::money(w.qty)),
            ])?,
            unit_price: agree([
                ("unitPrice", wire::money(w.unit_price)),
                ("price", wire::money(w.price)),
            ])?,
            discount_percent: agree([
                ("discountPercent", wire::money(w.discount_percent)),
                ("discountPercentage", wire::money(w.discount_percentage)),
                ("discount", wire::money(w.discount)),
            ])?,
            discount_amount: wire::money(w.discount_amount),
            surcharge_percent: agree([
                ("surchargePercent", wire::money(w.surcharge_percent)),
                ("surchargePercentage", wire::money(w.surcharge_percentage)),
                ("surcharge", wire::money(w.surcharge)),
            ])?,
            surcharge_amount: wire::money(w.surcharge_amount),
            line_total: agree([
                ("lineTotal", wire::money(w.line_total)),
                ("totalPrice", wire::money(w.total_price)),
                ("totalExcludingVat", wire::money(w.total_excluding_vat)),
            ])?,
            vat_percent: agree([
                ("vatPercent", wire::money(w.vat_percent)),
                ("vatPercentage", wire::money(w.vat_percentage)),
                ("vatRate", wire::money(w.vat_rate)),
            ])?,
            vat_code: t(w.vat_code),
            line_type: pick([t(w.line_type), t(w.kind)]),
            product: ProductRef::merge(
                w.product,
                ["productId", "productNumber", "productName"],
                w.product_id,
                w.product_number,
                t(w.product_name),
            )?,
            financial_account: FinancialAccountRef::merge(
                w.financial_account,
                [
                    "financialAccountId",
                    "financialAccountNumber",
                    "financialAccountName",
                ],
                w.financial_account_id,
                account_number,
                t(w.financial_account_name),
            )?,
        })
    }
}
