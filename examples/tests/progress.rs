//! Progress of a backfill in plain-line mode (what a pipe or a service journal gets).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moment_dkplus_examples::progress::Progress;
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{IntegrationConfig, Retention};

/// A writer whose text the test can read afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn plain_lines_count_objects_and_show_each_failure_in_full() {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    DemoCompany::seed(&world);
    let captured = Captured::default();
    // A line every 3 objects; the time trigger is far away.
    let progress = Progress::lines(Box::new(captured.clone()), 3, Duration::from_secs(3600));
    let since = chrono::Utc::now() - chrono::Duration::days(30);
    let report = world
        .engine
        .backfill_with(since, Retention::ProblemsOnly, Some(&progress))
        .await;
    progress.finish();

    let tally = progress.tally();
    assert_eq!(
        (
            tally.customers,
            tally.projects,
            tally.invoices,
            tally.products
        ),
        (3, 2, 5, 2),
        "{tally:?}"
    );
    assert_eq!(tally.created, 10);
    assert_eq!(tally.failed, 1);
    assert_eq!(tally.total() as usize, report.counts.total());

    let text = captured.text();
    let progress_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert_eq!(progress_lines.len(), 4, "{text}");
    assert!(
        progress_lines[0].starts_with("progress: 3 objects"),
        "{text}"
    );
    assert!(
        progress_lines[3].starts_with("progress: 12 objects"),
        "{text}"
    );
    // The whole failure with its reason, not only its first words.
    let failed = text
        .lines()
        .find(|l| l.contains("invoice 1004 [Moment id 504]: FAILED"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(failed.contains("kennitala"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("done: 12 objects"),
        "{text}"
    );
    // Only problems are kept in the report: the failure and the outcomes with warnings.
    assert!(report.outcomes.len() < report.counts.total());
}
