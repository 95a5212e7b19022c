//! Table-driven tests of the customer and project rules.

mod support;

use moment_client::{CustomerNumber, CustomerStatus, Project, ProjectId, ProjectNumber};
use moment_dkplus_mapping::rules::{Problem, map_customer, map_project, project_drift};
use moment_dkplus_mapping::{IntegrationConfig, Warning};
use support::*;

#[test]
fn customer_fields_follow_the_contract() {
    let mapped = map_customer(&customer(), &config()).unwrap();
    assert_eq!(mapped.number.as_str(), "10001");
    let w = &mapped.write;
    assert_eq!(w.number.as_ref().map(|n| n.as_str()), Some("10001"));
    assert_eq!(w.name.as_deref(), Some("Norðurljós ehf."));
    assert_eq!(w.ss_number.as_deref(), Some(VALID_COMPANY_KT));
    assert_eq!(w.address1.as_deref(), Some("Laugavegur 1"));
    assert_eq!(w.zip_code.as_deref(), Some("101"));
    assert_eq!(w.city.as_deref(), Some("Reykjavík"));
    assert_eq!(w.country_code.as_deref(), Some("IS"));
    assert_eq!(w.phone.as_deref(), Some("5551234"));
    assert_eq!(w.blocked, Some(false));
    assert_eq!(w.payment_term, None, "payment term is not sent by default");
    assert!(mapped.warnings.is_empty());
}

#[test]
fn customer_number_is_verbatim() {
    let mut c = customer();
    c.customer_number = Some(CustomerNumber::new("K-0042/a"));
    assert_eq!(
        map_customer(&c, &config()).unwrap().number.as_str(),
        "K-0042/a"
    );
}

#[test]
fn status_table() {
    for (status, blocked) in [
        (Some(CustomerStatus::Active), Some(false)),
        (Some(CustomerStatus::Potential), Some(false)),
        (Some(CustomerStatus::Blocked), Some(true)),
        (Some(CustomerStatus::Inactive), Some(true)),
        (None, None),
        (Some(CustomerStatus::Unknown("ARCHIVED".into())), None),
    ] {
        let mut c = customer();
        c.status = status.clone();
        let mapped = map_customer(&c, &config()).unwrap();
        assert_eq!(mapped.write.blocked, blocked, "{status:?}");
        let unknown_warned = mapped.warnings.iter().any(
            |w| matches!(w, Warning::CustomerStatusUnknown { status, .. } if status == "ARCHIVED"),
        );
        assert_eq!(
            unknown_warned,
            matches!(status, Some(CustomerStatus::Unknown(_)))
        );
    }
}

#[test]
fn kennitala_on_the_customer_record() {
    for (org, ssn, warning) in [
        (Some("471008-0280"), Some(VALID_COMPANY_KT), None),
        (Some(" 1203735609 "), Some(VALID_PERSON_KT), None),
        (None, None, Some("missing")),
        (Some("471008-0281"), None, Some("invalid")),
    ] {
        let mut c = customer();
        c.organization_number = org.map(Into::into);
        let mapped = map_customer(&c, &config()).unwrap();
        assert_eq!(mapped.write.ss_number.as_deref(), ssn, "{org:?}");
        match warning {
            None => assert!(mapped.warnings.is_empty()),
            Some("missing") => assert!(matches!(
                &mapped.warnings[..],
                [Warning::CustomerKennitalaMissing { .. }]
            )),
            Some(_) => assert!(matches!(
                &mapped.warnings[..],
                [Warning::CustomerKennitalaInvalid { .. }]
            )),
        }
    }
}

#[test]
fn customer_problems_are_all_listed() {
    let mut c = customer();
    c.customer_number = None;
    c.name = Some("  ".into());
    c.country_code = Some("ISL".into());
    c.city = Some("Reykja\u{0}vík".into());
    let err = map_customer(&c, &config()).unwrap_err();
    assert_eq!(
        err.problems,
        vec![
            Problem::CustomerNumberMissing,
            Problem::CustomerNameMissing,
            Problem::ControlCharacters {
                field: "the city".into()
            },
            Problem::CountryCodeInvalid("ISL".into()),
        ]
    );
    assert!(err.to_string().contains("[Moment id 11]"), "{err}");
}

#[test]
fn payment_term_mapping_is_opt_in() {
    let mut c = customer();
    c.credit_days = Some(30);
    assert_eq!(
        map_customer(&c, &config()).unwrap().write.payment_term,
        None
    );
    let with_terms = IntegrationConfig::builder()
        .sales_person("vef")
        .payment_term(30, "m30")
        .payment_term(14, "d14")
        .build()
        .unwrap();
    assert_eq!(
        map_customer(&c, &with_terms)
            .unwrap()
            .write
            .payment_term
            .as_deref(),
        Some("m30")
    );
    c.credit_days = Some(45);
    let mapped = map_customer(&c, &with_terms).unwrap();
    assert_eq!(mapped.write.payment_term, None);
    assert!(matches!(
        &mapped.warnings[..],
        [Warning::PaymentTermNotMapped {
            credit_days: 45,
            ..
        }]
    ));
}

fn project() -> Project {
    Project {
        id: ProjectId::new(21),
        project_number: Some(ProjectNumber::new("P-100")),
        name: Some("Innleiðing".into()),
        ..Project::default()
    }
}

#[test]
fn project_fields() {
    let p = map_project(&project(), Some(&CustomerNumber::new("10001"))).unwrap();
    assert_eq!(p.number.as_str(), "P-100");
    assert_eq!(p.name.as_deref(), Some("Innleiðing"));
    assert_eq!(
        p.customer_to_bill.as_ref().map(|c| c.as_str()),
        Some("10001")
    );
    let body = serde_json::to_value(&p).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Number": "P-100", "Name": "Innleiðing", "CustomerToBill": "10001"})
    );
    let internal = map_project(&project(), None).unwrap();
    assert_eq!(internal.customer_to_bill, None);
}

#[test]
fn project_problems() {
    let mut p = project();
    p.project_number = None;
    p.name = None;
    let err = map_project(&p, None).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::ProjectNumberMissing, Problem::ProjectNameMissing]
    );
}

#[test]
fn project_drift_is_a_warning_per_field() {
    let wanted = map_project(&project(), Some(&CustomerNumber::new("10001"))).unwrap();
    let same = dkplus_client::Project {
        number: Some(dkplus_client::ProjectNumber::new("P-100")),
        name: Some("Innleiðing ".into()),
        customer_to_bill: Some(dkplus_client::CustomerNumber::new("10001")),
        ..Default::default()
    };
    assert!(project_drift(&wanted, &same).is_empty());
    let other = dkplus_client::Project {
        name: Some("Old name".into()),
        customer_to_bill: None,
        ..same
    };
    let warnings = project_drift(&wanted, &other);
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].to_string().contains("update it by hand in DK+"));
    assert!(
        matches!(&warnings[1], Warning::ProjectDrift { field: "customer", moment, .. } if moment == "10001")
    );
}
