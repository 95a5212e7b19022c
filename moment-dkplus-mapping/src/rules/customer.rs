//! Customers: Moment is master of the customer number; the record is upserted by number.

use dkplus_client::{CustomerNumber, CustomerWrite, Kennitala};
use moment_client::{Customer, CustomerStatus};

use super::kennitala::describe_customer;
use super::text::{check_text, non_blank};
use super::{MappingError, MomentObjectRef, Problem};
use crate::config::IntegrationConfig;
use crate::warning::Warning;

/// A customer ready for DK+: the body to create or update it, and what to look at.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedCustomer {
    /// The DK+ customer number (Moment's customer number, verbatim).
    pub number: CustomerNumber,
    /// The full body. Create sends it as is; an update sends it without `Number`.
    pub write: CustomerWrite,
    /// Things that did not stop the transfer.
    pub warnings: Vec<Warning>,
}

/// Maps a Moment customer to the DK+ customer record.
///
/// - `Number` = Moment's customer number, verbatim (Moment is master).
/// - `Name`, `Phone`, `Email`, `Address1`/`Address2`, `ZipCode`, `City`, `CountryCode`.
/// - Status Active/Potential → `Blocked = false`; Blocked/Inactive → `Blocked = true`; an
///   unknown status leaves `Blocked` out and warns.
/// - The kennitala goes to `SSNumber` when it is valid; a missing or invalid one warns (its
///   invoices will be refused) but does not stop the customer.
/// - The payment term is sent only when the configuration maps the customer's credit days.
///
/// # Errors
/// A [`MappingError`] listing every problem: no customer number, no name, an invalid country
/// code, control characters.
pub fn map_customer(
    customer: &Customer,
    config: &IntegrationConfig,
) -> Result<MappedCustomer, MappingError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let who = describe_customer(customer);

    let number = customer
        .customer_number
        .as_ref()
        .map(|n| n.as_str())
        .filter(|n| !n.trim().is_empty());
    match number {
        None => problems.push(Problem::CustomerNumberMissing),
        Some(n) if n.chars().any(char::is_control) => problems.push(Problem::ControlCharacters {
            field: "the customer number".into(),
        }),
        Some(_) => {}
    }
    let name = non_blank(customer.name.as_deref());
    if name.is_none() {
        problems.push(Problem::CustomerNameMissing);
    }
    for (value, field) in [
        (customer.name.as_deref(), "the customer name"),
        (customer.phone.as_deref(), "the phone number"),
        (customer.email.as_deref(), "the e-mail address"),
        (customer.address_line1.as_deref(), "address line 1"),
        (customer.address_line2.as_deref(), "address line 2"),
        (customer.postal_code.as_deref(), "the postal code"),
        (customer.city.as_deref(), "the city"),
    ] {
        check_text(value, || field.to_owned(), &mut problems);
    }
    let country_code = match non_blank(customer.country_code.as_deref()) {
        Some(code) if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(code.to_ascii_uppercase())
        }
        Some(code) => {
            problems.push(Problem::CountryCodeInvalid(code.to_owned()));
            None
        }
        None => None,
    };

    let blocked = match &customer.status {
        Some(CustomerStatus::Active | CustomerStatus::Potential) => Some(false),
        Some(CustomerStatus::Blocked | CustomerStatus::Inactive) => Some(true),
        Some(other) => {
            warnings.push(Warning::CustomerStatusUnknown {
                customer: who.clone(),
                status: other.as_wire().to_owned(),
            });
            None
        }
        None => None,
    };

    let ss_number = match non_blank(customer.organization_number.as_deref()) {
        None => {
            warnings.push(Warning::CustomerKennitalaMissing {
                customer: who.clone(),
            });
            None
        }
        Some(raw) => match Kennitala::parse(raw) {
            Ok(kennitala) => Some(kennitala.as_str().to_owned()),
            Err(err) => {
                warnings.push(Warning::CustomerKennitalaInvalid {
                    customer: who.clone(),
                    value: raw.to_owned(),
                    reason: err.to_string(),
                });
                None
            }
        },
    };

    let payment_term = match customer.credit_days {
        Some(days) if !config.payment_terms().is_empty() => {
            match config.payment_terms().get(&days) {
                Some(code) => Some(code.clone()),
                None => {
                    warnings.push(Warning::PaymentTermNotMapped {
                        customer: who.clone(),
                        credit_days: days,
                    });
                    None
                }
            }
        }
        _ => None,
    };

    let (Some(number), Some(name), true) = (number, name, problems.is_empty()) else {
        return Err(MappingError {
            object: MomentObjectRef::Customer {
                id: customer.id.get(),
                number: number.map(str::to_owned),
                name: customer.name.clone(),
            },
            problems,
        });
    };
    let number = CustomerNumber::new(number);
    let write = CustomerWrite {
        number: Some(number.clone()),
        name: Some(name.to_owned()),
        ss_number,
        address1: non_blank(customer.address_line1.as_deref()).map(str::to_owned),
        address2: non_blank(customer.address_line2.as_deref()).map(str::to_owned),
        zip_code: non_blank(customer.postal_code.as_deref()).map(str::to_owned),
        city: non_blank(customer.city.as_deref()).map(str::to_owned),
        country_code,
        phone: non_blank(customer.phone.as_deref()).map(str::to_owned),
        email: non_blank(customer.email.as_deref()).map(str::to_owned),
        blocked,
        payment_term,
        ..CustomerWrite::default()
    };
    Ok(MappedCustomer {
        number,
        write,
        warnings,
    })
}

/// The fields of `wanted` that differ from the DK+ record, as a partial update (never the
/// number); `None` when DK+ already has everything Moment sends. Fields Moment does not send
/// are left as they are in DK+.
pub fn customer_changes(
    wanted: &CustomerWrite,
    existing: &dkplus_client::Customer,
) -> Option<CustomerWrite> {
    fn text(want: &Option<String>, have: &Option<String>) -> Option<String> {
        let want = want.as_deref()?;
        (have.as_deref().map(str::trim) != Some(want.trim())).then(|| want.to_owned())
    }
    let changes = CustomerWrite {
        number: None,
        name: text(&wanted.name, &existing.name),
        ss_number: text(&wanted.ss_number, &existing.ss_number),
        address1: text(&wanted.address1, &existing.address1),
        address2: text(&wanted.address2, &existing.address2),
        zip_code: text(&wanted.zip_code, &existing.zip_code),
        city: text(&wanted.city, &existing.city),
        country_code: wanted
            .country_code
            .as_ref()
            .filter(|want| {
                !existing
                    .country_code
                    .as_deref()
                    .is_some_and(|have| have.eq_ignore_ascii_case(want))
            })
            .cloned(),
        phone: text(&wanted.phone, &existing.phone),
        email: text(&wanted.email, &existing.email),
        blocked: wanted
            .blocked
            .filter(|want| existing.blocked != Some(*want)),
        payment_term: text(&wanted.payment_term, &existing.payment_term),
        ..CustomerWrite::default()
    };
    (changes != CustomerWrite::default()).then_some(changes)
}
