//! Reports are data: a service stores, sends or shows them without its own copy of the types.

use chrono::{TimeZone, Utc};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{IntegrationConfig, SyncReport, Warning};
use rust_decimal_macros::dec;
use serde_json::json;

async fn demo_report() -> (SyncReport, DemoCompany) {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    let demo = DemoCompany::seed(&world);
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (world.engine.backfill(since).await, demo)
}

#[tokio::test]
async fn a_report_serializes_with_machine_keys_beside_the_human_text() {
    let (report, demo) = demo_report().await;
    let data = serde_json::to_value(&report).unwrap();

    for key in [
        "started_at",
        "finished_at",
        "counts",
        "outcomes",
        "warnings",
        "dry_run",
    ] {
        assert!(data.get(key).is_some(), "no {key}: {data:#}");
    }
    assert_eq!(data["counts"]["failed"], json!(report.counts.failed));

    let outcomes = data["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), report.outcomes.len());
    for (value, outcome) in outcomes.iter().zip(&report.outcomes) {
        assert_eq!(value["message"], json!(outcome.to_string()));
        assert_eq!(value["label"], json!(outcome.label()));
        assert_eq!(value["status"], json!(outcome.status.key()));
        assert_eq!(value["moment_id"]["id"], json!(outcome.moment_id.get()));
        assert!(value["moment_id"]["type"].is_string(), "{value:#}");
        for warning in value["warnings"].as_array().unwrap() {
            assert!(warning["kind"].is_string(), "{warning:#}");
            assert!(warning["message"].is_string(), "{warning:#}");
        }
    }

    // The invoice that cannot be sent: its failure by kind, every problem by kind, each with
    // what to fix, and whether a later run helps.
    let failed = outcomes
        .iter()
        .find(|o| {
            o.get("moment_id")
                == Some(&json!({"type": "invoice", "id": demo.failing_invoice.get()}))
        })
        .expect("the failing invoice is reported");
    assert_eq!(failed["status"], "failed");
    let failure = &failed["failure"];
    assert_eq!(failure["kind"], "mapping");
    assert_eq!(failure["retry_later"], false);
    assert!(failure["message"].as_str().unwrap().contains("kennitala"));
    let problems = failure["details"]["problems"].as_array().unwrap();
    assert_eq!(problems[0]["kind"], "kennitala_missing", "{failure:#}");
    assert!(problems[0]["message"].as_str().unwrap().contains("Moment"));
    assert_eq!(failure["details"]["object"]["type"], "invoice");
}

#[test]
fn amounts_serialize_as_exact_strings() {
    let warning = Warning::InvoiceTotalMismatch {
        moment: dec!(300.30),
        mapped: dec!(300.29),
        difference: dec!(-0.01),
    };
    let data = serde_json::to_value(&warning).unwrap();
    assert_eq!(
        data,
        json!({
            "kind": "invoice_total_mismatch",
            "details": {"moment": "300.30", "mapped": "300.29", "difference": "-0.01"},
            "message": warning.to_string(),
        })
    );
    // A variant without fields has no details.
    let data = serde_json::to_value(Warning::VatNotChecked).unwrap();
    assert_eq!(data["kind"], "vat_not_checked");
    assert!(data.get("details").is_none(), "{data:#}");
}
