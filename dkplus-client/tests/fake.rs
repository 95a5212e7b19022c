//! The fake DK+ itself: state, invoice rules, paging, auth, recording, counters and faults.

use std::time::Duration;

use dkplus_client::testing::{AfterStore, Failure, FakeDkPlus};
use dkplus_client::*;
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;

async fn seeded() -> FakeDkPlus {
    let fake = FakeDkPlus::builder()
        .invoice_number_series(5000)
        .start()
        .await;
    fake.add_customer(Customer {
        number: Some("1710794709".into()),
        name: Some("Jón Jónsson".into()),
        ..Default::default()
    })
    .add_customer(Customer {
        number: Some("5304942339".into()),
        name: Some("Fyrirtæki ehf.".into()),
        no_vat: Some(true),
        ..Default::default()
    })
    .add_product(Product {
        item_code: Some("RADGJOF".into()),
        description: Some("Ráðgjöf".into()),
        tax_percent: Some(dec!(24)),
        ..Default::default()
    })
    .add_product(Product {
        item_code: Some("BOK".into()),
        description: Some("Bók".into()),
        tax_percent: Some(dec!(11)),
        ..Default::default()
    })
    .add_sales_person(SalesPerson {
        number: Some("vef".into()),
        ..Default::default()
    })
    .add_project(Project {
        number: Some("P-1".into()),
        customer_to_bill: Some("1710794709".into()),
        job_status: Some(JobStatus::InProgress),
        ..Default::default()
    });
    fake
}

fn invoice(
    customer: &str,
    lines: Vec<(&str, rust_decimal::Decimal, rust_decimal::Decimal)>,
) -> SalesInvoiceCreate {
    SalesInvoiceCreate {
        customer: InvoiceCustomer {
            number: customer.into(),
            ..Default::default()
        },
        reference: Some("REF-1".into()),
        lines: lines
            .into_iter()
            .map(|(code, quantity, price)| SalesInvoiceLineCreate {
                item_code: code.into(),
                quantity,
                price,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn invoices_get_numbers_from_the_series_and_vat_from_products() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let mut create = invoice(
        "1710794709",
        vec![
            ("RADGJOF", dec!(2.5), dec!(10000)),
            ("bok", dec!(1), dec!(5000)),
        ],
    );
    create.lines[0].discount = Some(dec!(10));
    let first = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(first.number, Some(InvoiceNumber::new("5000")));
    // 2.5 × 10000 × 0.9 = 22500 (+24 % = 27900); 5000 (+11 % = 5550).
    assert_eq!(first.total_amount, Some(dec!(27500)));
    assert_eq!(first.total_amount_with_tax, Some(dec!(33450)));
    assert_eq!(
        first.sales_person,
        Some(SalesPersonNumber::new("vef")),
        "defaults to 'vef'"
    );
    let lines = first.lines.clone().unwrap();
    assert_eq!(lines[0].total_amount, Some(dec!(22500)));
    assert_eq!(
        lines[1].item_code,
        Some(ItemCode::new("BOK")),
        "codes match case-insensitively"
    );
    assert_eq!(lines[1].text.as_deref(), Some("Bók"));

    let second = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(second.number, Some(InvoiceNumber::new("5001")));
    assert_eq!(fake.invoices().len(), 2);
    assert_eq!(
        client
            .sales_invoices()
            .by_reference("REF-1")
            .await
            .unwrap()
            .len(),
        2
    );
    let fetched = client
        .sales_invoices()
        .get(&"5001".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.reference.as_deref(), Some("REF-1"));
    assert!(fetched.created.is_some());
}

#[tokio::test]
async fn vat_inclusive_prices_and_vat_exempt_customers() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let mut create = invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(12400))]);
    create.lines[0].including_vat = Some(true);
    let created = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(created.total_amount, Some(dec!(10000)));
    assert_eq!(created.total_amount_with_tax, Some(dec!(12400)));

    let exempt = client
        .sales_invoices()
        .create(&invoice(
            "5304942339",
            vec![("RADGJOF", dec!(1), dec!(1000))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(exempt.total_amount_with_tax, Some(dec!(1000)));
}

#[tokio::test]
async fn invoices_with_unknown_keys_are_refused_with_a_message() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let unknown_item = invoice("1710794709", vec![("NOPE", dec!(1), dec!(1))]);
    let err = client
        .sales_invoices()
        .create(&unknown_item)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.message(), Some("Item 'NOPE' not found."));

    let mut unknown_person = invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(1))]);
    unknown_person.sales_person = Some("zz".into());
    let err = client
        .sales_invoices()
        .create(&unknown_person)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Sales person 'zz' not found."));

    let unknown_customer = invoice("0000000000", vec![("RADGJOF", dec!(1), dec!(1))]);
    let err = client
        .sales_invoices()
        .create(&unknown_customer)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Customer '0000000000' not found."));

    let mut unknown_project = invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(1))]);
    unknown_project.project = Some("P-404".into());
    let err = client
        .sales_invoices()
        .create(&unknown_project)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Project 'P-404' not found."));
    assert!(fake.invoices().is_empty());
}

#[tokio::test]
async fn without_a_default_sales_person_invoices_are_refused() {
    let fake = FakeDkPlus::start().await;
    fake.add_customer(Customer {
        number: Some("1".into()),
        ..Default::default()
    });
    fake.add_product(Product {
        item_code: Some("A".into()),
        ..Default::default()
    });
    let client = fake.client().unwrap();
    let err = client
        .sales_invoices()
        .create(&invoice("1", vec![("A", dec!(1), dec!(1))]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn unposted_invoices_are_stored_without_a_number() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    let created = client
        .sales_invoices()
        .create(&invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(1))]))
        .unposted()
        .send()
        .await
        .unwrap();
    assert_eq!(created.number, None);
    assert_eq!(fake.invoices().len(), 1);
    let recorded = fake.requests();
    assert_eq!(recorded[0].query_value("post"), Some("false"));
}

#[tokio::test]
async fn customers_projects_and_products_round_trip() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    assert!(
        client
            .customers()
            .get(&"404".into())
            .await
            .unwrap()
            .is_none()
    );
    client
        .customers()
        .create(&CustomerWrite {
            number: Some("4101010190".into()),
            name: Some("Nýr ehf.".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let duplicate = client
        .customers()
        .create(&CustomerWrite {
            number: Some("4101010190".into()),
            name: Some("x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(duplicate.status().map(|s| s.as_u16()), Some(409));
    client
        .customers()
        .update(
            &"4101010190".into(),
            &CustomerWrite {
                email: Some("a@b.is".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stored = client
        .customers()
        .get(&"4101010190".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("Nýr ehf."));
    assert_eq!(stored.email.as_deref(), Some("a@b.is"));
    let put = fake
        .requests()
        .into_iter()
        .find(|r| r.method == http::Method::PUT)
        .unwrap();
    assert_eq!(put.body_json(), serde_json::json!({"Email": "a@b.is"}));

    let project = client
        .projects()
        .create(&ProjectCreate {
            number: "P-2".into(),
            name: Some("Nýtt".into()),
            customer_to_bill: Some("4101010190".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(project.customer_name_to_bill.as_deref(), Some("Nýr ehf."));
    let duplicate = client
        .projects()
        .create(&ProjectCreate {
            number: "p-2".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        duplicate.message(),
        Some("Project exists with this Number.")
    );

    let product = client
        .products()
        .create(&ProductCreate {
            item_code: "Þ/1".into(),
            description: Some("Þjónusta".into()),
            tax_percent: Some(dec!(24)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(product.item_code, Some(ItemCode::new("Þ/1")));
    let updated = client
        .products()
        .update(
            &"Þ/1".into(),
            &ProductUpdate {
                inactive: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.inactive, Some(true));
    assert_eq!(updated.description.as_deref(), Some("Þjónusta"));
    assert!(
        client
            .products()
            .get(&"missing".into())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(fake.products().len(), 3);
    assert_eq!(fake.projects().len(), 2);
    assert_eq!(fake.customers().len(), 3);
}

#[tokio::test]
async fn paging_and_filters() {
    let fake = FakeDkPlus::start().await;
    for i in 0..25 {
        fake.add_customer(Customer {
            number: Some(format!("C{i:03}").into()),
            group: Some(if i % 5 == 0 { "VIP" } else { "STD" }.into()),
            ..Default::default()
        });
    }
    let client = fake.client().unwrap();
    let all: Vec<Customer> = client
        .customers()
        .list()
        .per_page(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(fake.count("GET", "/Customer/page/{page}/{count}"), 3);
    let vip: Vec<Customer> = client
        .customers()
        .list()
        .group("vip")
        .per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(vip.len(), 5);
    for request in fake
        .requests()
        .iter()
        .filter(|r| r.query_value("group").is_some())
    {
        assert_eq!(
            request.query_value("group"),
            Some("vip"),
            "filter kept on {}",
            request.path
        );
    }
    let page_three = client
        .customers()
        .list()
        .page(3)
        .per_page(10)
        .send()
        .await
        .unwrap();
    assert_eq!(page_three.len(), 5);
}

#[tokio::test]
async fn invoice_listing_filters_and_lines() {
    let fake = seeded().await;
    let client = fake.client().unwrap();
    client
        .sales_invoices()
        .create(&invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(1))]))
        .send()
        .await
        .unwrap();
    client
        .sales_invoices()
        .create(&invoice("5304942339", vec![("RADGJOF", dec!(1), dec!(1))]))
        .send()
        .await
        .unwrap();
    let without_lines = client.sales_invoices().list().send().await.unwrap().items;
    assert_eq!(without_lines.len(), 2);
    assert!(without_lines.iter().all(|i| i.lines.is_none()));
    let mine = client
        .sales_invoices()
        .list()
        .customer(&"5304942339".into())
        .include_lines(true)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine.items[0].lines.as_ref().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_token_is_checked() {
    let fake = seeded().await;
    let wrong = fake
        .client_builder()
        .token("not-the-token")
        .build()
        .unwrap();
    let err = wrong
        .customers()
        .get(&"1710794709".into())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(!fake.requests()[0].authorized);
    assert!(fake.client().unwrap().company().connection().await.unwrap());
}

#[tokio::test]
async fn unknown_routes_are_404_with_the_aspnet_message() {
    let fake = seeded().await;
    let client = DkPlusClient::builder()
        .token(fake.token())
        .base_url(format!("{}/wrong", fake.uri()))
        .build()
        .unwrap();
    let err = client
        .customers()
        .get(&"1710794709".into())
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert!(
        err.message()
            .unwrap()
            .starts_with("No HTTP resource was found")
    );
}

#[tokio::test]
async fn injected_failures_are_retried_by_gets() {
    let fake = seeded().await;
    fake.fail_next_with(2, Failure::status(503).retry_after_secs(0));
    let client = fake.client().unwrap();
    assert!(
        client
            .customers()
            .get(&"1710794709".into())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(fake.count("GET", "/Customer/{number}"), 3);

    fake.fail_next_with(1, Failure::status(500).html());
    let err = client
        .customers()
        .get(&"1710794709".into())
        .await
        .unwrap_err();
    assert!(err.body().unwrap().contains("<html>"));

    fake.fail_next_with(1, Failure::status(400).empty());
    let err = client
        .customers()
        .get(&"1710794709".into())
        .await
        .unwrap_err();
    assert_eq!(err.body(), Some(""));

    fake.fail_next_with(1, Failure::status(418).body("text/plain", "teapot"));
    let err = client
        .customers()
        .get(&"1710794709".into())
        .await
        .unwrap_err();
    assert_eq!(err.body(), Some("teapot"));
    assert_eq!(fake.pending_faults(), 0);
    assert!(fake.request_count() >= 6, "{}", fake.request_count());

    fake.fail_next(1, 429);
    let err = client
        .sales_invoices()
        .create(&invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(1))]))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }));
    assert!(fake.invoices().is_empty(), "a refused POST stores nothing");
}

#[tokio::test]
async fn delays_trigger_client_timeouts() {
    let fake = seeded().await;
    fake.delay_next(1, Duration::from_secs(3));
    let client = fake
        .client_builder()
        .timeout(Duration::from_millis(200))
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let err = client.verify().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(client.verify().await.unwrap());
}

#[tokio::test]
async fn store_then_time_out_leaves_an_invoice_to_find_by_reference() {
    let fake = seeded().await;
    fake.store_then_fail_next_invoice(AfterStore::Delay(Duration::from_secs(3)));
    let client = fake
        .client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let create = invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(100))]);
    let err = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(fake.count("POST", "/sales/invoice"), 1, "never retried");
    let found = client.sales_invoices().by_reference("REF-1").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, Some(InvoiceNumber::new("5000")));
}

#[tokio::test]
async fn store_then_gateway_error() {
    let fake = seeded().await;
    fake.store_then_fail_next_invoice(AfterStore::Status(502));
    let client = fake.client().unwrap();
    let create = invoice("1710794709", vec![("RADGJOF", dec!(1), dec!(100))]);
    let err = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(err.may_have_been_applied());
    assert_eq!(fake.invoices().len(), 1);
    // The next one is answered normally.
    let again = client
        .sales_invoices()
        .create(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(again.number, Some(InvoiceNumber::new("5001")));
}

#[tokio::test]
async fn recording_can_be_switched_off_while_counting_goes_on() {
    let fake = FakeDkPlus::builder().record_requests(false).start().await;
    let client = fake.client().unwrap();
    for _ in 0..5 {
        client.verify().await.unwrap();
    }
    assert!(fake.requests().is_empty());
    assert_eq!(fake.count("GET", "/company/connection"), 5);
    fake.set_recording(true);
    client.verify().await.unwrap();
    assert_eq!(fake.requests().len(), 1);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert!(fake.counts().is_empty());
}

#[tokio::test]
async fn latency_applies_to_every_answer() {
    let fake = FakeDkPlus::builder()
        .latency(Duration::from_secs(3))
        .start()
        .await;
    let client = fake
        .client_builder()
        .timeout(Duration::from_millis(200))
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    assert!(client.verify().await.is_err());
    fake.set_latency(None);
    assert!(client.verify().await.unwrap());
}
