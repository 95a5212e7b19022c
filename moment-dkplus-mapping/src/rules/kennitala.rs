//! The kennitala rule: an invoice's customer must have a valid kennitala.

use dkplus_client::Kennitala;
use moment_client::Customer;

use super::Problem;
use super::text::printable;

/// Describes a customer the way a person finds it in Moment: "number (name)".
pub(crate) fn describe_customer(customer: &Customer) -> String {
    let number = customer
        .customer_number
        .as_ref()
        .map(|n| printable(n.as_str()));
    let name = customer.name.as_deref().map(printable);
    match (number, name) {
        (Some(n), Some(name)) => format!("{n} ({name})"),
        (Some(n), None) => n.into_owned(),
        (None, Some(name)) => format!("\"{name}\" [Moment id {}]", customer.id.get()),
        (None, None) => format!("[Moment id {}]", customer.id.get()),
    }
}

/// The customer's kennitala, checked: accepts `DDMMYY-NNNN`, `DDMMYYNNNN` and surrounding
/// spaces. A missing or invalid kennitala is a [`Problem`] that names the customer.
pub fn invoice_kennitala(customer: &Customer) -> Result<Kennitala, Problem> {
    let raw = customer
        .organization_number
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let Some(raw) = raw else {
        return Err(Problem::KennitalaMissing {
            customer: describe_customer(customer),
        });
    };
    Kennitala::parse(raw).map_err(|err| Problem::KennitalaInvalid {
        customer: describe_customer(customer),
        value: raw.to_owned(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use moment_client::{CustomerId, CustomerNumber};

    fn customer(org: Option<&str>) -> Customer {
        Customer {
            id: CustomerId::new(7),
            customer_number: Some(CustomerNumber::new("10001")),
            name: Some("Jón ehf.".into()),
            organization_number: org.map(Into::into),
            ..Customer::default()
        }
    }

    #[test]
    fn kennitala_table() {
        // (input, Ok(10 digits) or Err(kind))
        let cases: &[(Option<&str>, Result<&str, &str>)] = &[
            (Some("4710080280"), Ok("4710080280")),
            (Some("471008-0280"), Ok("4710080280")),
            (Some(" 471008-0280 "), Ok("4710080280")),
            (Some("1203735609"), Ok("1203735609")),
            (None, Err("missing")),
            (Some("   "), Err("missing")),
            (Some("4710080281"), Err("invalid")),
            (Some("47100802"), Err("invalid")),
            (Some("47100802AB"), Err("invalid")),
        ];
        for (input, expected) in cases {
            let got = invoice_kennitala(&customer(*input));
            match (got, expected) {
                (Ok(k), Ok(digits)) => assert_eq!(k.as_str(), *digits, "{input:?}"),
                (Err(Problem::KennitalaMissing { customer }), Err("missing")) => {
                    assert_eq!(customer, "10001 (Jón ehf.)")
                }
                (
                    Err(Problem::KennitalaInvalid {
                        customer, value, ..
                    }),
                    Err("invalid"),
                ) => {
                    assert_eq!(customer, "10001 (Jón ehf.)");
                    assert_eq!(Some(value.as_str()), input.map(str::trim));
                }
                (got, expected) => panic!("{input:?}: got {got:?}, expected {expected:?}"),
            }
        }
    }
}
