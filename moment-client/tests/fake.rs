//! The fake Moment API itself.

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use moment_client::testing::{Failure, FakeMoment};
use moment_client::webhook::{self, WebhookEventKind, WebhookObject};
use moment_client::{
    Customer, CustomerId, CustomerRef, Error, ExponentialBuilder, FinancialAccount,
    FinancialAccountId, FinancialAccountRef, Invoice, InvoiceId, InvoiceLine, InvoiceState,
    InvoiceType, PageShape, Product, ProductId, ProductRef, Project, ProjectId, ProjectRef,
};
use rust_decimal_macros::dec;

fn customer_ref(id: i64) -> CustomerRef {
    CustomerRef {
        id: Some(CustomerId(id)),
        customer_number: Some(format!("{}", 10_000 + id).into()),
        name: None,
    }
}

fn invoice(id: i64, customer: i64, state: InvoiceState, kind: InvoiceType) -> Invoice {
    Invoice {
        id: InvoiceId(id),
        state: Some(state),
        invoice_type: Some(kind),
        customer: Some(customer_ref(customer)),
        project: Some(ProjectRef {
            id: Some(ProjectId(70)),
            project_number: Some("P-70".into()),
            name: None,
        }),
        currency_code: Some("ISK".into()),
        lines: vec![
            InvoiceLine {
                description: Some("Ráðgjöf".into()),
                quantity: Some(dec!(3)),
                unit_price: Some(dec!(15000)),
                discount_percent: Some(dec!(10)),
                line_total: Some(dec!(40500)),
                financial_account: Some(FinancialAccountRef {
                    id: Some(FinancialAccountId(4101)),
                    account_number: Some("3000".into()),
                    name: None,
                }),
                ..InvoiceLine::default()
            },
            InvoiceLine {
                description: Some("Leyfi".into()),
                quantity: Some(dec!(1)),
                unit_price: Some(dec!(20000)),
                surcharge_percent: Some(dec!(20)),
                line_total: Some(dec!(24000)),
                product: Some(ProductRef {
                    id: Some(ProductId(501)),
                    product_number: Some("LEYFI-01".into()),
                    name: None,
                }),
                ..InvoiceLine::default()
            },
        ],
        ..Invoice::default()
    }
}

async fn seeded() -> FakeMoment {
    let fake = FakeMoment::start().await;
    for id in 1..=3 {
        fake.add_customer(Customer {
            id: CustomerId(id),
            customer_number: Some(format!("{}", 10_000 + id).into()),
            name: Some(format!("Customer {id}")),
            ..Customer::default()
        });
    }
    fake.add_project(Project {
        id: ProjectId(70),
        project_number: Some("P-70".into()),
        name: Some("Vefur".into()),
        customer: Some(customer_ref(1)),
        ..Project::default()
    });
    fake.add_project(Project {
        id: ProjectId(71),
        project_number: Some("P-71".into()),
        customer: Some(customer_ref(2)),
        ..Project::default()
    });
    fake.add_product(Product {
        id: ProductId(501),
        product_number: Some("LEYFI-01".into()),
        price: Some(dec!(20000)),
        ..Product::default()
    });
    fake.add_financial_account(FinancialAccount {
        id: FinancialAccountId(4101),
        account_number: Some("3000".into()),
        external_revenue_class: Some("VINNA".into()),
        ..FinancialAccount::default()
    });
    fake.add_invoice(invoice(1, 1, InvoiceState::Draft, InvoiceType::Invoice));
    fake.add_invoice(invoice(2, 1, InvoiceState::Finalized, InvoiceType::Invoice));
    fake.add_invoice(invoice(
        3,
        2,
        InvoiceState::Finalized,
        InvoiceType::CreditNote,
    ));
    fake
}

#[tokio::test]
async fn base_url_and_auth() {
    let fake = FakeMoment::builder()
        .company_code("nordur")
        .api_key("the-key")
        .start()
        .await;
    assert!(fake.uri().ends_with("/api/1.0/companies/nordur"));
    assert!(fake.uri().starts_with("http://127.0.0.1:"));
    assert_eq!(fake.company_code(), "nordur");
    assert_eq!(fake.api_key(), "the-key");
    fake.client().unwrap().verify().await.unwrap();
    let wrong = fake.client_builder().api_key("other").build().unwrap();
    assert!(wrong.verify().await.unwrap_err().is_unauthorized());
    let other_company = fake
        .client_builder()
        .base_url(fake.uri().replace("nordur", "sudur"))
        .build()
        .unwrap();
    assert!(other_company.verify().await.unwrap_err().is_not_found());
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0].authorized && !requests[1].authorized);
    assert_eq!(requests[0].path, "/customers");
    assert_eq!(requests[2].path, "/api/1.0/companies/sudur/customers");
}

#[tokio::test]
async fn serves_every_resource_as_seeded() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let served = client.invoices().get(InvoiceId(2)).await.unwrap().unwrap();
    assert_eq!(Some(served.clone()), fake.invoice(InvoiceId(2)));
    assert!(served.is_finalized());
    assert_eq!(served.lines.len(), 2);
    assert_eq!(served.lines[1].surcharge_percent, Some(dec!(20)));
    assert!(served.created_date.is_some() && served.last_modified_date.is_some());
    let lines = client
        .invoices()
        .lines(InvoiceId(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lines, served.lines);

    assert_eq!(
        client.customers().list().collect_all().await.unwrap().len(),
        3
    );
    assert_eq!(
        client.projects().list().collect_all().await.unwrap().len(),
        2
    );
    assert_eq!(
        client.products().list().collect_all().await.unwrap().len(),
        1
    );
    let accounts = client
        .financial_accounts()
        .list()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(accounts[0].external_revenue_class.as_deref(), Some("VINNA"));
    assert_eq!(fake.customers().len(), 3);
    assert_eq!(fake.record_count::<Invoice>(), 3);
    assert!(client.products().get(ProductId(9)).await.unwrap().is_none());
    assert!(
        client
            .invoices()
            .lines(InvoiceId(9))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn invoice_and_project_filters() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let ids = |v: Vec<Invoice>| v.into_iter().map(|i| i.id.get()).collect::<Vec<_>>();
    let finalized = client
        .invoices()
        .list()
        .state(InvoiceState::Finalized)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(finalized), [2, 3]);
    let credit = client
        .invoices()
        .list()
        .invoice_type(InvoiceType::CreditNote)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(credit), [3]);
    let of_customer = client
        .invoices()
        .list()
        .customer(CustomerId(1))
        .project(ProjectId(70))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(of_customer), [1, 2]);
    let projects = client
        .projects()
        .list()
        .customer(CustomerId(2))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(projects[0].id, ProjectId(71));
    let found = client
        .customers()
        .list()
        .query("CUSTOMER 3")
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found[0].id, CustomerId(3));
}

#[tokio::test]
async fn finalizing_a_draft_bumps_its_modified_date() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let before: DateTime<Utc> = fake
        .invoices()
        .iter()
        .filter_map(|i| i.last_modified_date)
        .max()
        .unwrap();
    assert!(fake.finalize_invoice(InvoiceId(1), "10050"));
    assert!(!fake.finalize_invoice(InvoiceId(99), "1"));
    let changed = client
        .invoices()
        .list()
        .modified_since(before + Duration::milliseconds(1))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert!(changed[0].is_finalized());
    assert_eq!(changed[0].invoice_number, Some("10050".into()));

    // An update that sets the date itself keeps it.
    let fixed = DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    fake.update_customer(CustomerId(1), |c| c.last_modified_date = Some(fixed));
    assert_eq!(
        fake.customer(CustomerId(1)).unwrap().last_modified_date,
        Some(fixed)
    );
    let old = client
        .customers()
        .list()
        .modified_before(fixed + Duration::seconds(1))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(old.len(), 1);
    assert!(fake.remove_customer(CustomerId(1)));
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_filters_are_400() {
    let fake = seeded().await;
    let client = fake
        .client_builder()
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = client
        .customers()
        .list()
        .param("lastModifiedDateFrom", "yesterday")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(err.to_string().contains("Invalid date"), "{err}");
}

#[tokio::test]
async fn faults_and_delays() {
    let fake = seeded().await;
    let client = fake
        .client_builder()
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    fake.fail_next_with(1, Failure::status(502).html());
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(err.as_api().unwrap().body.contains("<html>"));
    fake.fail_next_with(1, Failure::status(418).body("text/plain", "teapot"));
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(err.as_api().unwrap().body, "teapot");
    fake.fail_next_with(1, Failure::status(400).message("No such filter"));
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(
        err.as_api().unwrap().message.as_deref(),
        Some("No such filter")
    );
    fake.fail_next_with(2, Failure::status(400).empty());
    assert_eq!(fake.pending_faults(), 2);
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(err.as_api().unwrap().body, "");
    assert_eq!(fake.pending_faults(), 1);
    fake.clear_faults();
    fake.fail_next_with(1, Failure::status(42).retry_after("1\n2"));
    let err = client.customers().get(CustomerId(1)).await.unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(500),
        "an impossible status is served as 500"
    );
    assert_eq!(err.retry_after(), None, "an impossible header is not sent");
    fake.fail_next(2, 500);
    fake.clear_faults();
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_some()
    );
    fake.delay_next(1, std::time::Duration::from_millis(20));
    assert!(
        client
            .customers()
            .get(CustomerId(1))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn envelope_shape_can_be_switched_at_run_time() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    fake.set_page_shape(PageShape::Envelope);
    let page = client.customers().list().send().await.unwrap();
    assert_eq!(page.shape, PageShape::Envelope);
    assert_eq!(page.total_elements, Some(3));
    fake.set_page_shape(PageShape::BareArray);
    let page = client.customers().list().send().await.unwrap();
    assert_eq!(page.shape, PageShape::BareArray);
}

#[tokio::test]
async fn webhook_bodies_parse_back() {
    let fake = seeded().await;
    let body = fake
        .webhook_body_for_invoice(InvoiceId(2), "CREATE_NEW")
        .unwrap();
    assert!(body.contains(r#""customerNumber":"10001""#), "{body}");
    let event = webhook::parse(body.as_bytes()).unwrap();
    assert_eq!(event.kind, WebhookEventKind::CreateNew);
    match event.object {
        WebhookObject::Invoice {
            id,
            customer,
            project,
            ..
        } => {
            assert_eq!(id, InvoiceId(2));
            assert_eq!(customer.and_then(|c| c.id), Some(CustomerId(1)));
            assert_eq!(project.and_then(|p| p.project_number), Some("P-70".into()));
        }
        other => panic!("{other:?}"),
    }
    fake.finalize_invoice(InvoiceId(1), "10051");
    let body = fake
        .webhook_body_for_invoice(InvoiceId(1), "CREATE_NEW")
        .unwrap();
    assert!(
        body.contains(r#""invoiceNumber":10051"#),
        "sent as an integer: {body}"
    );

    let event = webhook::parse(
        fake.webhook_body_for_customer(CustomerId(3), "UPDATE")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        (event.object_type(), event.object_id()),
        ("customer", Some(3))
    );
    let event = webhook::parse(
        fake.webhook_body_for_project(ProjectId(71), "CREATE_NEW")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        (event.object_type(), event.object_id()),
        ("project", Some(71))
    );
    assert!(
        fake.webhook_body_for_invoice(InvoiceId(404), "CREATE_NEW")
            .is_none()
    );
}

#[tokio::test]
async fn recording_can_be_turned_off() {
    let fake = FakeMoment::builder().record_requests(false).start().await;
    let client = fake.client().unwrap();
    client.customers().list().send().await.unwrap();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.request_count(), 1);
    fake.set_recording(true);
    client.customers().list().send().await.unwrap();
    assert_eq!(fake.requests().len(), 1);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn many_customers_stream_in_order() {
    let fake = FakeMoment::builder().record_requests(false).start().await;
    for id in 1..=20_000 {
        fake.add_customer(Customer {
            id: CustomerId(id),
            customer_number: Some(id.to_string().into()),
            ..Customer::default()
        });
    }
    let client = fake.client_builder().per_page(1000).build().unwrap();
    let mut stream = client.customers().list().stream();
    let mut expected = 1;
    while let Some(customer) = stream.try_next().await.unwrap() {
        assert_eq!(customer.id.get(), expected);
        expected += 1;
    }
    assert_eq!(expected, 20_001);
    assert_eq!(fake.request_count(), 21);
}

#[tokio::test]
async fn non_get_and_unknown_paths() {
    let fake = seeded().await;
    let http = reqwest::Client::new();
    let auth = ("apikey", Some(fake.api_key()));
    let post = http
        .post(format!("{}/customers", fake.uri()))
        .basic_auth(auth.0, auth.1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    let unknown = http
        .get(format!("{}/offers", fake.uri()))
        .basic_auth(auth.0, auth.1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad_id = http
        .get(format!("{}/customers/abc", fake.uri()))
        .basic_auth(auth.0, auth.1)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 400);
    let err: Error = fake
        .client()
        .unwrap()
        .customers()
        .list()
        .param("customerId", "x")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Invalid id"), "{err}");
}
