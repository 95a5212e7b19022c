//! [`Progress`]: shows how far a long backfill has come — a live progress line on a terminal,
//! plain log lines otherwise (a file, a pipe, a service's journal).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use moment_dkplus_mapping::sync::OutcomeSink;
use moment_dkplus_mapping::{ObjectKind, ObjectOutcome, OutcomeStatus};

/// Counts so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Customers seen.
    pub customers: u64,
    /// Projects seen.
    pub projects: u64,
    /// Invoices and credit notes seen.
    pub invoices: u64,
    /// Products created in DK+ for item codes.
    pub products: u64,
    /// Created in DK+.
    pub created: u64,
    /// Updated in DK+.
    pub updated: u64,
    /// DK+ already had it exactly so.
    pub unchanged: u64,
    /// DK+ already had it (invoices found by reference).
    pub already_present: u64,
    /// Skipped on purpose.
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
}

impl Tally {
    /// All objects seen.
    pub fn total(&self) -> u64 {
        self.customers + self.projects + self.invoices + self.products
    }

    fn add(&mut self, outcome: &ObjectOutcome) {
        match outcome.kind {
            ObjectKind::Customer => self.customers += 1,
            ObjectKind::Project => self.projects += 1,
            ObjectKind::Product => self.products += 1,
            _ => self.invoices += 1,
        }
        match outcome.status {
            OutcomeStatus::Created => self.created += 1,
            OutcomeStatus::Updated => self.updated += 1,
            OutcomeStatus::Unchanged => self.unchanged += 1,
            OutcomeStatus::AlreadyPresent => self.already_present += 1,
            OutcomeStatus::Failed(_) => self.failed += 1,
            _ => self.skipped += 1,
        }
    }

    fn describe(&self) -> String {
        format!(
            "customers {}, projects {}, invoices {}, products {}: {} created, {} updated, \
             {} unchanged, {} already in DK+, {} skipped, {} failed",
            self.customers,
            self.projects,
            self.invoices,
            self.products,
            self.created,
            self.updated,
            self.unchanged,
            self.already_present,
            self.skipped,
            self.failed
        )
    }
}

enum Display {
    Bar(ProgressBar),
    Lines {
        out: Box<dyn Write + Send>,
        every_objects: u64,
        every: Duration,
        last_line: Instant,
    },
}

struct State {
    tally: Tally,
    display: Display,
}

/// An [`OutcomeSink`] that counts outcomes, shows progress and prints each failure as it
/// happens. Give it to [`SyncEngine::backfill_with`](moment_dkplus_mapping::SyncEngine::backfill_with).
pub struct Progress {
    started: Instant,
    state: Mutex<State>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("tally", &self.tally())
            .finish_non_exhaustive()
    }
}

impl Progress {
    /// A live progress line when stderr is a terminal, plain lines on stderr otherwise.
    pub fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Self::bar()
        } else {
            Self::lines(Box::new(std::io::stderr()), 100, Duration::from_secs(10))
        }
    }

    /// A live progress line on stderr.
    pub fn bar() -> Self {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {pos} objects ({per_sec}) {wide_msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Self::with(Display::Bar(bar))
    }

    /// Plain lines on `out`: one every `every_objects` objects or `every`, whichever comes first.
    pub fn lines(out: Box<dyn Write + Send>, every_objects: u64, every: Duration) -> Self {
        Self::with(Display::Lines {
            out,
            every_objects: every_objects.max(1),
            every,
            last_line: Instant::now(),
        })
    }

    fn with(display: Display) -> Self {
        Self {
            started: Instant::now(),
            state: Mutex::new(State {
                tally: Tally::default(),
                display,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counts so far.
    pub fn tally(&self) -> Tally {
        self.lock().tally
    }

    /// Ends the display with a last line.
    pub fn finish(&self) {
        let elapsed = self.started.elapsed();
        let mut state = self.lock();
        let line = format!(
            "done: {} objects in {:.1}s ({})",
            state.tally.total(),
            elapsed.as_secs_f64(),
            state.tally.describe()
        );
        match &mut state.display {
            Display::Bar(bar) => bar.finish_with_message(line),
            Display::Lines { out, .. } => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

impl OutcomeSink for Progress {
    fn record(&self, outcome: &ObjectOutcome) {
        let elapsed = self.started.elapsed();
        let mut state = self.lock();
        state.tally.add(outcome);
        let tally = state.tally;
        // The whole failure, each line of it indented under the object.
        let failure = outcome
            .is_failed()
            .then(|| outcome.to_string().replace('\n', "\n    "));
        match &mut state.display {
            Display::Bar(bar) => {
                if let Some(line) = failure {
                    bar.println(line);
                }
                bar.set_position(tally.total());
                bar.set_message(tally.describe());
            }
            Display::Lines {
                out,
                every_objects,
                every,
                last_line,
            } => {
                if let Some(line) = failure {
                    let _ = writeln!(out, "{line}");
                }
                if tally.total().is_multiple_of(*every_objects) || last_line.elapsed() >= *every {
                    *last_line = Instant::now();
                    let per_sec = tally.total() as f64 / elapsed.as_secs_f64().max(0.001);
                    let _ = writeln!(
                        out,
                        "progress: {} objects in {:.0}s ({per_sec:.1}/s): {}",
                        tally.total(),
                        elapsed.as_secs_f64(),
                        tally.describe()
                    );
                }
            }
        }
    }
}
