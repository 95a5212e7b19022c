//! Table-driven tests of the customer and project rules.

mod support;

use moment_client::{CustomerNumber, CustomerStatus, Project, ProjectId, ProjectNumber};
use moment_dkplus_mapping::rules::{
    Problem, customer_changes, map_customer, map_project, project_drift,
};
use moment_dkplus_mapping::{IntegrationConfig, TownLine, Warning};
use support::*;

#[test]
fn customer_fields_follow_the_contract() {
    let mapped = map_customer(&customer(), &config()).unwrap();
    assert_eq!(mapped.number.as_str(), "10001");
    let w = &mapped.write;
    assert_eq!(w.number.as_ref().map(|n| n.as_str()), Some("10001"));
    assert_eq!(w.name.as_deref(), Some("Norðurljós ehf."));
    assert_eq!(w.address1.as_deref(), Some("Laugavegur 1"));
    assert_eq!(
        w.address2.as_deref(),
        Some("Reykjavík"),
        "the town in the first free line"
    );
    assert_eq!(w.address3.as_deref(), Some(""), "nothing else: cleared");
    assert_eq!(w.zip_code.as_deref(), Some("101"));
    assert_eq!(w.country_code.as_deref(), Some("IS"));
    assert_eq!(w.phone.as_deref(), Some("5551234"));
    assert_eq!(w.email.as_deref(), Some(""), "no e-mail in Moment: cleared");
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
fn the_kennitala_is_never_on_the_customer_record_but_its_problems_are_told() {
    for (org, warning) in [
        (Some("471008-0280"), None),
        (Some(" 1203735609 "), None),
        (None, Some("missing")),
        (Some("471008-0281"), Some("invalid")),
    ] {
        let mut c = customer();
        c.organization_number = org.map(Into::into);
        let mapped = map_customer(&c, &config()).unwrap();
        let body = serde_json::to_value(&mapped.write).unwrap();
        assert!(
            !body.to_string().contains("SSNumber") && !body.to_string().contains("1203735609"),
            "{body}"
        );
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
fn the_town_goes_to_the_configured_address_line() {
    // (street line 1, street line 2, town, placement, expected Address1..3)
    let cases = [
        (
            Some("Laugavegur 1"),
            None,
            Some("Reykjavík"),
            TownLine::FirstFree,
            ["Laugavegur 1", "Reykjavík", ""],
        ),
        (
            Some("Laugavegur 1"),
            Some("2. hæð"),
            Some("Reykjavík"),
            TownLine::FirstFree,
            ["Laugavegur 1", "2. hæð", "Reykjavík"],
        ),
        (
            None,
            None,
            Some("Reykjavík"),
            TownLine::FirstFree,
            ["Reykjavík", "", ""],
        ),
        (
            Some("Laugavegur 1"),
            None,
            None,
            TownLine::FirstFree,
            ["Laugavegur 1", "", ""],
        ),
        (
            Some("Laugavegur 1"),
            Some("2. hæð"),
            Some("Reykjavík"),
            TownLine::Address2,
            ["Laugavegur 1", "Reykjavík", "2. hæð"],
        ),
        (
            Some("Laugavegur 1"),
            None,
            Some("Reykjavík"),
            TownLine::Address3,
            ["Laugavegur 1", "", "Reykjavík"],
        ),
        (
            Some("Laugavegur 1"),
            Some("2. hæð"),
            Some("Reykjavík"),
            TownLine::NotSent,
            ["Laugavegur 1", "2. hæð", ""],
        ),
    ];
    for (line1, line2, town, placement, expected) in cases {
        let mut c = customer();
        c.address_line1 = line1.map(Into::into);
        c.address_line2 = line2.map(Into::into);
        c.city = town.map(Into::into);
        let config = IntegrationConfig::builder()
            .sales_person("vef")
            .town_line(placement)
            .build()
            .unwrap();
        let w = map_customer(&c, &config).unwrap().write;
        let got = [w.address1, w.address2, w.address3].map(|l| l.unwrap_or_default());
        assert_eq!(
            got,
            expected.map(str::to_owned),
            "{line1:?} {line2:?} {town:?} {placement:?}"
        );
    }
}

#[test]
fn a_field_cleared_in_moment_is_cleared_in_dkplus_and_an_unchanged_one_is_not_sent() {
    let mapped = map_customer(&customer(), &config()).unwrap();
    let in_dkplus = |phone: Option<&str>, address2: Option<&str>| dkplus_client::Customer {
        number: Some("10001".into()),
        name: Some("Norðurljós ehf.".into()),
        address1: Some("Laugavegur 1".into()),
        address2: address2.map(Into::into),
        address3: Some(String::new()),
        zip_code: Some("101".into()),
        country_code: Some("is".into()),
        phone: phone.map(Into::into),
        email: None,
        blocked: Some(false),
        ..Default::default()
    };
    // DK+ as Moment wants it (its `null` and `""` are both empty): nothing to send.
    assert_eq!(
        customer_changes(
            &mapped.write,
            &in_dkplus(Some("5551234"), Some("Reykjavík"))
        ),
        None
    );
    // Moment cleared the phone: DK+ still has one, so it is cleared there.
    let mut cleared = customer();
    cleared.phone = None;
    let mapped = map_customer(&cleared, &config()).unwrap();
    let changes = customer_changes(
        &mapped.write,
        &in_dkplus(Some("5551234"), Some("Reykjavík")),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&changes).unwrap(),
        serde_json::json!({"Phone": ""})
    );
    // Creating never sends empty texts.
    let body = serde_json::to_value(mapped.create_body()).unwrap();
    assert!(
        body.get("Phone").is_none() && body.get("Address3").is_none(),
        "{body}"
    );
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
    let p = map_project(&project(), Some(&CustomerNumber::new("10001")), &config()).unwrap();
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
    let internal = map_project(&project(), None, &config()).unwrap();
    assert_eq!(internal.customer_to_bill, None);
}

#[test]
fn project_problems() {
    let mut p = project();
    p.project_number = None;
    p.name = None;
    let err = map_project(&p, None, &config()).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::ProjectNumberMissing, Problem::ProjectNameMissing]
    );
}

#[test]
fn project_drift_is_a_warning_per_field() {
    let wanted = map_project(&project(), Some(&CustomerNumber::new("10001")), &config()).unwrap();
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

#[test]
fn texts_over_dkplus_limits_are_refused_never_cut() {
    let mut c = customer();
    c.name = Some("Verkfræðistofa Suðurlands og Vesturlands ehf.".into()); // 45 characters
    c.city = Some("Reykjavík".into());
    let err = map_customer(&c, &config()).unwrap_err();
    assert!(
        matches!(
            &err.problems[..],
            [Problem::TextTooLong {
                length: 45,
                max: 40,
                ..
            }]
        ),
        "{err}"
    );
    assert!(err.to_string().contains("the customer name"), "{err}");
    // A company whose DK+ keeps longer names raises the limit.
    let roomy = IntegrationConfig::builder()
        .sales_person("vef")
        .text_limits(moment_dkplus_mapping::TextLimits {
            customer_name: 60,
            ..Default::default()
        })
        .build()
        .unwrap();
    assert_eq!(
        map_customer(&c, &roomy).unwrap().write.name.as_deref(),
        c.name.as_deref()
    );
    // Every limit is checked, each with its field.
    let mut c = customer();
    c.address_line1 = Some("x".repeat(41));
    c.phone = Some("1".repeat(21));
    let problems = map_customer(&c, &config()).unwrap_err().problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    // Project names too: DK+ cannot rename a project later.
    let mut p = project();
    p.name = Some("y".repeat(41));
    assert!(matches!(
        &map_project(&p, None, &config()).unwrap_err().problems[..],
        [Problem::TextTooLong { max: 40, .. }]
    ));
}
