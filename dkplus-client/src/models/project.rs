//! Projects (DK "jobs", `/project`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{DiscountType, JobBillingMode, JobStatus, JobType};
use crate::ids::{CustomerNumber, ProjectNumber};

/// A DK+ project (a DK "job") as read from `GET /project/{number}` and the project listings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    /// Project (job) number.
    #[serde(
        rename = "Number",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub number: Option<ProjectNumber>,
    /// Name.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Name in a foreign language.
    #[serde(rename = "ForeignName")]
    pub foreign_name: Option<String>,
    /// Project group.
    #[serde(rename = "Group")]
    pub group: Option<String>,
    /// Parent project.
    #[serde(
        rename = "MasterJobNumber",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub master_job_number: Option<ProjectNumber>,
    /// Quotation number.
    #[serde(
        rename = "QuotationNumber",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub quotation_number: Option<i64>,
    /// Customer that is billed.
    #[serde(
        rename = "CustomerToBill",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub customer_to_bill: Option<CustomerNumber>,
    /// Name of the billed customer (read-only).
    #[serde(rename = "CustomerNameToBill")]
    pub customer_name_to_bill: Option<String>,
    /// Receiving customer (wire name misspelt by DK+).
    #[serde(
        rename = "CustomerToRecieve",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub customer_to_receive: Option<CustomerNumber>,
    /// Employee who founded the project.
    #[serde(rename = "Founder")]
    pub founder: Option<String>,
    /// Owning employee.
    #[serde(rename = "Owner")]
    pub owner: Option<String>,
    /// Supervising employee.
    #[serde(rename = "Supervisor")]
    pub supervisor: Option<String>,
    /// Assigned employee.
    #[serde(rename = "Worker")]
    pub worker: Option<String>,
    /// Contact person.
    #[serde(rename = "JobContactName")]
    pub job_contact_name: Option<String>,
    /// Dimension 1.
    #[serde(rename = "Dim1")]
    pub dim1: Option<String>,
    /// Dimension 2.
    #[serde(rename = "Dim2")]
    pub dim2: Option<String>,
    /// Dimension 3.
    #[serde(rename = "Dim3")]
    pub dim3: Option<String>,
    /// Founding date.
    #[serde(rename = "FoundingDate", with = "crate::wire::dates::date_opt")]
    pub founding_date: Option<NaiveDate>,
    /// Estimated start (wire name misspelt by DK+).
    #[serde(
        rename = "EstimatedBeginingDate",
        with = "crate::wire::dates::date_opt"
    )]
    pub estimated_beginning_date: Option<NaiveDate>,
    /// Estimated finish.
    #[serde(rename = "EstimatedFinishDate", with = "crate::wire::dates::date_opt")]
    pub estimated_finish_date: Option<NaiveDate>,
    /// Actual start (wire name misspelt by DK+).
    #[serde(rename = "ActualBeginingDate", with = "crate::wire::dates::date_opt")]
    pub actual_beginning_date: Option<NaiveDate>,
    /// Actual finish.
    #[serde(rename = "ActualFinishDate", with = "crate::wire::dates::date_opt")]
    pub actual_finish_date: Option<NaiveDate>,
    /// Kind of project.
    #[serde(rename = "JobType")]
    pub job_type: Option<JobType>,
    /// Status.
    #[serde(rename = "JobStatus")]
    pub job_status: Option<JobStatus>,
    /// How the project is billed.
    #[serde(rename = "JobBillingMode")]
    pub job_billing_mode: Option<JobBillingMode>,
    /// Quoted amount.
    #[serde(rename = "QuotationAmount", with = "crate::wire::decimal::decimal_opt")]
    pub quotation_amount: Option<Decimal>,
    /// Whether the quoted amount includes VAT.
    #[serde(
        rename = "QuotationAmountWithVAT",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub quotation_amount_with_vat: Option<bool>,
    /// Currency of the quotation.
    #[serde(rename = "QuotationCurrencyCode")]
    pub quotation_currency_code: Option<String>,
    /// Ledger code.
    #[serde(rename = "LedgerCode")]
    pub ledger_code: Option<String>,
    /// Which discount applies.
    #[serde(rename = "DiscountType")]
    pub discount_type: Option<DiscountType>,
    /// Project discount in percent.
    #[serde(
        rename = "JobDiscountPercent",
        with = "crate::wire::decimal::decimal_opt"
    )]
    pub job_discount_percent: Option<Decimal>,
    /// Invoice without VAT.
    #[serde(
        rename = "SkipTaxOnInvoice",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub skip_tax_on_invoice: Option<bool>,
    /// Last modification time (UTC).
    #[serde(rename = "Modified", with = "crate::wire::dates::timestamp_opt")]
    pub modified: Option<DateTime<Utc>>,
}

/// The body for `POST /project`. DK+ has no endpoint to update a project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectCreate {
    /// Project number (required; DK+ refuses a number that exists).
    #[serde(rename = "Number")]
    pub number: ProjectNumber,
    /// Name.
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Customer that is billed.
    #[serde(rename = "CustomerToBill", skip_serializing_if = "Option::is_none")]
    pub customer_to_bill: Option<CustomerNumber>,
    /// Project group.
    #[serde(rename = "Group", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Parent project.
    #[serde(rename = "MasterJobNumber", skip_serializing_if = "Option::is_none")]
    pub master_job_number: Option<ProjectNumber>,
    /// Employee who founded the project.
    #[serde(rename = "Founder", skip_serializing_if = "Option::is_none")]
    pub founder: Option<String>,
    /// Owning employee.
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Supervising employee.
    #[serde(rename = "Supervisor", skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
    /// Contact person.
    #[serde(rename = "JobContactName", skip_serializing_if = "Option::is_none")]
    pub job_contact_name: Option<String>,
    /// Name in a foreign language.
    #[serde(rename = "ForeignName", skip_serializing_if = "Option::is_none")]
    pub foreign_name: Option<String>,
    /// Dimension 1.
    #[serde(rename = "Dim1", skip_serializing_if = "Option::is_none")]
    pub dim1: Option<String>,
    /// Dimension 2.
    #[serde(rename = "Dim2", skip_serializing_if = "Option::is_none")]
    pub dim2: Option<String>,
    /// Dimension 3.
    #[serde(rename = "Dim3", skip_serializing_if = "Option::is_none")]
    pub dim3: Option<String>,
    /// Founding date.
    #[serde(
        rename = "FoundingDate",
        with = "crate::wire::dates::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub founding_date: Option<NaiveDate>,
    /// Estimated start.
    #[serde(
        rename = "EstimatedBeginingDate",
        with = "crate::wire::dates::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub estimated_beginning_date: Option<NaiveDate>,
    /// Estimated finish.
    #[serde(
        rename = "EstimatedFinishDate",
        with = "crate::wire::dates::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub estimated_finish_date: Option<NaiveDate>,
    /// Kind of project.
    #[serde(rename = "JobType", skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    /// Status.
    #[serde(rename = "JobStatus", skip_serializing_if = "Option::is_none")]
    pub job_status: Option<JobStatus>,
    /// How the project is billed.
    #[serde(rename = "JobBillingMode", skip_serializing_if = "Option::is_none")]
    pub job_billing_mode: Option<JobBillingMode>,
    /// Ledger code.
    #[serde(rename = "LedgerCode", skip_serializing_if = "Option::is_none")]
    pub ledger_code: Option<String>,
    /// Invoice without VAT.
    #[serde(rename = "SkipTaxOnInvoice", skip_serializing_if = "Option::is_none")]
    pub skip_tax_on_invoice: Option<bool>,
}
