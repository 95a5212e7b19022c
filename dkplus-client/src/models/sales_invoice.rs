//! Sales invoices (`/sales/invoice`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::SaleType;
use crate::ids::{CustomerNumber, InvoiceNumber, ItemCode, ProjectNumber, SalesPersonNumber};

/// A DK+ sales invoice as read from `GET /sales/invoice/{number}`, the listings and the answer to
/// `POST /sales/invoice`. Customer fields are a snapshot taken at invoicing time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesInvoice {
    /// Invoice number assigned by DK+.
    #[serde(
        rename = "Number",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub number: Option<InvoiceNumber>,
    /// DK+ internal record id.
    #[serde(
        rename = "RecordID",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub record_id: Option<i64>,
    /// When the invoice was created (UTC).
    #[serde(rename = "Created", with = "crate::wire::dates::timestamp_opt")]
    pub created: Option<DateTime<Utc>>,
    /// Last modification time (UTC).
    #[serde(rename = "Modified", with = "crate::wire::dates::timestamp_opt")]
    pub modified: Option<DateTime<Utc>>,
    /// User who created it.
    #[serde(rename = "CreatedBy")]
    pub created_by: Option<String>,
    /// Customer number.
    #[serde(
        rename = "CNumber",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub customer_number: Option<CustomerNumber>,
    /// Customer name at invoicing time.
    #[serde(rename = "CName")]
    pub customer_name: Option<String>,
    /// Customer address line 1.
    #[serde(rename = "CAddress1")]
    pub customer_address1: Option<String>,
    /// Customer address line 2.
    #[serde(rename = "CAddress2")]
    pub customer_address2: Option<String>,
    /// Customer postal code.
    #[serde(rename = "CZipCode")]
    pub customer_zip_code: Option<String>,
    /// Customer country code.
    #[serde(rename = "CCountryCode")]
    pub customer_country_code: Option<String>,
    /// Customer kennitala.
    #[serde(rename = "CSSNumber")]
    pub customer_ssn: Option<String>,
    /// Customer phone.
    #[serde(rename = "CPhone")]
    pub customer_phone: Option<String>,
    /// Customer contact.
    #[serde(rename = "CContact")]
    pub customer_contact: Option<String>,
    /// Sales order number.
    #[serde(
        rename = "OrderNumber",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub order_number: Option<i64>,
    /// Invoice date.
    #[serde(rename = "InvoiceDate", with = "crate::wire::dates::date_opt")]
    pub invoice_date: Option<NaiveDate>,
    /// Due date.
    #[serde(rename = "DueDate", with = "crate::wire::dates::date_opt")]
    pub due_date: Option<NaiveDate>,
    /// Invoice discount in percent.
    #[serde(rename = "DiscountPercent", with = "crate::wire::decimal::decimal_opt")]
    pub discount_percent: Option<Decimal>,
    /// Invoice discount amount.
    #[serde(rename = "Discount", with = "crate::wire::decimal::decimal_opt")]
    pub discount: Option<Decimal>,
    /// Total without VAT.
    #[serde(rename = "TotalAmount", with = "crate::wire::decimal::decimal_opt")]
    pub total_amount: Option<Decimal>,
    /// Total with VAT.
    #[serde(
        rename = "TotalAmountWithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub total_amount_with_tax: Option<Decimal>,
    /// Currency code.
    #[serde(rename = "Currency")]
    pub currency: Option<String>,
    /// Exchange rate.
    #[serde(rename = "Exchange", with = "crate::wire::decimal::decimal_opt")]
    pub exchange: Option<Decimal>,
    /// External reference (e.g. the id in the system that sent the invoice).
    #[serde(rename = "Reference")]
    pub reference: Option<String>,
    /// Voucher.
    #[serde(rename = "Voucher")]
    pub voucher: Option<String>,
    /// Settlement state, published as an integer (0 with nothing settled and 2 with the whole
    /// amount settled in DK's examples).
    #[serde(
        rename = "SettledType",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub settled_type: Option<i64>,
    /// Amount settled so far.
    #[serde(rename = "SettledAmount", with = "crate::wire::decimal::decimal_opt")]
    pub settled_amount: Option<Decimal>,
    /// Sales person (the read model spells it `SalePerson`).
    #[serde(
        rename = "SalePerson",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub sales_person: Option<SalesPersonNumber>,
    /// Free text 1.
    #[serde(rename = "Text1")]
    pub text1: Option<String>,
    /// Free text 2.
    #[serde(rename = "Text2")]
    pub text2: Option<String>,
    /// Dimension 1.
    #[serde(rename = "Dim1")]
    pub dim1: Option<String>,
    /// Dimension 2.
    #[serde(rename = "Dim2")]
    pub dim2: Option<String>,
    /// Origin code.
    #[serde(
        rename = "Origin",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub origin: Option<i64>,
    /// Payment term code.
    #[serde(rename = "PaymentTerm")]
    pub payment_term: Option<String>,
    /// Payment mode code.
    #[serde(rename = "PaymentMode")]
    pub payment_mode: Option<String>,
    /// Payment claim status.
    #[serde(
        rename = "ClaimStatus",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub claim_status: Option<i64>,
    /// Payment claim number.
    #[serde(
        rename = "ClaimNumber",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub claim_number: Option<i64>,
    /// Payment claim date.
    #[serde(rename = "ClaimDate", with = "crate::wire::dates::date_opt")]
    pub claim_date: Option<NaiveDate>,
    /// Debit (0) or credit (1); published as an integer.
    #[serde(
        rename = "SalesType",
        serialize_with = "crate::wire::enums::int_form_opt::serialize"
    )]
    pub sales_type: Option<SaleType>,
    /// Version counter.
    #[serde(
        rename = "Version",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub version: Option<i64>,
    /// Project (job) number.
    #[serde(
        rename = "Project",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub project: Option<ProjectNumber>,
    /// Item receiver number.
    #[serde(rename = "IRNumber")]
    pub receiver_number: Option<String>,
    /// Item receiver name.
    #[serde(rename = "IRName")]
    pub receiver_name: Option<String>,
    /// Item receiver address line 1.
    #[serde(rename = "IRAddress1")]
    pub receiver_address1: Option<String>,
    /// Item receiver address line 2.
    #[serde(rename = "IRAddress2")]
    pub receiver_address2: Option<String>,
    /// Item receiver postal code.
    #[serde(rename = "IRZipCode")]
    pub receiver_zip_code: Option<String>,
    /// Item receiver contact.
    #[serde(rename = "IRContact")]
    pub receiver_contact: Option<String>,
    /// External (e.g. dkPOS) invoice number.
    #[serde(
        rename = "ExternalInvoiceNumber",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub external_invoice_number: Option<i64>,
    /// Cash register (point of sale) of a POS invoice.
    #[serde(rename = "Register")]
    pub register: Option<String>,
    /// POS invoice number.
    #[serde(
        rename = "PosInvoice",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub pos_invoice: Option<i64>,
    /// Journal id.
    #[serde(
        rename = "JournalId",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub journal_id: Option<i64>,
    /// Lines; `None` unless requested (`includeLines=true` on listings).
    #[serde(rename = "Lines")]
    pub lines: Option<Vec<SalesInvoiceLine>>,
}

/// A line of a [`SalesInvoice`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesInvoiceLine {
    /// Line sequence number (e.g. 20000).
    #[serde(
        rename = "SequenceNumber",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub sequence_number: Option<i64>,
    /// Product item code.
    #[serde(
        rename = "ItemCode",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub item_code: Option<ItemCode>,
    /// Line text.
    #[serde(rename = "Text")]
    pub text: Option<String>,
    /// Second line text.
    #[serde(rename = "Text2")]
    pub text2: Option<String>,
    /// Warehouse.
    #[serde(rename = "Warehouse")]
    pub warehouse: Option<String>,
    /// Quantity (negative on credit lines).
    #[serde(rename = "Quantity", with = "crate::wire::decimal::decimal_opt")]
    pub quantity: Option<Decimal>,
    /// Quantity per unit.
    #[serde(rename = "UnitQuantity", with = "crate::wire::decimal::decimal_opt")]
    pub unit_quantity: Option<Decimal>,
    /// Unit code.
    #[serde(rename = "UnitCode")]
    pub unit_code: Option<String>,
    /// Unit price without VAT.
    #[serde(rename = "UnitPrice", with = "crate::wire::decimal::decimal_opt")]
    pub unit_price: Option<Decimal>,
    /// Unit price with VAT.
    #[serde(
        rename = "UnitPriceWithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub unit_price_with_tax: Option<Decimal>,
    /// Discount in percent.
    #[serde(rename = "Discount", with = "crate::wire::decimal::decimal_opt")]
    pub discount: Option<Decimal>,
    /// Discount amount without VAT.
    #[serde(rename = "DiscountAmount", with = "crate::wire::decimal::decimal_opt")]
    pub discount_amount: Option<Decimal>,
    /// Discount amount with VAT.
    #[serde(
        rename = "DiscountAmountWithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub discount_amount_with_tax: Option<Decimal>,
    /// Line total without VAT.
    #[serde(rename = "TotalAmount", with = "crate::wire::decimal::decimal_opt")]
    pub total_amount: Option<Decimal>,
    /// Line total with VAT.
    #[serde(
        rename = "TotalAmountWithTax",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub total_amount_with_tax: Option<Decimal>,
    /// Dimension 1.
    #[serde(rename = "Dim1")]
    pub dim1: Option<String>,
}

/// The customer block of a new invoice (`Customer`). The customer should exist in DK+ already
/// (create it first with `client.customers().create(..)`); only `number` is needed then.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceCustomer {
    /// Customer number (required).
    #[serde(rename = "Number")]
    pub number: CustomerNumber,
    /// Kennitala.
    #[serde(rename = "SSN", skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// Name.
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone.
    #[serde(rename = "Phone", skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(rename = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Address line 1.
    #[serde(rename = "Address1", skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// Address line 2.
    #[serde(rename = "Address2", skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// Address line 3.
    #[serde(rename = "Address3", skip_serializing_if = "Option::is_none")]
    pub address3: Option<String>,
    /// Address line 4.
    #[serde(rename = "Address4", skip_serializing_if = "Option::is_none")]
    pub address4: Option<String>,
    /// Postal code.
    #[serde(rename = "ZipCode", skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// Country.
    #[serde(rename = "Country", skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A line of a new invoice. VAT is not set per line: DK+ takes it from the product and the
/// customer's `NoVat` flag.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesInvoiceLineCreate {
    /// Item code of an existing product (required).
    #[serde(rename = "ItemCode")]
    pub item_code: ItemCode,
    /// Quantity (negative on credit lines).
    #[serde(rename = "Quantity", with = "crate::wire::decimal::decimal_num")]
    pub quantity: Decimal,
    /// Unit price; including VAT when `including_vat` is `Some(true)`.
    #[serde(rename = "Price", with = "crate::wire::decimal::decimal_num")]
    pub price: Decimal,
    /// Line text (DK+ uses the product description when absent).
    #[serde(rename = "Text", skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Second line text.
    #[serde(rename = "Text2", skip_serializing_if = "Option::is_none")]
    pub text2: Option<String>,
    /// Discount in percent (0–100).
    #[serde(
        rename = "Discount",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount: Option<Decimal>,
    /// Discount amount for the line.
    #[serde(
        rename = "DiscountAmount",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_amount: Option<Decimal>,
    /// True when `price` (and `discount_amount`) include VAT.
    #[serde(rename = "IncludingVAT", skip_serializing_if = "Option::is_none")]
    pub including_vat: Option<bool>,
    /// Line total (optional; DK+ computes it).
    #[serde(
        rename = "Total",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<Decimal>,
    /// Warehouse (default: the company warehouse).
    #[serde(rename = "Warehouse", skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Line reference.
    #[serde(rename = "Reference", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Line memo.
    #[serde(rename = "Memo", skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Dimension 1.
    #[serde(rename = "Dim1", skip_serializing_if = "Option::is_none")]
    pub dim1: Option<String>,
}

/// The body for `POST /sales/invoice`. There is no `Number`: DK+ assigns it.
///
/// Set `reference` to a key that is unique in your system: it is how an invoice whose creation
/// had an uncertain outcome is found again (see [`crate::Error::may_have_been_applied`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesInvoiceCreate {
    /// The customer (required).
    #[serde(rename = "Customer")]
    pub customer: InvoiceCustomer,
    /// Sales person. When absent DK+ picks the sales person of the token user, else one numbered
    /// `vef` or `web`, else refuses the invoice.
    #[serde(rename = "SalesPerson", skip_serializing_if = "Option::is_none")]
    pub sales_person: Option<SalesPersonNumber>,
    /// External reference; searchable with `by_reference`, and the key for finding an invoice again
    /// after an uncertain outcome.
    #[serde(rename = "Reference", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Invoice date (default: today).
    #[serde(
        rename = "Date",
        with = "crate::wire::dates::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<NaiveDate>,
    /// Due date (default: from the payment term).
    #[serde(
        rename = "DueDate",
        with = "crate::wire::dates::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<NaiveDate>,
    /// Payment term code (default: the customer's).
    #[serde(rename = "Term", skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// Payment mode code.
    #[serde(rename = "Mode", skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Currency code, e.g. `ISK`.
    #[serde(rename = "Currency", skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Exchange rate.
    #[serde(
        rename = "Exchange",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub exchange: Option<Decimal>,
    /// Free text 1 (at most 2000 characters).
    #[serde(rename = "Text1", skip_serializing_if = "Option::is_none")]
    pub text1: Option<String>,
    /// Free text 2 (at most 2000 characters).
    #[serde(rename = "Text2", skip_serializing_if = "Option::is_none")]
    pub text2: Option<String>,
    /// Project (job) number.
    #[serde(rename = "Project", skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectNumber>,
    /// Debit (default), credit, ...
    #[serde(rename = "SaleType", skip_serializing_if = "Option::is_none")]
    pub sale_type: Option<SaleType>,
    /// Pricing options.
    #[serde(rename = "Options", skip_serializing_if = "Option::is_none")]
    pub options: Option<InvoiceOptions>,
    /// The lines (at least one).
    #[serde(rename = "Lines")]
    pub lines: Vec<SalesInvoiceLineCreate>,
}

/// Pricing options of a new invoice (`Options`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceOptions {
    /// Let DK+ use its own prices instead of the line prices.
    #[serde(rename = "OriginalPrices", skip_serializing_if = "Option::is_none")]
    pub original_prices: Option<bool>,
}
