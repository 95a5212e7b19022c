//! Customers: Moment is master of the customer number; the record is upserted by number.

use dkplus_client::{CustomerNumber, CustomerWrite, Kennitala};
use moment_client::{Customer, CustomerStatus};

use super::kennitala::describe_customer;
use super::text::{check_text, non_blank};
use super::{MappingError, MomentObjectRef, Problem};
use crate::config::{IntegrationConfig, TownLine};
use crate::warning::Warning;

/// A customer ready for DK+: the body to create or update it, and what to look at.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedCustomer {
    /// The DK+ customer number (Moment's customer number, verbatim).
    pub number: CustomerNumber,
    /// Every field Moment is master of: a text Moment has no value for is `Some("")`, so an update
    /// clears it in DK+. Create with [`MappedCustomer::create_body`]; update with
    /// [`customer_changes`].
    pub write: CustomerWrite,
    /// Things that did not stop the transfer.
    pub warnings: Vec<Warning>,
}

impl MappedCustomer {
    /// The body of `POST /Customer`: [`write`](Self::write) without the empty texts.
    pub fn create_body(&self) -> CustomerWrite {
        let keep = |v: &Option<String>| v.clone().filter(|t| !t.is_empty());
        let w = &self.write;
        CustomerWrite {
            name: keep(&w.name),
            address1: keep(&w.address1),
            address2: keep(&w.address2),
            address3: keep(&w.address3),
            zip_code: keep(&w.zip_code),
            country_code: keep(&w.country_code),
            phone: keep(&w.phone),
            email: keep(&w.email),
            payment_term: keep(&w.payment_term),
            ..w.clone()
        }
    }
}

/// DK+'s `Address1`–`Address3` from Moment's street lines and town, placed as configured.
fn address_lines(
    street: [Option<&str>; 2],
    town: Option<&str>,
    placement: TownLine,
) -> [Option<String>; 3] {
    let streets: Vec<String> = street.into_iter().flatten().map(str::to_owned).collect();
    let town = town.map(str::to_owned);
    let mut lines: [Option<String>; 3] = [None, None, None];
    let town_at = match placement {
        TownLine::NotSent => None,
        TownLine::FirstFree => Some(streets.len()),
        TownLine::Address2 => Some(1),
        TownLine::Address3 => Some(2),
    };
    let mut free = (0..3).filter(|i| Some(*i) != town_at);
    for street in streets {
        if let Some(i) = free.next() {
            lines[i] = Some(street);
        }
    }
    if let (Some(i), Some(town)) = (town_at, town) {
        lines[i] = Some(town);
    }
    lines
}

/// Maps a Moment customer to the DK+ customer record.
///
/// - `Number` = Moment's customer number, verbatim (Moment is master).
/// - `Name`, `Phone`, `Email`, `CountryCode`, `ZipCode`; the street lines and the town in
///   `Address1`–`Address3` (DK+'s published model has no town field; where the town goes is
///   [`IntegrationConfig::town_line`], by default the first free line).
/// - A field Moment has no value for is written as `""`, so an update clears it in DK+.
/// - Status Active/Potential → `Blocked = false`; Blocked/Inactive → `Blocked = true`; an
///   unknown status leaves `Blocked` out and warns.
/// - The kennitala is **not** part of the customer record: DK+'s published customer model has no
///   field for it. It reaches DK+ on every invoice (`Customer.SSN`), and DK's convention of using
///   the kennitala as the customer number applies only where Moment's number already is one. A
///   missing or invalid kennitala warns here (the customer's invoices will be refused).
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

    match non_blank(customer.organization_number.as_deref()) {
        None => warnings.push(Warning::CustomerKennitalaMissing {
            customer: who.clone(),
        }),
        Some(raw) => {
            if let Err(err) = Kennitala::parse(raw) {
                warnings.push(Warning::CustomerKennitalaInvalid {
                    customer: who.clone(),
                    value: raw.to_owned(),
                    reason: err.to_string(),
                });
            }
        }
    }

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
    let [address1, address2, address3] = address_lines(
        [
            non_blank(customer.address_line1.as_deref()),
            non_blank(customer.address_line2.as_deref()),
        ],
        non_blank(customer.city.as_deref()),
        config.town_line(),
    );
    let text = |value: Option<&str>| Some(non_blank(value).unwrap_or_default().to_owned());
    let write = CustomerWrite {
        number: Some(number.clone()),
        name: Some(name.to_owned()),
        address1: Some(address1.unwrap_or_default()),
        address2: Some(address2.unwrap_or_default()),
        address3: Some(address3.unwrap_or_default()),
        zip_code: text(customer.postal_code.as_deref()),
        country_code: Some(country_code.unwrap_or_default()),
        phone: text(customer.phone.as_deref()),
        email: text(customer.email.as_deref()),
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
/// number); `None` when DK+ already has everything Moment sends. A text Moment has no value for
/// (`Some("")`) clears the field in DK+; texts compare without surrounding space, and DK+'s
/// `null` and `""` both count as empty. Fields Moment does not send are left as they are.
pub fn customer_changes(
    wanted: &CustomerWrite,
    existing: &dkplus_client::Customer,
) -> Option<CustomerWrite> {
    fn text(want: &Option<String>, have: &Option<String>) -> Option<String> {
        let want = want.as_deref()?.trim();
        let have = have.as_deref().map(str::trim).unwrap_or_default();
        (have != want).then(|| want.to_owned())
    }
    let changes = CustomerWrite {
        number: None,
        name: text(&wanted.name, &existing.name),
        address1: text(&wanted.address1, &existing.address1),
        address2: text(&wanted.address2, &existing.address2),
        address3: text(&wanted.address3, &existing.address3),
        zip_code: text(&wanted.zip_code, &existing.zip_code),
        country_code: wanted
            .country_code
            .as_ref()
            .filter(|want| {
                !existing
                    .country_code
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case(want.trim())
            })
            .cloned(),
        phone: text(&wanted.phone, &existing.phone),
        email: text(&wanted.email, &existing.email),
        blocked: wanted
            .blocked
            .filter(|want| existing.blocked.unwrap_or(false) != *want),
        payment_term: wanted
            .payment_term
            .as_ref()
            .and_then(|_| text(&wanted.payment_term, &existing.payment_term)),
        ..CustomerWrite::default()
    };
    (changes != CustomerWrite::default()).then_some(changes)
}
