//! Parsing of Moment webhook bodies.

use moment_client::webhook::{self, WebhookError, WebhookEventKind, WebhookObject};
use moment_client::{CustomerId, InvoiceId, ProjectId};

#[test]
fn the_documented_invoice_example() {
    let body = br#"{"event":"CREATE_NEW","invoice":{"id":106939080,"invoiceNumber":1,"customer":{"id":62788973,"customerNumber":"10001"},"project":{"id":62788980,"projectNumber":"1"}}}"#;
    let event = webhook::parse(body).unwrap();
    assert_eq!(event.kind, WebhookEventKind::CreateNew);
    assert_eq!(event.event_name(), "CREATE_NEW");
    assert_eq!(event.object_type(), "invoice");
    assert_eq!(event.object_id(), Some(106_939_080));
    let WebhookObject::Invoice {
        id,
        invoice_number,
        customer,
        project,
    } = event.object
    else {
        panic!("not an invoice");
    };
    assert_eq!(id, InvoiceId(106_939_080));
    assert_eq!(invoice_number, Some("1".into()));
    let customer = customer.unwrap();
    assert_eq!(customer.id, Some(CustomerId(62_788_973)));
    assert_eq!(customer.customer_number, Some("10001".into()));
    assert_eq!(project.unwrap().id, Some(ProjectId(62_788_980)));
}

#[test]
fn customers_and_projects() {
    let c = webhook::parse(
        br#"{"event":"UPDATE","customer":{"id":5,"customerNumber":"10005","name":"X"}}"#,
    )
    .unwrap();
    assert_eq!(c.kind, WebhookEventKind::Update);
    assert_eq!(
        c.object,
        WebhookObject::Customer {
            id: CustomerId(5),
            customer_number: Some("10005".into()),
            name: Some("X".into())
        }
    );
    let p = webhook::parse(
        br#"{"event":"CREATE_NEW","project":{"id":9,"projectNumber":"P-9","customer":{"id":5}}}"#,
    )
    .unwrap();
    assert_eq!(p.object_type(), "project");
    let WebhookObject::Project {
        id,
        project_number,
        customer,
    } = p.object
    else {
        panic!("not a project");
    };
    assert_eq!((id, project_number), (ProjectId(9), Some("P-9".into())));
    assert_eq!(customer.and_then(|c| c.id), Some(CustomerId(5)));
}

#[test]
fn unknown_events_and_objects_are_kept() {
    let e = webhook::parse(br#"{"event":"ARCHIVED","invoice":{"id":3}}"#).unwrap();
    assert_eq!(e.kind, WebhookEventKind::Unknown("ARCHIVED".into()));
    assert_eq!(e.event_name(), "ARCHIVED");
    assert_eq!(e.object_id(), Some(3));

    let e =
        webhook::parse(br#"{"event":"CREATE_NEW","offer":{"id":77,"offerNumber":"O-1"}}"#).unwrap();
    assert_eq!(e.object_type(), "offer");
    assert_eq!(e.object_id(), Some(77));
    assert!(matches!(e.object, WebhookObject::Unknown { .. }));
}

#[test]
fn bad_bodies_are_typed_errors() {
    assert!(matches!(webhook::parse(b""), Err(WebhookError::Empty)));
    assert!(matches!(webhook::parse(b"  \n"), Err(WebhookError::Empty)));
    assert!(matches!(
        webhook::parse(b"<html>hi</html>"),
        Err(WebhookError::NotJson { .. })
    ));
    assert!(matches!(
        webhook::parse(br#"{"event":"CREATE_NEW","invoice":{"id":1}"#),
        Err(WebhookError::NotJson { .. })
    ));
    for body in [
        &br#"[1,2]"#[..],
        br#"{"invoice":{"id":1}}"#,
        br#"{"event":5,"invoice":{"id":1}}"#,
        br#"{"event":"CREATE_NEW"}"#,
        br#"{"event":"CREATE_NEW","invoice":{"id":1},"customer":{"id":2}}"#,
    ] {
        let err = webhook::parse(body).unwrap_err();
        assert!(matches!(err, WebhookError::Shape { .. }), "{err:?}");
    }
    let err = webhook::parse(br#"{"event":"CREATE_NEW","invoice":{"id":"abc"}}"#).unwrap_err();
    match err {
        WebhookError::InvalidObject {
            object_type, field, ..
        } => {
            assert_eq!(object_type, "invoice");
            assert_eq!(field, "id");
        }
        other => panic!("{other:?}"),
    }
    let err =
        webhook::parse(br#"{"event":"CREATE_NEW","invoice":{"invoiceNumber":3}}"#).unwrap_err();
    assert!(matches!(err, WebhookError::InvalidObject { .. }), "{err:?}");
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let body = format!(
        r#"{{"event":"CREATE_NEW","invoice":{{"id":1}},"pad":"{}"}}"#,
        "x".repeat(webhook::DEFAULT_BODY_LIMIT)
    );
    let err = webhook::parse(body.as_bytes()).unwrap_err();
    assert!(
        matches!(err, WebhookError::TooLarge { limit, actual } if limit == webhook::DEFAULT_BODY_LIMIT && actual == body.len())
    );
    let small = br#"{"event":"CREATE_NEW","invoice":{"id":1}}"#;
    assert!(webhook::parse_with_limit(small, small.len()).is_ok());
    assert!(matches!(
        webhook::parse_with_limit(small, small.len() - 1),
        Err(WebhookError::TooLarge { .. })
    ));
    let as_crate_error: moment_client::Error = webhook::parse(b"").unwrap_err().into();
    assert!(!as_crate_error.is_retryable());
}
