//! JSON decoding of a page of DK+ sales invoices (100 invoices of 10 lines, as
//! `GET /sales/invoice/page/…` answers) into `dkplus_client::SalesInvoice`: with plain
//! `serde_json`, and the way the client decodes (through `serde_path_to_error`, so an error
//! names the field). Criterion's `thrpt` line is invoices per second.
//!
//! ```sh
//! cargo bench -p moment-dkplus-examples --bench decode_invoice_page
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use dkplus_client::SalesInvoice;
use moment_dkplus_examples::bench::workload::dkplus_invoice_page;

/// Invoices on the page.
const PAGE: usize = 100;
/// Lines per invoice.
const LINES: usize = 10;

fn decode_with_path(body: &str) -> Result<Vec<SalesInvoice>, String> {
    let mut de = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| e.to_string())
}

fn decode_page(c: &mut Criterion) {
    let body = dkplus_invoice_page(PAGE, LINES);
    // Measure the real work, not an early error: the page must decode completely.
    match decode_with_path(&body) {
        Ok(invoices) => {
            assert_eq!(invoices.len(), PAGE);
            assert!(
                invoices
                    .iter()
                    .all(|i| i.lines.as_ref().map(Vec::len) == Some(LINES))
            );
        }
        Err(e) => panic!("the generated page does not decode: {e}"),
    }

    let mut group = c.benchmark_group(format!(
        "decode a DK+ invoice page ({PAGE} invoices of {LINES} lines, {} KiB)",
        body.len() / 1024
    ));
    group.throughput(Throughput::Elements(PAGE as u64));
    group.bench_function("serde_json", |b| {
        b.iter(|| {
            let _ = black_box(serde_json::from_str::<Vec<SalesInvoice>>(black_box(&body)));
        });
    });
    group.bench_function("as the client decodes", |b| {
        b.iter(|| {
            let _ = black_box(decode_with_path(black_box(&body)));
        });
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    decode_page(&mut criterion);
    criterion.final_summary();
}
