//! Every endpoint: method, path, query and auth, checked against exact wiremock matchers.

mod common;

use chrono::{DateTime, Utc};
use common::{BASIC, client, path};
use futures_util::TryStreamExt;
use moment_client::{
    CustomerId, FinancialAccountId, InvoiceId, InvoiceState, InvoiceType, ProductId, ProjectId,
};
use serde_json::json;
use wiremock::matchers::{header, method, path as p, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn expect_get(server: &MockServer, rest: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(p(path(rest)))
        .and(header("authorization", BASIC))
        .and(header("accept", "application/json"))
        .respond_with(ok(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn get_each_resource_by_id() {
    let server = MockServer::start().await;
    expect_get(
        &server,
        "/customers/11",
        json!({"id": 11, "customerNumber": "C11"}),
    )
    .await;
    expect_get(
        &server,
        "/projects/12",
        json!({"id": 12, "projectNumber": "P12"}),
    )
    .await;
    expect_get(
        &server,
        "/invoices/13",
        json!({"id": 13, "lines": [{"description": "x", "quantity": 1}]}),
    )
    .await;
    expect_get(
        &server,
        "/products/14",
        json!({"id": 14, "productNumber": "V14"}),
    )
    .await;
    expect_get(
        &server,
        "/financialAccounts/15",
        json!({"id": 15, "accountNumber": "3000"}),
    )
    .await;
    let c = client(&server);

    let customer = c.customers().get(CustomerId(11)).await.unwrap().unwrap();
    assert_eq!(customer.customer_number, Some("C11".into()));
    let project = c.projects().get(ProjectId(12)).await.unwrap().unwrap();
    assert_eq!(project.project_number, Some("P12".into()));
    let invoice = c.invoices().get(InvoiceId(13)).await.unwrap().unwrap();
    assert_eq!(invoice.lines.len(), 1);
    let product = c.products().get(ProductId(14)).await.unwrap().unwrap();
    assert_eq!(product.product_number, Some("V14".into()));
    let account = c
        .financial_accounts()
        .get(FinancialAccountId(15))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.account_number, Some("3000".into()));
}

#[tokio::test]
async fn get_unknown_id_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/customers/99")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "No customer 99"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .customers()
            .get(CustomerId(99))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn list_each_resource_with_paging_params() {
    let server = MockServer::start().await;
    for (resource, body) in [
        ("customers", json!([{"id": 1}])),
        ("projects", json!([{"id": 2}])),
        ("invoices", json!([{"id": 3}])),
        ("products", json!([{"id": 4}])),
        ("financialAccounts", json!([{"id": 5}])),
    ] {
        Mock::given(method("GET"))
            .and(p(path(&format!("/{resource}"))))
            .and(header("authorization", BASIC))
            .and(query_param("page", "0"))
            .and(query_param("size", "100"))
            .respond_with(ok(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    assert_eq!(
        c.customers().list().send().await.unwrap().items[0].id,
        CustomerId(1)
    );
    assert_eq!(
        c.projects().list().send().await.unwrap().items[0].id,
        ProjectId(2)
    );
    assert_eq!(
        c.invoices().list().send().await.unwrap().items[0].id,
        InvoiceId(3)
    );
    assert_eq!(
        c.products().list().send().await.unwrap().items[0].id,
        ProductId(4)
    );
    assert_eq!(
        c.financial_accounts().list().send().await.unwrap().items[0].id,
        FinancialAccountId(5)
    );
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn customer_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/customers")))
        .and(query_param("lastModifiedDateFrom", "2025-02-01T00:00:00Z"))
        .and(query_param(
            "lastModifiedDateTo",
            "2025-03-01T00:00:00.250Z",
        ))
        .and(query_param("createdDateFrom", "2024-01-01T00:00:00Z"))
        .and(query_param("createdDateTo", "2024-12-31T23:59:59Z"))
        .and(query_param("query", "Norðurljós & co"))
        .and(query_param("sort", "id,asc"))
        .and(query_param("tag", "vip"))
        .and(query_param("page", "3"))
        .and(query_param("size", "7"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .customers()
        .list()
        .modified_since(at("2025-02-01T00:00:00Z"))
        .modified_before(at("2025-03-01T00:00:00.25Z"))
        .created_since(at("2024-01-01T00:00:00Z"))
        .created_before(at("2024-12-31T23:59:59Z"))
        .query("Norðurljós & co")
        .sort("id,asc")
        .param("tag", "vip")
        .page(3)
        .per_page(7)
        .send()
        .await
        .unwrap();
    assert!(page.is_empty() && page.is_last());
    assert_eq!(page.number, 3);
}

#[tokio::test]
async fn invoice_and_project_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/invoices")))
        .and(query_param("state", "FINALIZED"))
        .and(query_param("invoiceType", "CREDIT_NOTE"))
        .and(query_param("customerId", "7"))
        .and(query_param("projectId", "8"))
        .and(query_param("lastModifiedDateFrom", "2025-02-01T00:00:00Z"))
        .and(query_param("page", "0"))
        .respond_with(ok(
            json!([{"id": 1, "state": "FINALIZED", "invoiceType": "CREDIT_NOTE"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(p(path("/invoices")))
        .and(query_param("state", "FINALIZED"))
        .and(query_param("invoiceType", "CREDIT_NOTE"))
        .and(query_param("customerId", "7"))
        .and(query_param("projectId", "8"))
        .and(query_param("page", "1"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(p(path("/projects")))
        .and(query_param("customerId", "7"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let invoices: Vec<_> = c
        .invoices()
        .list()
        .state(InvoiceState::Draft)
        .state(InvoiceState::Finalized)
        .invoice_type(InvoiceType::CreditNote)
        .customer(CustomerId(7))
        .project(ProjectId(8))
        .modified_since(at("2025-02-01T00:00:00Z"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(invoices.len(), 1);
    assert!(invoices[0].is_credit_note());
    let projects = c
        .projects()
        .list()
        .customer(CustomerId(7))
        .send()
        .await
        .unwrap();
    assert!(projects.is_empty());
}

#[tokio::test]
async fn invoice_lines_sub_resource() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/invoices/13/lines")))
        .and(header("authorization", BASIC))
        .and(query_param_is_missing("page"))
        .respond_with(ok(json!({"content": [{"id": 1, "quantity": "2"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(p(path("/invoices/14/lines")))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let c = client(&server);
    let lines = c.invoices().lines(InvoiceId(13)).await.unwrap().unwrap();
    assert_eq!(lines[0].quantity, Some(rust_decimal_macros::dec!(2)));
    assert!(c.invoices().lines(InvoiceId(14)).await.unwrap().is_none());
}

#[tokio::test]
async fn verify_asks_for_one_customer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/customers")))
        .and(header("authorization", BASIC))
        .and(query_param("page", "0"))
        .and(query_param("size", "1"))
        .respond_with(ok(json!([{"id": 1, "anything": true}])))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).verify().await.unwrap();
}

#[tokio::test]
async fn user_agent_default_and_custom() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header(
            "user-agent",
            concat!("moment-client/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("user-agent", "sync-job/2"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).customers().list().send().await.unwrap();
    common::builder(&server)
        .user_agent("sync-job/2")
        .build()
        .unwrap()
        .customers()
        .list()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn list_parameter_mistakes_are_config_errors() {
    let server = MockServer::start().await;
    let c = client(&server);
    for err in [
        c.customers()
            .list()
            .param("page", "2")
            .send()
            .await
            .unwrap_err(),
        c.customers().list().per_page(0).send().await.unwrap_err(),
        common::builder(&server)
            .page_base(moment_client::PageBase::One)
            .build()
            .unwrap()
            .customers()
            .list()
            .page(0)
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(err, moment_client::Error::Config { .. }),
            "{err:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_payment_is_posted_once_as_json_and_a_5xx_may_have_been_applied() {
    let server = MockServer::start().await;
    let payment = moment_client::PaymentCreate {
        amount: "1234.5".parse().unwrap(),
        payment_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        external_id: "dkplus:1001:1".into(),
        comment: None,
    };
    Mock::given(method("POST"))
        .and(p(path("/invoices/13/payments")))
        .and(header("authorization", BASIC))
        .and(header("content-type", "application/json"))
        .and(wiremock::matchers::body_json(json!({
            "amount": 1234.5, "paymentDate": "2026-11-20", "externalId": "dkplus:1001:1"
        })))
        .respond_with(ResponseTemplate::new(503))
        .expect(1) // never retried: a write that failed is the caller's to check
        .mount(&server)
        .await;
    let err = client(&server)
        .invoices()
        .register_payment(InvoiceId(13), &payment)
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err}");
    assert_eq!(err.method(), Some("POST"));
}

#[tokio::test]
async fn an_invoices_payments_are_read_whole_or_not_at_all() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(p(path("/invoices/13/payments")))
        .and(query_param("size", "1000"))
        .respond_with(ok(json!({
            "content": [{"id": 1, "amount": 100, "paymentDate": "2026-11-20"}],
            "page": {"size": 1, "totalElements": 2, "totalPages": 2, "number": 0}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(p(path("/invoices/14/payments")))
        .respond_with(ok(
            json!([{"id": 2, "paidAmount": "50.5", "externalId": "dkplus:1:1"}]),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.invoices().payments(InvoiceId(13)).await.unwrap_err();
    assert!(
        matches!(err, moment_client::Error::IncompleteList { shown: 1, .. }),
        "{err}"
    );
    let whole = client
        .invoices()
        .payments(InvoiceId(14))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(whole[0].amount, Some("50.5".parse().unwrap()));
    assert_eq!(whole[0].external_id.as_deref(), Some("dkplus:1:1"));
}
