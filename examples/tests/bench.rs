//! The benchmark's parts: the generated company is valid and maps cleanly, a measured backfill
//! transfers every invoice exactly once within its request budget, the correctness check catches
//! a wrong DK+, the naive baseline and the memory probe do what they claim. No timing is asserted.

use std::collections::BTreeSet;
use std::time::Duration;

use dkplus_client::testing::FakeDkPlus;
use dkplus_client::{CustomerNumber, InvoiceNumber, Kennitala, SalesInvoice};
use moment_dkplus_examples::bench::backfill::{
    BenchError, Posting, check_dkplus, measure_backfill, measure_steady,
};
use moment_dkplus_examples::bench::invoice_memory::{InvoiceProbe, probe_invoices};
use moment_dkplus_examples::bench::memory::probe;
use moment_dkplus_examples::bench::naive::measure_naive;
use moment_dkplus_examples::bench::workload::{
    Workload, company_kennitala, customer, dkplus_invoice_page,
};
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::rules::{InvoiceInputs, map_invoice};

fn small(invoices: usize) -> Workload {
    Workload {
        invoices,
        products: 20,
        customers: 5,
        lines_per_invoice: 10,
    }
}

#[test]
fn generated_kennitolur_are_valid_distinct_company_numbers() {
    let mut seen = BTreeSet::new();
    for index in 0..20_000 {
        let raw = company_kennitala(index);
        let parsed = Kennitala::parse(&raw).unwrap_or_else(|e| panic!("{index}: {raw}: {e}"));
        assert!(parsed.is_company(), "{raw}");
        assert!(seen.insert(raw), "index {index} repeats a kennitala");
    }
    // The last index the documentation promises is still valid.
    assert!(Kennitala::parse(&company_kennitala(199_999)).is_ok());
    assert_eq!(
        customer(7),
        customer(7),
        "customers depend only on their index"
    );
}

#[test]
fn generated_invoices_map_cleanly_and_add_up() {
    let workload = Workload::default();
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .unwrap();
    let data = workload.reference_data();
    for index in 0..200 {
        let invoice = workload.invoice(index);
        let customer = workload.invoice_customer(index);
        let mapped = map_invoice(
            InvoiceInputs {
                invoice: &invoice,
                customer: Some(&customer),
                project: None,
                reference_data: &data,
            },
            &config,
        )
        .unwrap_or_else(|e| panic!("invoice {index}: {e}"));
        assert_eq!(mapped.create.lines.len(), 10);
        assert_eq!(
            mapped.products.len(),
            10,
            "ten distinct products per invoice"
        );
        assert_eq!(Some(mapped.total), invoice.total_excluding_vat);
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
        assert_eq!(mapped.reference, workload.invoice_number(index));
    }
}

#[test]
fn the_generated_dkplus_page_decodes_completely() {
    let body = dkplus_invoice_page(5, 3);
    let invoices: Vec<SalesInvoice> = serde_json::from_str(&body).unwrap();
    assert_eq!(invoices.len(), 5);
    for invoice in &invoices {
        assert_eq!(invoice.lines.as_ref().map(Vec::len), Some(3));
        assert!(invoice.reference.is_some() && invoice.total_amount.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_measured_backfill_sends_every_invoice_once_within_the_request_budget() {
    let workload = small(100);
    let m = measure_backfill(&workload, Duration::ZERO, 4, Posting::Concurrent)
        .await
        .unwrap();
    assert_eq!(m.invoices, 100);
    // 100 invoices, 5 customers, 5 projects and 20 products, all created.
    assert_eq!(m.counts.created, 130, "{:?}", m.counts);
    assert_eq!(m.counts.failed, 0);
    let dk = |route: &str| m.dkplus_requests.get(route).copied().unwrap_or(0);
    // One post per invoice and no look-up by reference (the ledger, brought up to date with
    // DK+ at the start of the run, knows none of them); everything else once per run.
    assert_eq!(dk("POST /sales/invoice"), 100);
    assert_eq!(dk("GET /sales/invoice/reference/{reference}"), 0);
    assert_eq!(dk("GET /sales/person/{number}"), 1);
    assert_eq!(dk("GET /Product/{id}"), 20);
    assert_eq!(dk("POST /product"), 20);
    assert_eq!(dk("GET /Customer/{customer}"), 5);
    assert_eq!(dk("POST /Customer"), 5);
    assert_eq!(dk("GET /project/{number}"), 5);
    assert_eq!(dk("POST /project"), 5);
    // The run's first request checks DK+; each new customer is looked for under another number;
    // the ledger is seeded from DK+'s invoices once and then brought up to date (an empty
    // page each: DK+ has none yet).
    assert_eq!(dk("GET /company/connection"), 1);
    assert_eq!(dk("GET /sales/invoice/page/{page}/{count}"), 2);
    assert_eq!(dk("GET /Customer/search/{value}/{max}"), 5);
    // Moment's listings are read a second time to find what they skipped while changing.
    assert!(
        m.requests_per_invoice() <= 4.1,
        "{} requests per invoice",
        m.requests_per_invoice()
    );
    assert_eq!(m.requests(), m.moment_requests + 169);
    assert!(m.ideal(Duration::from_millis(5)) > Duration::ZERO);
}

fn dk_invoice(reference: &str, customer: &str, total: rust_decimal::Decimal) -> SalesInvoice {
    SalesInvoice {
        number: Some(InvoiceNumber::new(reference)),
        reference: Some(reference.into()),
        customer_number: Some(CustomerNumber::new(customer)),
        total_amount: Some(total),
        ..SalesInvoice::default()
    }
}

#[tokio::test]
async fn the_check_reports_missing_duplicated_wrong_and_unexpected_invoices() {
    let workload = small(4);
    let dkplus = FakeDkPlus::start().await;
    let right = |i: usize| {
        let invoice = workload.invoice(i);
        let customer = workload.invoice_customer(i);
        dk_invoice(
            &workload.invoice_number(i),
            customer.customer_number.as_ref().unwrap().as_str(),
            invoice.total_excluding_vat.unwrap(),
        )
    };
    dkplus.add_invoice(right(0));
    // 1 twice, 2 with a wrong total, 3 missing, and one nobody sent.
    dkplus.add_invoice(right(1));
    let mut again = right(1);
    again.number = Some(InvoiceNumber::new("999"));
    dkplus.add_invoice(again);
    let mut wrong = right(2);
    wrong.total_amount = Some(rust_decimal::Decimal::ONE);
    dkplus.add_invoice(wrong);
    dkplus.add_invoice(dk_invoice("777", "10001", rust_decimal::Decimal::TEN));

    let Err(BenchError::Incorrect { problems, .. }) =
        check_dkplus(&workload, &dkplus, &[0, 1, 2, 3], None, 4)
    else {
        panic!("a wrong DK+ must be reported");
    };
    let all = problems.join("\n");
    for expected in [
        format!("invoice {} is in DK+ 2 times", workload.invoice_number(1)),
        format!("invoice {} has total", workload.invoice_number(2)),
        format!("invoice {} is missing", workload.invoice_number(3)),
        "unexpected invoice \"777\"".to_owned(),
    ] {
        assert!(all.contains(&expected), "{expected} not in:\n{all}");
    }
    assert!(!all.contains(&workload.invoice_number(0)), "{all}");
    assert!(check_dkplus(&workload, &dkplus, &[0], None, 4).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_naive_baseline_sends_each_listed_invoice_and_costs_more_requests() {
    let workload = small(30);
    let naive = measure_naive(&workload, Duration::ZERO, 10).await.unwrap();
    assert_eq!(naive.invoices, 10);
    assert_eq!(naive.counts.created, 10);
    let dk = |route: &str| naive.dkplus_requests.get(route).copied().unwrap_or(0);
    assert_eq!(dk("POST /sales/invoice"), 10);
    // No run caches: the sales person and every product are checked again for each invoice.
    assert_eq!(dk("GET /sales/person/{number}"), 10);
    assert_eq!(dk("GET /Product/{id}"), 100);
    let cached = measure_backfill(&workload, Duration::ZERO, 1, Posting::InOrder)
        .await
        .unwrap();
    assert!(naive.requests_per_invoice() > 3.0 * cached.requests_per_invoice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_probe_transfers_every_generated_customer() {
    let p = probe(450).await.unwrap();
    assert_eq!(p.customers, 450, "{p:?}");
    assert_eq!(p.created, 450);
    assert_eq!(p.failed, 0);
    if cfg!(target_os = "linux") {
        assert!(p.peak_rss_kib.is_some_and(|k| k > 0), "{p:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_backfill_longer_than_what_is_kept_whole_books_every_invoice_once() {
    // Beyond the first 1,000 listed invoices only their identities are kept; each is read again
    // when its turn comes.
    let p = probe_invoices(1_100).await.unwrap();
    assert_eq!(p.booked, 1_100, "{p:?}");
    assert_eq!(p.failed, 0, "{p:?}");
    assert_eq!(p.out_of_order, 0, "each once, in Moment's order: {p:?}");
    let read = InvoiceProbe::from_line(&p.to_line()).expect("its own line reads back");
    assert_eq!((read.invoices, read.booked, read.failed), (1_100, 1_100, 0));
    assert_eq!(read.elapsed.as_millis(), p.elapsed.as_millis());
}

#[tokio::test]
async fn the_steady_state_costs_one_dkplus_request_per_new_invoice() {
    let workload = small(40);
    let m = measure_steady(&workload, Duration::ZERO, 4).await.unwrap();
    assert_eq!(m.invoices, 40);
    assert_eq!(m.counts.created, 40, "{:?}", m.counts);
    let dk = |route: &str| m.dkplus_requests.get(route).copied().unwrap_or(0);
    assert_eq!(dk("POST /sales/invoice"), 40, "{:?}", m.dkplus_requests);
    // The run's connection and sales-person checks and DK+'s recent invoices (one page, and
    // the empty one after it).
    assert_eq!(m.dkplus_requests(), 44, "{:?}", m.dkplus_requests);
}
