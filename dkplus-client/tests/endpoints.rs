//! Every endpoint: method, path, query, auth header and body, against wiremock on loopback.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{auth, client, fixture, server};
use dkplus_client::*;
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

fn ok_json(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn customer_get_sends_bearer_token_and_accept_header() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/1710794709"))
        .and(auth())
        .and(header("accept", "application/json"))
        .respond_with(ok_json(fixture("customer.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let customer = client
        .customers()
        .get(&CustomerNumber::new("1710794709"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.name.as_deref(), Some("Jón Jónsson"));
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(agent.starts_with("dkplus-client/"));
}

#[tokio::test]
async fn customer_get_404_is_none() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/999"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.customers().get(&"999".into()).await.unwrap(), None);
}

#[tokio::test]
async fn customer_keys_are_path_encoded() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/A%2FB%20%C3%9E"))
        .respond_with(ok_json(json!({"Number": "A/B Þ"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let c = client
        .customers()
        .get(&"A/B Þ".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.number.unwrap().as_str(), "A/B Þ");
}

#[tokio::test]
async fn customer_list_page_with_filters() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/page/2/50"))
        .and(auth())
        .and(query_param("group", "01"))
        .and(query_param("blocked", "false"))
        .and(query_param("novat", "true"))
        .and(query_param("salesperson", "vef"))
        .and(query_param("modifiedAfter", "2024-01-31T10:00:00"))
        .and(query_param("include", "Number,Name"))
        .respond_with(ok_json(json!([
            fixture("customer.json"),
            fixture("minimal_customer.json")
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let page = client
        .customers()
        .list()
        .page(2)
        .per_page(50)
        .group("01")
        .blocked(false)
        .no_vat(true)
        .sales_person(&"vef".into())
        .modified_after(Utc.with_ymd_and_hms(2024, 1, 31, 10, 0, 0).unwrap())
        .include(["Number", "Name"])
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
}

#[tokio::test]
async fn customer_stream_walks_pages_keeping_filters_and_stops_on_a_short_page() {
    let server = server().await;
    for (page, numbers) in [(1, vec!["1", "2"]), (2, vec!["3", "4"]), (3, vec!["5"])] {
        let body: Vec<_> = numbers.iter().map(|n| json!({"Number": n})).collect();
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/Customer/page/{page}/2")))
            .and(query_param("group", "07"))
            .respond_with(ok_json(json!(body)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let all: Vec<Customer> = client
        .customers()
        .list()
        .group("07")
        .per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<_> = all
        .iter()
        .map(|c| c.number.clone().unwrap().into_inner())
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn stream_stops_after_an_empty_page() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/person/page/1/2"))
        .respond_with(ok_json(json!([{"Number": "a"}, {"Number": "b"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/person/page/2/2"))
        .respond_with(ok_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let pages: Vec<Page<SalesPerson>> = client
        .sales_persons()
        .list()
        .per_page(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].number, pages[0].per_page), (1, 2));
    assert!(!pages[0].is_last(), "a full page may be followed by more");
}

#[tokio::test]
async fn a_server_that_ignores_the_page_number_is_caught() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path_regex_page())
        .respond_with(ok_json(json!([{"Number": "a"}, {"Number": "b"}])))
        .mount(&server)
        .await;
    let client = client(&server);
    let result: Result<Vec<Customer>> = client
        .customers()
        .list()
        .per_page(2)
        .stream()
        .try_collect()
        .await;
    assert!(
        matches!(result, Err(Error::RepeatedPage { page: 2, .. })),
        "{result:?}"
    );
}

fn path_regex_page() -> wiremock::matchers::PathRegexMatcher {
    wiremock::matchers::path_regex(r"^/api/v1/Customer/page/\d+/2$")
}

#[tokio::test]
async fn page_zero_is_refused_before_sending() {
    let server = server().await;
    let client = client(&server);
    let err = client.customers().list().page(0).send().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "page"));
    let err = client
        .projects()
        .list()
        .per_page(0)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "per_page"));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn customer_create_posts_only_set_fields() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/Customer"))
        .and(auth())
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"Number": "1710794709", "Name": "Jón", "Email": "jon@example.is"}),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .customers()
        .create(&CustomerWrite {
            number: Some("1710794709".into()),
            name: Some("Jón".into()),
            email: Some("jon@example.is".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        created, None,
        "DK+ answers customer creation with an empty body"
    );
}

#[tokio::test]
async fn customer_update_is_a_partial_put_without_number() {
    let server = server().await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/Customer/1710794709"))
        .and(auth())
        .and(body_json(
            json!({"Name": "Nýtt nafn", "Address1": "Laugavegi 1"}),
        ))
        .respond_with(ok_json(
            json!({"Number": "1710794709", "Name": "Nýtt nafn"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let number = CustomerNumber::new("1710794709");
    let updated = client
        .customers()
        .update(
            &number,
            &CustomerWrite {
                number: Some(number.clone()),
                name: Some("Nýtt nafn".into()),
                address1: Some("Laugavegi 1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.unwrap().name.as_deref(), Some("Nýtt nafn"));
    let err = client
        .customers()
        .update(
            &number,
            &CustomerWrite {
                number: Some("other".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "number"));
}

#[tokio::test]
async fn customer_delete_and_search() {
    let server = server().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/Customer/1710794709"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Customer/search/J%C3%B3n/10"))
        .and(auth())
        .respond_with(ok_json(json!([fixture("customer.json")])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .customers()
        .delete(&"1710794709".into())
        .await
        .unwrap();
    let found = client.customers().search("Jón", 10).await.unwrap();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn project_get_list_and_create() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/project/P-100"))
        .and(auth())
        .respond_with(ok_json(fixture("project.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/project/page/1/100"))
        .and(query_param("customer", "5304942339"))
        .and(query_param("status", "1"))
        .and(query_param("type", "3"))
        .and(query_param("modifiedAfter", "2024-05-01T00:00:00"))
        .respond_with(ok_json(json!([fixture("project.json")])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/project"))
        .and(auth())
        .and(body_json(
            json!({"Number": "P-100", "Name": "Vefsíða", "CustomerToBill": "5304942339"}),
        ))
        .respond_with(ok_json(fixture("project.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let project = client
        .projects()
        .get(&"P-100".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project.job_status, Some(JobStatus::InProgress));
    let listed = client
        .projects()
        .list()
        .customer(&"5304942339".into())
        .status(&JobStatus::InProgress)
        .job_type(&JobType::InHouseJob)
        .modified_after(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let created = client
        .projects()
        .create(&ProjectCreate {
            number: "P-100".into(),
            name: Some("Vefsíða".into()),
            customer_to_bill: Some("5304942339".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.number, Some(ProjectNumber::new("P-100")));
}

fn invoice() -> SalesInvoiceCreate {
    SalesInvoiceCreate {
        customer: InvoiceCustomer {
            number: "1710794709".into(),
            ..Default::default()
        },
        reference: Some("MOMENT-INV-42".into()),
        lines: vec![SalesInvoiceLineCreate {
            item_code: "RADGJOF".into(),
            quantity: dec!(2.5),
            price: dec!(264.3),
            discount: Some(dec!(17)),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn invoice_create_posts_by_default_and_returns_the_number() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sales/invoice"))
        .and(query_param("post", "true"))
        .and(auth())
        .and(body_json(json!({
            "Customer": {"Number": "1710794709"},
            "Reference": "MOMENT-INV-42",
            "Lines": [{"ItemCode": "RADGJOF", "Quantity": 2.5, "Price": 264.3, "Discount": 17}]
        })))
        .respond_with(ok_json(fixture("invoice_with_lines.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .sales_invoices()
        .create(&invoice())
        .send()
        .await
        .unwrap();
    assert_eq!(created.number, Some(InvoiceNumber::new("14656")));
}

#[tokio::test]
async fn invoice_create_unposted() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sales/invoice"))
        .and(query_param("post", "false"))
        .respond_with(ok_json(
            json!({"RecordID": 5, "Reference": "MOMENT-INV-42"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .sales_invoices()
        .create(&invoice())
        .unposted()
        .send()
        .await
        .unwrap();
    assert_eq!(created.number, None);
    assert_eq!(created.record_id, Some(5));
}

#[tokio::test]
async fn a_posted_invoice_without_number_is_a_typed_error() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sales/invoice"))
        .respond_with(ok_json(json!({"Number": "", "Reference": "MOMENT-INV-42"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .sales_invoices()
        .create(&invoice())
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::MissingInvoiceNumber { invoice } => {
            assert_eq!(invoice.reference.as_deref(), Some("MOMENT-INV-42"))
        }
        other => panic!("{other:?}"),
    }
    assert!(err.was_applied());
    assert!(err.may_have_been_applied());
}

#[tokio::test]
async fn invalid_invoices_are_refused_before_sending() {
    let server = server().await;
    let client = client(&server);
    let mut bad = invoice();
    bad.lines[0].item_code = "X".repeat(21).into();
    let err = client
        .sales_invoices()
        .create(&bad)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "lines[0].item_code"));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn invoice_get_by_reference_and_list() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/invoice/14656"))
        .and(auth())
        .respond_with(ok_json(fixture("invoice_with_lines.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/invoice/reference/MOMENT%2042"))
        .and(auth())
        .respond_with(ok_json(json!([fixture("invoice_with_lines.json")])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/invoice/page/1/500"))
        .and(auth())
        .and(query_param("includeLines", "true"))
        .and(query_param("createdAfter", "2024-01-01"))
        .and(query_param("modifiedAfter", "2024-02-01T12:30:00"))
        .and(query_param("customer", "1710794709"))
        .and(query_param("project", "P-100"))
        .and(query_param("reference", "MOMENT-INV-42"))
        .respond_with(ok_json(json!([fixture("invoice_with_lines.json")])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let one = client
        .sales_invoices()
        .get(&"14656".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.lines.unwrap().len(), 2);
    let by_ref = client
        .sales_invoices()
        .by_reference("MOMENT 42")
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    let listed = client
        .sales_invoices()
        .list()
        .per_page(500)
        .include_lines(true)
        .created_after(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())
        .modified_after(Utc.with_ymd_and_hms(2024, 2, 1, 12, 30, 0).unwrap())
        .customer(&"1710794709".into())
        .project(&"P-100".into())
        .reference("MOMENT-INV-42")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn by_reference_with_no_match_is_empty() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/invoice/reference/NOPE"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "Not found"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(
        client
            .sales_invoices()
            .by_reference("NOPE")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn product_get_plain_and_base64() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Product/sndkost"))
        .and(query_param_is_missing("isBase64"))
        .and(auth())
        .respond_with(ok_json(fixture("product.json")))
        .expect(1)
        .mount(&server)
        .await;
    // "A/B Þ" → base64 "QS9CIMOe", sent as a path segment.
    Mock::given(method("GET"))
        .and(path("/api/v1/Product/QS9CIMOe"))
        .and(query_param("isBase64", "true"))
        .and(auth())
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    // "??>" → base64 "Pz8+" ('+' stays), "???" → "Pz8/" ('/' is encoded).
    Mock::given(method("GET"))
        .and(path("/api/v1/Product/Pz8%2F"))
        .and(query_param("isBase64", "true"))
        .respond_with(ok_json(json!({"ItemCode": "???"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let p = client
        .products()
        .get(&"sndkost".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.tax_percent, Some(dec!(24)));
    assert_eq!(client.products().get(&"A/B Þ".into()).await.unwrap(), None);
    let odd = client.products().get(&"???".into()).await.unwrap().unwrap();
    assert_eq!(odd.item_code.unwrap().as_str(), "???");
}

#[tokio::test]
async fn product_create_and_update() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/product"))
        .and(auth())
        .and(body_json(json!({"ItemCode": "sndkost", "Description": "Sendingarkostnaður", "TaxPercent": 24, "UnitPrice1WithTax": 2500})))
        .respond_with(ok_json(fixture("product.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/product/sndkost"))
        .and(auth())
        .and(body_json(json!({"Inactive": true})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    // The PUT answered with an empty body, so the product is read back.
    Mock::given(method("GET"))
        .and(path("/api/v1/Product/sndkost"))
        .respond_with(ok_json(json!({"ItemCode": "sndkost", "Inactive": true})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let created = client
        .products()
        .create(&ProductCreate {
            item_code: "sndkost".into(),
            description: Some("Sendingarkostnaður".into()),
            tax_percent: Some(dec!(24)),
            unit_price1_with_tax: Some(dec!(2500)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.item_code, Some(ItemCode::new("sndkost")));
    let updated = client
        .products()
        .update(
            &"sndkost".into(),
            &ProductUpdate {
                inactive: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.inactive, Some(true));
}

#[tokio::test]
async fn product_limits_are_checked_before_sending() {
    let server = server().await;
    let client = client(&server);
    let err = client
        .products()
        .create(&ProductCreate {
            item_code: "OK".into(),
            description: Some("d".repeat(41)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "description"));
    let err = client
        .products()
        .get(&"x".repeat(21).into())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "item_code"));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn product_list_filters() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/Product/page/1/100"))
        .and(query_param("inactive", "false"))
        .and(query_param("group", "ÞJ"))
        .respond_with(ok_json(json!([fixture("product.json")])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let page = client
        .products()
        .list()
        .inactive(false)
        .group("ÞJ")
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
}

#[tokio::test]
async fn sales_person_get_and_list() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/person/vef"))
        .and(auth())
        .respond_with(ok_json(fixture("sales_person.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/sales/person/page/1/100"))
        .and(auth())
        .respond_with(ok_json(json!([fixture("sales_person.json")])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let sp = client
        .sales_persons()
        .get(&"vef".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sp.number, Some(SalesPersonNumber::new("vef")));
    let all: Vec<SalesPerson> = client
        .sales_persons()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn company_connection_check() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/company/connection"))
        .and(auth())
        .respond_with(ok_json(json!(true)))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(client.verify().await.unwrap());
}
