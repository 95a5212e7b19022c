//! A `WriteRequest` is exactly what the client sends: each write is sent through the client to
//! the fake DK+ and compared, request line and body, with the request built as data.

use dkplus_client::testing::FakeDkPlus;
use dkplus_client::{
    CustomerNumber, CustomerWrite, Error, InvoiceCustomer, ItemCode, ProductCreate, ProductUpdate,
    ProjectCreate, SalesInvoiceCreate, SalesInvoiceLineCreate, SalesPerson, WriteRequest,
};
use rust_decimal::Decimal;

/// The last request the fake received, as (method, path below the API root, query, body).
fn last_sent(fake: &FakeDkPlus) -> (String, String, Vec<(String, String)>, serde_json::Value) {
    let request = fake.requests().pop().expect("a request was sent");
    (
        request.method.to_string(),
        request.path.trim_start_matches("/api/v1").to_owned(),
        request.query.clone(),
        request.body_json(),
    )
}

fn as_sent(write: &WriteRequest) -> (String, String, Vec<(String, String)>, serde_json::Value) {
    (
        write.method.to_owned(),
        write.path.clone(),
        write.query.clone(),
        write.body.clone(),
    )
}

#[tokio::test]
async fn every_write_request_is_what_the_client_sends() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeDkPlus::start().await;
    fake.add_sales_person(SalesPerson {
        number: Some("vef".into()),
        ..Default::default()
    });
    let client = fake.client()?;

    let customer = CustomerWrite {
        number: Some(CustomerNumber::new("10001")),
        name: Some("Norðurljós ehf.".into()),
        address1: Some("Hafnarstræti 1".into()),
        ..Default::default()
    };
    client.customers().create(&customer).await?;
    assert_eq!(
        last_sent(&fake),
        as_sent(&WriteRequest::create_customer(&customer)?)
    );

    let changes = CustomerWrite {
        email: Some("reikningar@nordurljos.is".into()),
        ..Default::default()
    };
    let number = CustomerNumber::new("10001");
    client.customers().update(&number, &changes).await?;
    assert_eq!(
        last_sent(&fake),
        as_sent(&WriteRequest::update_customer(&number, &changes)?)
    );

    let project = ProjectCreate {
        number: "P-100".into(),
        name: Some("Innleiðing".into()),
        customer_to_bill: Some(number.clone()),
        ..Default::default()
    };
    client.projects().create(&project).await?;
    assert_eq!(
        last_sent(&fake),
        as_sent(&WriteRequest::create_project(&project)?)
    );

    // An item code with a slash goes base64-encoded in the path, with isBase64=true.
    let product = ProductCreate {
        item_code: ItemCode::new("RÁÐ/GJÖF"),
        description: Some("Ráðgjöf".into()),
        tax_percent: Some(Decimal::from(24)),
        ..Default::default()
    };
    client.products().create(&product).await?;
    assert_eq!(
        last_sent(&fake),
        as_sent(&WriteRequest::create_product(&product)?)
    );
    let update = ProductUpdate {
        description: Some("Ráðgjöf, tímar".into()),
        ..Default::default()
    };
    client
        .products()
        .update(&product.item_code, &update)
        .await?;
    let write = WriteRequest::update_product(&product.item_code, &update)?;
    assert_eq!(write.query, [("isBase64".to_owned(), "true".to_owned())]);
    let sent = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .expect("the update was sent");
    assert_eq!(sent.path.trim_start_matches("/api/v1"), write.path);
    assert_eq!(sent.body_json(), write.body);

    let invoice = SalesInvoiceCreate {
        customer: InvoiceCustomer {
            number: number.clone(),
            ..Default::default()
        },
        sales_person: Some("vef".into()),
        reference: Some("1042".into()),
        lines: vec![SalesInvoiceLineCreate {
            item_code: product.item_code.clone(),
            quantity: Decimal::from(3),
            price: Decimal::from(18_500),
            ..Default::default()
        }],
        ..Default::default()
    };
    client.sales_invoices().create(&invoice).send().await?;
    let write = WriteRequest::create_invoice(&invoice, true)?;
    assert_eq!(write.request_line(), "POST /sales/invoice?post=true");
    assert_eq!(last_sent(&fake).3, write.body);
    assert_eq!(fake.contract_violations(), vec![]);
    Ok(())
}

#[test]
fn a_write_the_client_would_refuse_is_refused_as_data_too() {
    let product = ProductCreate {
        item_code: ItemCode::new("A-CODE-LONGER-THAN-TWENTY"),
        ..Default::default()
    };
    let error = WriteRequest::create_product(&product).unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
    // Renumbering a customer is refused, as the client refuses it.
    let renumber = CustomerWrite {
        number: Some(CustomerNumber::new("2")),
        ..Default::default()
    };
    assert!(WriteRequest::update_customer(&CustomerNumber::new("1"), &renumber).is_err());
}

#[test]
fn a_write_request_serializes_as_data() {
    let write = WriteRequest::create_customer(&CustomerWrite {
        number: Some(CustomerNumber::new("10001")),
        name: Some("Norðurljós ehf.".into()),
        ..Default::default()
    })
    .unwrap();
    let data = serde_json::to_value(&write).unwrap();
    assert_eq!(data["method"], "POST");
    assert_eq!(data["path"], "/Customer");
    assert_eq!(data["body"]["Number"], "10001");
}
