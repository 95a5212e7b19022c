//! Paging: both list shapes, page bases, size caps, filter carry-over, repeated-page stop.

mod common;

use chrono::{DateTime, Duration, Utc};
use futures_util::{StreamExt, TryStreamExt};
use moment_client::testing::FakeMoment;
use moment_client::{Customer, CustomerId, Error, ExponentialBuilder, PageBase, PageShape};
use serde_json::json;
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn customer(id: i64) -> Customer {
    Customer {
        id: CustomerId(id),
        customer_number: Some(format!("{}", 10_000 + id).into()),
        name: Some(format!("Customer {id}")),
        ..Customer::default()
    }
}

async fn fake_with(n: i64, base: PageBase, shape: PageShape) -> FakeMoment {
    let fake = FakeMoment::builder()
        .page_base(base)
        .page_shape(shape)
        .start()
        .await;
    for id in 1..=n {
        fake.add_customer(customer(id));
    }
    fake
}

fn pages_requested(fake: &FakeMoment) -> Vec<String> {
    fake.requests()
        .iter()
        .filter_map(|r| r.query_param("page").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn bare_arrays_are_read_until_an_empty_page() {
    let fake = fake_with(45, PageBase::Zero, PageShape::BareArray).await;
    let client = fake.client_builder().per_page(10).build().unwrap();
    let all = client.customers().list().collect_all().await.unwrap();
    let ids: Vec<i64> = all.iter().map(|c| c.id.get()).collect();
    assert_eq!(ids, (1..=45).collect::<Vec<_>>());
    // A short page is no proof of the end, so one more (empty) page is asked for.
    assert_eq!(pages_requested(&fake), ["0", "1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn envelopes_stop_at_the_reported_last_page() {
    let fake = fake_with(45, PageBase::Zero, PageShape::Envelope).await;
    let client = fake.client_builder().per_page(10).build().unwrap();
    let pages: Vec<_> = client
        .customers()
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 5);
    assert_eq!(pages[0].shape, PageShape::Envelope);
    assert_eq!(pages[0].total_elements, Some(45));
    assert_eq!(pages[0].total_pages, Some(5));
    assert!(!pages[0].is_last());
    assert!(pages[4].is_last());
    assert_eq!(pages[4].len(), 5);
    assert_eq!(pages_requested(&fake), ["0", "1", "2", "3", "4"]);
}

#[tokio::test]
async fn page_base_one() {
    let fake = fake_with(25, PageBase::One, PageShape::Envelope).await;
    let client = fake.client().unwrap();
    assert_eq!(client.page_base(), PageBase::One);
    let client = fake.client_builder().per_page(10).build().unwrap();
    let all = client.customers().list().collect_all().await.unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(pages_requested(&fake), ["1", "2", "3"]);
}

#[tokio::test]
async fn wrong_page_base_is_caught_as_a_repeated_page() {
    let fake = fake_with(25, PageBase::One, PageShape::BareArray).await;
    let client = fake
        .client_builder()
        .page_base(PageBase::Zero)
        .per_page(10)
        .build()
        .unwrap();
    let results: Vec<_> = client.customers().list().stream().collect().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    let err = results.last().unwrap().as_ref().unwrap_err();
    match err {
        Error::RepeatedPage {
            page, other_base, ..
        } => assert_eq!((*page, *other_base), (1, 1)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("page_base"), "{err}");
}

#[tokio::test]
async fn a_server_side_size_cap_does_not_end_the_listing() {
    let fake = fake_with(45, PageBase::Zero, PageShape::BareArray).await;
    fake.set_max_per_page(10);
    let client = fake.client_builder().per_page(100).build().unwrap();
    let all = client.customers().list().collect_all().await.unwrap();
    assert_eq!(all.len(), 45);
    assert_eq!(pages_requested(&fake).len(), 6);
}

#[tokio::test]
async fn filters_are_sent_on_every_page() {
    let fake = fake_with(0, PageBase::Zero, PageShape::BareArray).await;
    let t0 = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    for id in 1..=30 {
        fake.add_customer(Customer {
            last_modified_date: Some(t0 + Duration::days(id)),
            ..customer(id)
        });
    }
    let client = fake.client_builder().per_page(4).build().unwrap();
    let since = t0 + Duration::days(11);
    let changed = client
        .customers()
        .list()
        .modified_since(since)
        .query("customer")
        .collect_all()
        .await
        .unwrap();
    let ids: Vec<i64> = changed.iter().map(|c| c.id.get()).collect();
    assert_eq!(ids, (11..=30).collect::<Vec<_>>());
    let requests = fake.requests();
    assert_eq!(requests.len(), 6);
    for r in &requests {
        assert_eq!(
            r.query_param("lastModifiedDateFrom"),
            Some("2025-01-12T00:00:00Z")
        );
        assert_eq!(r.query_param("query"), Some("customer"));
        assert_eq!(r.query_param("size"), Some("4"));
    }
}

#[tokio::test]
async fn a_repeated_page_stops_the_stream_instead_of_looping() {
    let fake = fake_with(50, PageBase::Zero, PageShape::BareArray).await;
    let client = fake.client_builder().per_page(10).build().unwrap();
    fake.repeat_page_next(1_000);
    let results: Vec<_> = client.customers().list().stream().collect().await;
    assert_eq!(results.len(), 11, "10 items, then the error, then the end");
    assert!(matches!(
        results[10],
        Err(Error::RepeatedPage { page: 1, .. })
    ));
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn send_fetches_one_chosen_page() {
    let fake = fake_with(25, PageBase::Zero, PageShape::Envelope).await;
    let client = fake.client_builder().per_page(10).build().unwrap();
    let page = client.customers().list().page(2).send().await.unwrap();
    assert_eq!(page.number, 2);
    assert_eq!(page.index(), 2);
    assert_eq!(page.len(), 5);
    assert!(page.is_last());
    assert_eq!(page.into_iter().next().map(|c| c.id), Some(CustomerId(21)));
}

#[tokio::test]
async fn an_error_mid_listing_ends_the_stream_after_the_error() {
    let fake = fake_with(30, PageBase::Zero, PageShape::BareArray).await;
    let client = fake
        .client_builder()
        .per_page(10)
        .retry_policy(ExponentialBuilder::default().with_max_times(0))
        .build()
        .unwrap();
    let mut stream = client.customers().list().stream();
    for _ in 0..10 {
        stream.try_next().await.unwrap().unwrap();
    }
    fake.fail_next(1, 503);
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn spring_data_and_hal_envelopes_from_a_raw_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"id": 1}, {"id": 2}],
            "pageable": {"pageNumber": 0},
            "totalElements": 3, "totalPages": 2, "size": 2, "number": 0, "last": false
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_embedded": {"customers": [{"id": 3}]},
            "page": {"size": 2, "totalElements": 3, "totalPages": 2, "number": 1}
        })))
        .mount(&server)
        .await;
    let all = common::client(&server)
        .customers()
        .list()
        .per_page(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_list_decode_error_names_the_item() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"id": 1}, {"id": "two"}]
        })))
        .mount(&server)
        .await;
    let err = common::client(&server)
        .customers()
        .list()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Decode { field, .. } => assert_eq!(field, "content[1].id"),
        other => panic!("{other:?}"),
    }
}
