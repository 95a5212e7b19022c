//! Why a Moment object cannot be mapped: [`MappingError`] lists **every** [`Problem`] found.

use std::fmt;

use rust_decimal::Decimal;

use super::text::printable;

/// Which Moment object a mapping error is about, as a person would look it up in Moment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MomentObjectRef {
    /// A customer: Moment id and customer number (when it has one).
    Customer {
        /// Moment's internal id.
        id: i64,
        /// The customer number.
        number: Option<String>,
        /// The customer name.
        name: Option<String>,
    },
    /// A project.
    Project {
        /// Moment's internal id.
        id: i64,
        /// The project number.
        number: Option<String>,
    },
    /// An invoice or credit note.
    Invoice {
        /// Moment's internal id.
        id: i64,
        /// The invoice number (finalized invoices have one).
        number: Option<String>,
    },
}

impl fmt::Display for MomentObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Customer { id, number, name } => {
                write!(f, "customer ")?;
                match (number, name) {
                    (Some(n), Some(name)) => write!(f, "{} ({})", printable(n), printable(name))?,
                    (Some(n), None) => write!(f, "{}", printable(n))?,
                    (None, Some(name)) => write!(f, "\"{}\"", printable(name))?,
                    (None, None) => write!(f, "without number")?,
                }
                write!(f, " [Moment id {id}]")
            }
            Self::Project { id, number } => match number {
                Some(n) => write!(f, "project {} [Moment id {id}]", printable(n)),
                None => write!(f, "project without number [Moment id {id}]"),
            },
            Self::Invoice { id, number } => match number {
                Some(n) => write!(f, "invoice {} [Moment id {id}]", printable(n)),
                None => write!(f, "invoice without number [Moment id {id}]"),
            },
        }
    }
}

/// Identifies an invoice line the way it appears in Moment: its 1-based position and the
/// beginning of its description.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineRef {
    /// 1-based position of the line on the invoice.
    pub position: usize,
    /// The first characters of the line's description, if it has one.
    pub description: Option<String>,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.position)?;
        if let Some(d) = &self.description {
            write!(f, " (\"{}\")", printable(d))?;
        }
        Ok(())
    }
}

/// One thing that stops a Moment object from being sent to DK+, with what to fix in Moment.
///
/// Serializes as `{"kind": "kennitala_missing", "details": {…}, "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "details",
    rename_all = "snake_case"
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The customer has no customer number.
    #[error(
        "the customer has no customer number: give it one in Moment (Moment is master of customer numbers)"
    )]
    CustomerNumberMissing,
    /// The customer has no name.
    #[error("the customer has no name: enter the name in Moment")]
    CustomerNameMissing,
    /// The invoice's customer has no kennitala.
    #[error(
        "customer {customer} has no kennitala: enter the organization number (kennitala) on the \
         customer in Moment; DK+ requires it on invoices"
    )]
    KennitalaMissing {
        /// The customer, as "number (name)".
        customer: String,
    },
    /// The kennitala fails the check.
    #[error(
        "customer {customer} has the kennitala {value:?}, which is not valid: {reason}; correct the \
         organization number on the customer in Moment"
    )]
    KennitalaInvalid {
        /// The customer, as "number (name)".
        customer: String,
        /// The value as stored in Moment.
        value: String,
        /// Why it is not valid.
        reason: String,
    },
    /// The country code is not two letters.
    #[error(
        "the country code {0:?} is not an ISO 3166 two-letter code (e.g. IS): correct it in Moment"
    )]
    CountryCodeInvalid(String),
    /// A text holds control characters DK+ cannot store.
    #[error("{field} holds control characters: remove them in Moment")]
    ControlCharacters {
        /// Which field, e.g. "the customer name" or "line 3 (\"Consulting\") description".
        field: String,
    },
    /// A text is longer than DK+ stores (DK+ would cut it silently).
    #[error("{field} is {length} characters long; DK+ stores at most {max}: {fix}")]
    TextTooLong {
        /// Which field.
        field: String,
        /// What to shorten, and where.
        fix: &'static str,
        /// Its length in characters.
        length: usize,
        /// DK+'s limit.
        max: usize,
    },
    /// The project has no project number.
    #[error(
        "the project has no project number: give it one in Moment (Moment is master of project numbers)"
    )]
    ProjectNumberMissing,
    /// The project has no name.
    #[error("the project has no name: enter the name in Moment")]
    ProjectNameMissing,
    /// The invoice is a draft.
    #[error("the invoice is not finalized: finalize it in Moment; drafts are not sent to DK+")]
    InvoiceNotFinalized,
    /// The invoice's state is missing or not one the integration knows.
    #[error(
        "the invoice's state is {0}, not one the integration knows (draft or finalized): nothing \
         was sent; check the invoice in Moment, and report the state name if the invoice is \
         finalized"
    )]
    InvoiceStateUnknown(String),
    /// The invoice's type is not one the integration knows.
    #[error(
        "the invoice's type is \"{0}\", neither an invoice nor a credit note as far as the \
         integration knows: nothing was sent; report the type name"
    )]
    InvoiceTypeUnknown(String),
    /// The invoice names an invoice it credits but is not marked as a credit note.
    #[error(
        "the invoice names invoice {original} as the one it credits but is not marked as a credit \
         note: make it a credit note in Moment, or remove the link"
    )]
    InvoiceTypeUnclear {
        /// The number of the invoice it names.
        original: String,
    },
    /// A line's total differs from Moment's by more than rounding.
    #[error(
        "{line}: DK+ would book {mapped} for the line but Moment's line total is {moment}: check the \
         line's quantity, price, discount and surcharge in Moment (nothing is booked with a \
         different amount)"
    )]
    LineTotalMismatch {
        /// The line.
        line: LineRef,
        /// Moment's line total.
        moment: Decimal,
        /// The total DK+ would book.
        mapped: Decimal,
    },
    /// The invoice's total differs from Moment's by more than rounding.
    #[error(
        "DK+ would book {mapped} without VAT but Moment's total without VAT is {moment}: check the \
         invoice's lines in Moment (nothing is booked with a different amount)"
    )]
    InvoiceTotalMismatch {
        /// Moment's total without VAT.
        moment: Decimal,
        /// The total DK+ would book.
        mapped: Decimal,
    },
    /// A line's DK+ product charges another VAT rate than Moment charged.
    #[error(
        "{line}: DK+ would charge {dkplus} % VAT (from {}) but Moment charged {moment} %: {}; \
         nothing was posted",
        if *customer_no_vat { "the customer, which is VAT-exempt (NoVat) in DK+".to_owned() } else { format!("DK+ product {item_code}") },
        if *customer_no_vat { "check the customer's VAT setting in DK+ or the line's VAT in Moment" } else { "correct the product's VAT in DK+ or the line's account in Moment" }
    )]
    VatRateMismatch {
        /// The line.
        line: LineRef,
        /// The DK+ product of the line.
        item_code: String,
        /// The rate DK+ would charge.
        dkplus: Decimal,
        /// The rate Moment charged.
        moment: Decimal,
        /// Whether DK+ charges nothing because the customer is VAT-exempt there.
        customer_no_vat: bool,
    },
    /// The total including VAT DK+ would book differs from Moment's.
    #[error(
        "DK+ would book {dkplus} including VAT (VAT from its products) but Moment's total \
         including VAT is {moment}: check the VAT of the invoice's products in DK+ against the \
         accounts in Moment (nothing is booked with a different amount)"
    )]
    VatTotalMismatch {
        /// Moment's total including VAT.
        moment: Decimal,
        /// What DK+ would book.
        dkplus: Decimal,
    },
    /// The invoice has no number.
    #[error("the invoice has no invoice number: finalize it in Moment so it gets one")]
    InvoiceNumberMissing,
    /// The invoice has no invoice date.
    #[error("the invoice has no invoice date: set it in Moment")]
    InvoiceDateMissing,
    /// The invoice has no customer.
    #[error("the invoice has no customer: choose the customer on the invoice in Moment")]
    InvoiceCustomerMissing,
    /// The invoice's customer has no customer number.
    #[error("the invoice's customer has no customer number: give the customer one in Moment")]
    InvoiceCustomerNumberMissing,
    /// The invoice has no lines.
    #[error("the invoice has no lines: add at least one line in Moment")]
    InvoiceHasNoLines,
    /// The invoice's project has no number.
    #[error("the invoice's project has no project number: give the project one in Moment")]
    InvoiceProjectNumberMissing,
    /// The currency code is not three letters.
    #[error(
        "the currency code {0:?} is not an ISO 4217 three-letter code (e.g. ISK): correct it in Moment"
    )]
    CurrencyCodeInvalid(String),
    /// A foreign-currency invoice with an exchange rate DK+ cannot use.
    #[error(
        "the invoice is in {currency} with the exchange rate {rate}, which is not a positive rate \
         DK+ can store: correct the currency rate on the invoice in Moment"
    )]
    ExchangeRateInvalid {
        /// The currency code.
        currency: String,
        /// Moment's rate.
        rate: Decimal,
    },
    /// An invoice (not a credit note) adds up to less than zero.
    #[error(
        "the invoice adds up to {total}, less than zero: make it a credit note in Moment \
         (DK+ receives credits as credit notes)"
    )]
    InvoiceTotalNegative {
        /// The mapped total without VAT.
        total: Decimal,
    },
    /// A line has no quantity.
    #[error("{line} has no quantity: enter it in Moment")]
    LineQuantityMissing {
        /// The line.
        line: LineRef,
    },
    /// A line has no unit price.
    #[error("{line} has no unit price: enter it in Moment")]
    LineUnitPriceMissing {
        /// The line.
        line: LineRef,
    },
    /// A number on a line is outside what an invoice can sensibly hold.
    #[error("{line} has {field} {value}, outside the accepted range {range}: correct it in Moment")]
    LineValueOutOfRange {
        /// The line.
        line: LineRef,
        /// "quantity", "unit price", "discount percent" or "surcharge percent".
        field: &'static str,
        /// The value.
        value: Decimal,
        /// The accepted range, in words.
        range: &'static str,
    },
    /// Neither a product number nor a fallback gives the line an item code.
    #[error(
        "{line} has no item code: link the line to a product with a product number, or set the \
         accounting VAT code on {account} in Moment (Setup > Accounting > Bookkeeping accounts)"
    )]
    ItemCodeMissing {
        /// The line.
        line: LineRef,
        /// The line's financial account, e.g. "account 3000 (Sala)".
        account: String,
    },
    /// The line has neither a product nor a financial account.
    #[error(
        "{line} has neither a product nor a financial account: link a product that has a product \
         number, or choose a financial account that has an accounting VAT code, in Moment"
    )]
    ItemCodeMissingNoAccount {
        /// The line.
        line: LineRef,
    },
    /// A discount or surcharge given only as an amount.
    #[error(
        "{line} gives a {what} of {amount} as an amount without a percent: enter the {what} as a \
         percent in Moment (whether an amount is per unit or per line is not known, so it is not guessed)"
    )]
    LineAmountWithoutPercent {
        /// The line.
        line: LineRef,
        /// "discount" or "surcharge".
        what: &'static str,
        /// The amount.
        amount: Decimal,
    },
    /// The unit price with its surcharge, or the line total, cannot be computed.
    #[error(
        "{line}: the unit price with its surcharge, or the line total, is too large to compute: correct the line in Moment"
    )]
    LineTooLargeToCompute {
        /// The line.
        line: LineRef,
    },
    /// A value with more significant digits than DK+ keeps.
    #[error(
        "{line}: the {field} {value} has more than 15 significant digits, which DK+ cannot store \
         exactly (it keeps numbers as doubles): round it in Moment, or for a unit price lower \
         price_decimals in the integration configuration"
    )]
    TooManyDigits {
        /// The line.
        line: LineRef,
        /// "quantity", "unit price (with the surcharge)" or "line total".
        field: &'static str,
        /// The value.
        value: Decimal,
    },
    /// The line's financial account could not be found in Moment.
    #[error(
        "{line} uses financial account {account}, which Moment does not return: check the line's account in Moment"
    )]
    AccountNotFound {
        /// The line.
        line: LineRef,
        /// The account as referenced by the line.
        account: String,
    },
    /// The item code is longer than DK+ allows.
    #[error(
        "{line}: item code {code:?} is {length} characters long; DK+ allows at most 20: shorten the \
         {source_field} in Moment (it is never cut automatically)"
    )]
    ItemCodeTooLong {
        /// The line.
        line: LineRef,
        /// The code.
        code: String,
        /// Its length.
        length: usize,
        /// Where the code came from, e.g. "product number of product 17".
        source_field: String,
    },
    /// The item code holds characters that cannot be used.
    #[error(
        "{line}: item code {code:?} holds control characters: correct the {source_field} in Moment"
    )]
    ItemCodeInvalid {
        /// The line.
        line: LineRef,
        /// The code.
        code: String,
        /// Where the code came from.
        source_field: String,
    },
}

/// A Moment object cannot be sent to DK+: every problem found, each saying what to fix in Moment.
///
/// Serializes as `{"object": {…}, "problems": […], "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(remote = "Self")]
pub struct MappingError {
    /// The object.
    pub object: MomentObjectRef,
    /// Every problem found (never empty).
    pub problems: Vec<Problem>,
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} cannot be sent to DK+ ({n} problem{}):",
            self.object,
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

serialize_with_message!(Problem);
serialize_with_message!(MappingError);
