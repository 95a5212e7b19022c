//! [`Warning`]: something a person should look at, although the object was transferred.

use rust_decimal::Decimal;

use crate::rules::LineRef;

/// Something worth a look that did not stop the transfer.
///
/// Serializes as `{"kind": "project_drift", "details": {…}, "message": "…"}` (see the crate's
/// notes on reports as data).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "details",
    rename_all = "snake_case"
)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// The project already exists in DK+ and differs from Moment; DK+ cannot update projects.
    #[error(
        "project {project} differs in DK+: {field} is {dkplus:?} in DK+ but {moment:?} in Moment; \
         DK+ cannot update projects through its API, so update it by hand in DK+"
    )]
    ProjectDrift {
        /// The project number.
        project: String,
        /// "name" or "customer".
        field: &'static str,
        /// The value in Moment.
        moment: String,
        /// The value in DK+.
        dkplus: String,
    },
    /// DK+ numbered invoices differently from Moment in this run (said once per run).
    #[error(
        "DK+ numbered {count} invoice{} differently from Moment (Moment {first_moment} became DK+ \
         {first_dkplus}{}): the number series are out of step — set the next invoice number of \
         DK's sales invoices (Sölureikningar) to Moment's next number, or Moment's number series \
         to DK+'s (Moment recommends the same series in both systems; Moment's number is kept as \
         the DK+ Reference)",
        if *count == 1 { "" } else { "s" },
        if *count > 1 { format!(", …, Moment {last_moment} became DK+ {last_dkplus}") } else { String::new() }
    )]
    NumberSeriesOutOfStep {
        /// How many invoices of the run.
        count: usize,
        /// Moment's lowest number among them.
        first_moment: String,
        /// The DK+ number it got.
        first_dkplus: String,
        /// Moment's highest number among them.
        last_moment: String,
        /// The DK+ number it got.
        last_dkplus: String,
    },
    /// A DK+ invoice of an earlier transfer was recognised by the customer's kennitala although
    /// the customer number changed in Moment since.
    #[error(
        "DK+ invoice {dkplus} was booked for customer {was}, which Moment now numbers {now} (the \
         same kennitala): it is this invoice and nothing was posted; the customer was renumbered \
         in Moment — merge the two DK+ customers by hand if needed"
    )]
    CustomerRenumbered {
        /// The DK+ invoice number.
        dkplus: String,
        /// The customer number on the DK+ invoice.
        was: String,
        /// The customer number in Moment now.
        now: String,
    },
    /// A new DK+ customer has the name of an existing one with another number.
    #[error(
        "customer {number} was created in DK+, which already has customer {existing} with the same \
         name ({name:?}): if the customer was renumbered in Moment, DK+ now has it twice — merge \
         them by hand in DK+"
    )]
    CustomerPossiblyRenumbered {
        /// The new customer number.
        number: String,
        /// The existing DK+ customer number.
        existing: String,
        /// The name.
        name: String,
    },
    /// DK+ booked the invoice at another exchange rate than the one sent.
    #[error(
        "the invoice was sent with the exchange rate {sent} but DK+ booked it at {booked}: check the \
         invoice's currency amounts in DK+"
    )]
    ExchangeRateChanged {
        /// The rate sent (Moment's).
        sent: Decimal,
        /// The rate DK+ booked.
        booked: Decimal,
    },
    /// A mapped line total differs from Moment's.
    #[error(
        "{line}: the line total sent to DK+ is {mapped} but Moment's line total is {moment} \
         (difference {difference}); check the line's surcharge and discount"
    )]
    LineTotalMismatch {
        /// The line.
        line: LineRef,
        /// Moment's line total.
        moment: Decimal,
        /// The total of the line as sent.
        mapped: Decimal,
        /// `mapped - moment`.
        difference: Decimal,
    },
    /// The invoice total DK+ books differs from Moment's total without VAT.
    #[error(
        "DK+ books {mapped} without VAT for the invoice but Moment's total without VAT is {moment} \
         (difference {difference}); correct it in DK+ with a credit note if needed"
    )]
    InvoiceTotalMismatch {
        /// Moment's total without VAT.
        moment: Decimal,
        /// The sum of the lines as sent.
        mapped: Decimal,
        /// `mapped - moment`.
        difference: Decimal,
    },
    /// The total with VAT DK+ booked differs from Moment's: VAT comes from the DK+ products, and
    /// one of them has another VAT percent than Moment's line.
    #[error(
        "DK+ booked {dkplus} including VAT but Moment's total including VAT is {moment}: check the \
         VAT percent of the invoice's products in DK+ against the accounts in Moment, and correct \
         the invoice in DK+ with a credit note if needed"
    )]
    VatTotalMismatch {
        /// Moment's total including VAT.
        moment: Decimal,
        /// DK+'s total including VAT.
        dkplus: Decimal,
    },
    /// The VAT DK+ will charge could not be computed before posting (a product's VAT percent is
    /// not known), so the total including VAT was not compared with Moment's.
    #[error(
        "the VAT of a DK+ product of the invoice is not known, so the total including VAT could \
         not be compared with Moment's before posting; check the booked invoice's VAT in DK+"
    )]
    VatNotChecked,
    /// A product description was longer than DK+'s 40 characters and was shortened.
    #[error(
        "the description of new DK+ product {item_code} was shortened to 40 characters: \
         {sent:?} (full text {full:?})"
    )]
    ProductDescriptionTruncated {
        /// The product's item code.
        item_code: String,
        /// The full description.
        full: String,
        /// What was sent.
        sent: String,
    },
    /// The customer's kennitala is invalid; its invoices will be refused.
    #[error(
        "customer {customer} has the kennitala {value:?}, which is not valid: {reason}; its \
         invoices will be refused until it is corrected in Moment (DK+ receives the kennitala \
         with each invoice)"
    )]
    CustomerKennitalaInvalid {
        /// The customer, as "number (name)".
        customer: String,
        /// The value in Moment.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The customer has no kennitala; invoices to it will be refused.
    #[error(
        "customer {customer} has no kennitala; its invoices will be refused until the \
         organization number is entered in Moment"
    )]
    CustomerKennitalaMissing {
        /// The customer, as "number (name)".
        customer: String,
    },
    /// The customer's Moment status is not one we know; `Blocked` was not sent.
    #[error(
        "customer {customer} has the status {status:?}, which is not known; DK+ Blocked was left as it is"
    )]
    CustomerStatusUnknown {
        /// The customer.
        customer: String,
        /// The status as Moment sent it.
        status: String,
    },
    /// Payment terms are mapped but not the customer's credit days.
    #[error(
        "customer {customer} has {credit_days} credit days, which have no DK+ payment term in the \
         configuration; the customer was sent without a payment term"
    )]
    PaymentTermNotMapped {
        /// The customer.
        customer: String,
        /// The credit days.
        credit_days: i64,
    },
    /// A foreign-currency invoice without an exchange rate in Moment.
    #[error(
        "the invoice is in {currency} but Moment gives no exchange rate: DK+ books it at its own \
         rate of the invoice date, so the ISK amounts may differ from Moment's"
    )]
    ExchangeRateNotGiven {
        /// The currency code.
        currency: String,
    },
    /// A credit note that names no credited invoice.
    #[error(
        "the credit note does not name the invoice it credits; the DK+ invoice text says nothing about it"
    )]
    CreditNoteWithoutOriginal,
    /// An existing DK+ invoice with the same reference and customer was accepted although DK+
    /// returned no total to compare.
    #[error(
        "DK+ invoice {dkplus} has the same reference and customer but DK+ returned no total to \
         compare; it was taken as this invoice and nothing was posted"
    )]
    ExistingInvoiceWithoutTotal {
        /// The DK+ invoice number.
        dkplus: String,
    },
}

serialize_with_message!(Warning);
