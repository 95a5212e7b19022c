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
    // DK+ cuts over-long texts silently: refuse them, naming the field and the limit.
    let limits = config.text_limits();
    let address_lines = [&address1, &address2, &address3];
    let mut too_long = Vec::new();
    let mut check = |field: &str, value: Option<&str>, max: usize, fix: &'static str| {
        if let Some(v) = value {
            let length = v.chars().count();
            if length > max {
                too_long.push(Problem::TextTooLong {
                    field: field.to_owned(),
                    fix,
                    length,
                    max,
                });
            }
        }
    };
    check(
        "the customer name",
        Some(name),
        limits.customer_name,
        "shorten the customer's name in Moment, or raise the configured limit if your DK+ keeps longer names",
    );
    for (i, line) in address_lines.iter().enumerate() {
        check(
            &format!("address line {} in DK+ (street or town)", i + 1),
            line.as_deref(),
            limits.address_line,
            "shorten the customer's address in Moment",
        );
    }
    check(
        "the postal code",
        non_blank(customer.postal_code.as_deref()),
        limits.postal_code,
        "correct the postal code in Moment",
    );
    check(
        "the phone number",
        non_blank(customer.phone.as_deref()),
        limits.phone,
        "shorten the phone number in Moment",
    );
    check(
        "the e-mail address",
        non_blank(customer.email.as_deref()),
        limits.email,
        "shorten the e-mail address in Moment",
    );
    if !too_long.is_empty() {
        return Err(MappingError {
            object: MomentObjectRef::Customer {
                id: customer.id.get(),
                number: Some(number.to_string()),
                name: customer.name.clone(),
            },
            problems: too_long,
        });
    }
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

/// A company name for comparing: lower case, punctuation dropped, Icelandic company suffixes
/// (`ehf.`, `hf.`, `slf.`, `sf.`, `ses.`, `ohf.`, `bs.`) dropped, spaces folded.
fn name_words(name: &str) -> Vec<String> {
    const SUFFIXES: [&str; 7] = ["ehf", "hf", "slf", "sf", "ses", "ohf", "bs"];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !SUFFIXES.contains(w))
        .map(str::to_owned)
        .collect()
}

/// `true` when the DK+ record's name is Moment's (ignoring case, punctuation and company
/// suffixes), or DK+ has no name to compare.
pub fn names_agree(moment: &str, dkplus: Option<&str>) -> bool {
    match dkplus.map(str::trim).filter(|n| !n.is_empty()) {
        None => true,
        Some(dkplus) => name_words(moment) == name_words(dkplus),
    }
}

/// Why a DK+ customer is not the legal entity of Moment's customer with the same number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityMismatch {
    /// Who the DK+ record is.
    pub dkplus: String,
    /// Who Moment's customer is.
    pub moment: String,
    /// The evidence.
    pub reason: String,
}

/// Decides whether a DK+ customer with Moment's customer number is Moment's legal entity before
/// it is overwritten or invoiced. The kennitala decides wherever both sides tell it — DK+ prints
/// the customer's kennitala on its invoices (`dkplus_kennitalas`), Moment has the organization
/// number — also when the names agree (two people of one name). Without a kennitala on both
/// sides, the names decide (ignoring case, punctuation and company suffixes); names that differ
/// are a rename only when the record's contact details are Moment's (`contact_matches`: its
/// street and postal code, its phone or its e-mail); otherwise a person confirms.
///
/// # Errors
/// An [`IdentityMismatch`] naming both sides and the evidence.
pub fn same_legal_entity(
    moment_name: &str,
    moment_kennitala: Option<&Kennitala>,
    dkplus_name: Option<&str>,
    dkplus_kennitalas: &[String],
    contact_matches: bool,
) -> Result<(), IdentityMismatch> {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let mut known: Vec<String> = dkplus_kennitalas
        .iter()
        .map(|k| digits(k))
        .filter(|k| k.len() == 10)
        .collect();
    known.sort();
    known.dedup();
    let describe = |name: Option<&str>, kennitala: Option<&str>| match (name, kennitala) {
        (Some(n), Some(k)) => format!("\"{n}\" (kennitala {k})"),
        (Some(n), None) => format!("\"{n}\""),
        (None, Some(k)) => format!("kennitala {k}"),
        (None, None) => "without name".to_owned(),
    };
    let mismatch = |reason: String| IdentityMismatch {
        dkplus: describe(dkplus_name, known.first().map(String::as_str)),
        moment: describe(Some(moment_name), moment_kennitala.map(Kennitala::as_str)),
        reason,
    };
    if let (Some(moment), false) = (moment_kennitala, known.is_empty()) {
        return if known.iter().any(|k| k == moment.as_str()) {
            Ok(())
        } else {
            Err(mismatch(format!(
                "its invoices in DK+ carry the kennitala {}, Moment's customer has {}",
                known.join(", "),
                moment.as_str()
            )))
        };
    }
    if names_agree(moment_name, dkplus_name) || contact_matches {
        Ok(())
    } else {
        Err(mismatch(
            "the names differ, and neither a kennitala nor the contact details show it is the \
             same company"
                .to_owned(),
        ))
    }
}

/// `true` when a DK+ customer record has Moment's contact details: street and postal code, or
/// phone, or e-mail (each non-empty and equal ignoring case and surrounding space).
pub fn contact_matches(wanted: &CustomerWrite, existing: &dkplus_client::Customer) -> bool {
    let same = |a: &Option<String>, b: &Option<String>| {
        let (a, b) = (
            a.as_deref().map(str::trim).unwrap_or_default(),
            b.as_deref().map(str::trim).unwrap_or_default(),
        );
        !a.is_empty() && a.eq_ignore_ascii_case(b)
    };
    (same(&wanted.address1, &existing.address1) && same(&wanted.zip_code, &existing.zip_code))
        || same(&wanted.phone, &existing.phone)
        || same(&wanted.email, &existing.email)
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    fn kt(s: &str) -> Kennitala {
        Kennitala::parse(s).unwrap()
    }

    #[test]
    fn names_agree_without_case_punctuation_or_company_suffix() {
        assert!(names_agree("Norðurljós ehf.", Some("NORÐURLJÓS EHF")));
        assert!(names_agree("Norðurljós ehf.", Some("Norðurljós")));
        assert!(names_agree("Norðurljós ehf.", None));
        assert!(names_agree("Norðurljós ehf.", Some("  ")));
        assert!(!names_agree(
            "Norðurljós ehf.",
            Some("Norðurljós og synir ehf.")
        ));
    }

    #[test]
    fn identity_table() {
        let nordurljos = kt("4710080280");
        let other = "1203735609".to_owned();
        // (Moment name, Moment kt, DK+ name, DK+ kts, same entity?)
        type Case<'a> = (
            &'a str,
            Option<&'a Kennitala>,
            Option<&'a str>,
            Vec<String>,
            bool,
        );
        let cases: [Case<'_>; 8] = [
            // (the contact details do not match in these cases)
            // The kennitala decides when both sides tell it — a rename, or one name for two.
            (
                "Aurora ehf.",
                Some(&nordurljos),
                Some("Norðurljós ehf."),
                vec!["471008-0280".into()],
                true,
            ),
            (
                "Norðurljós ehf.",
                Some(&nordurljos),
                Some("Norðurljós ehf."),
                vec![other.clone()],
                false,
            ),
            (
                "Jón Jónsson",
                Some(&nordurljos),
                Some("Jón Jónsson"),
                vec![other.clone()],
                false,
            ),
            // Without a kennitala to compare, only the same name is the same company.
            (
                "Norðurljós ehf.",
                Some(&nordurljos),
                Some("NORÐURLJÓS EHF"),
                vec![],
                true,
            ),
            (
                "Norðurljós og synir ehf.",
                Some(&nordurljos),
                Some("Norðurljós ehf."),
                vec![],
                false,
            ),
            (
                "Fasteignafélagið Reitir",
                None,
                Some("Fasteignafélagið Eik"),
                vec![],
                false,
            ),
            (
                "Fjallasýn hf.",
                None,
                Some("Norðurljós ehf."),
                vec!["4710080280".into()],
                false,
            ),
            ("Fjallasýn hf.", None, None, vec![], true),
        ];
        for (name, moment_kt, dk_name, dk_kts, same) in cases {
            let verdict = same_legal_entity(name, moment_kt, dk_name, &dk_kts, false);
            assert_eq!(
                verdict.is_ok(),
                same,
                "{name} / {dk_name:?} / {dk_kts:?}: {verdict:?}"
            );
        }
        // A renamed company whose record still has Moment's contact details is updated.
        assert!(
            same_legal_entity(
                "Norðurljós og synir ehf.",
                None,
                Some("Norðurljós ehf."),
                &[],
                true
            )
            .is_ok()
        );
        // The contact details never outvote a kennitala.
        assert!(
            same_legal_entity(
                "X",
                Some(&nordurljos),
                Some("Y"),
                std::slice::from_ref(&other),
                true
            )
            .is_err()
        );
        let err = same_legal_entity(
            "Norðurljós ehf.",
            Some(&nordurljos),
            Some("Fjallasýn hf."),
            &[other],
            false,
        )
        .unwrap_err();
        assert_eq!(err.dkplus, "\"Fjallasýn hf.\" (kennitala 1203735609)");
        assert_eq!(err.moment, "\"Norðurljós ehf.\" (kennitala 4710080280)");
    }
}
