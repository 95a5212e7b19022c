//! Mapping throughput: Moment invoices of ten lines turned into DK+ sales invoices by
//! `rules::map_invoice` (pure: no I/O). Criterion's `thrpt` line is invoices per second.
//!
//! ```sh
//! cargo bench -p moment-dkplus-examples --bench map_invoice
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use moment_dkplus_examples::bench::workload::Workload;
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::rules::{InvoiceInputs, map_invoice};

/// Invoices mapped per iteration.
const BATCH: usize = 100;

fn map_invoices(c: &mut Criterion) {
    let workload = Workload::default();
    let config = match IntegrationConfig::builder().sales_person("vef").build() {
        Ok(config) => config,
        Err(e) => panic!("the benchmark configuration is refused: {e}"),
    };
    let data = workload.reference_data();
    let invoices: Vec<_> = (0..BATCH)
        .map(|i| (workload.invoice(i), workload.invoice_customer(i)))
        .collect();
    // Measure the real work, not an early refusal: every invoice must map, with all its lines.
    for (invoice, customer) in &invoices {
        let inputs = InvoiceInputs {
            invoice,
            customer: Some(customer),
            project: None,
            reference_data: &data,
        };
        match map_invoice(inputs, &config) {
            Ok(mapped) => assert_eq!(mapped.create.lines.len(), workload.lines_per_invoice),
            Err(e) => panic!("a generated invoice does not map: {e}"),
        }
    }

    let mut group = c.benchmark_group("map_invoice");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("invoices of 10 lines", |b| {
        b.iter(|| {
            for (invoice, customer) in &invoices {
                let inputs = InvoiceInputs {
                    invoice,
                    customer: Some(customer),
                    project: None,
                    reference_data: &data,
                };
                let _ = black_box(map_invoice(black_box(inputs), &config));
            }
        });
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    map_invoices(&mut criterion);
    criterion.final_summary();
}
