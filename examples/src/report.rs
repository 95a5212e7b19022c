//! Printing what a sync did: per object the Moment number, the DK+ number, the outcome and the
//! warnings; the writes a dry run would have sent; the failure report as it would be e-mailed.

use std::io::{self, Write};

use moment_dkplus_mapping::{
    FailureReport, ObjectOutcome, OutcomeStatus, PlannedWrite, SyncReport,
};

/// Writes `text` with every line after the first indented by `indent`.
fn write_indented(out: &mut dyn Write, first: &str, indent: &str, text: &str) -> io::Result<()> {
    let mut lines = text.lines();
    writeln!(out, "{first}{}", lines.next().unwrap_or_default())?;
    for line in lines {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

/// One object: `invoice 1001 [Moment id 501] → DK+ 100001: created`, its failure's further
/// lines and its warnings underneath.
pub fn write_outcome(out: &mut dyn Write, outcome: &ObjectOutcome) -> io::Result<()> {
    write_indented(out, "  ", "      ", &outcome.to_string())?;
    for warning in &outcome.warnings {
        write_indented(out, "      warning: ", "        ", &warning.to_string())?;
    }
    Ok(())
}

/// The outcomes as a table sorted by object type and Moment number — Moment number, DK+
/// number, outcome — with each failure's reason and each warning underneath.
pub fn write_table(out: &mut dyn Write, outcomes: &[ObjectOutcome]) -> io::Result<()> {
    let mut sorted: Vec<&ObjectOutcome> = outcomes.iter().collect();
    sorted.sort_by(|a, b| {
        let number = |o: &ObjectOutcome| {
            let n = o.moment_number.clone().unwrap_or_default();
            (n.len(), n)
        };
        (a.kind, number(a), a.moment_id).cmp(&(b.kind, number(b), b.moment_id))
    });
    writeln!(
        out,
        "  {:<9} {:<10} {:<10} outcome",
        "object", "Moment", "DK+"
    )?;
    for outcome in sorted {
        writeln!(
            out,
            "  {:<9} {:<10} {:<10} {}",
            outcome.kind.to_string(),
            outcome.moment_number.as_deref().unwrap_or("-"),
            outcome.dkplus_number.as_deref().unwrap_or("-"),
            outcome.label()
        )?;
        match &outcome.status {
            OutcomeStatus::Failed(failure) => {
                write_indented(out, "      ", "      ", &failure.to_string())?;
            }
            OutcomeStatus::Skipped(reason) if !reason.is_empty() => {
                writeln!(out, "      {reason}")?;
            }
            _ => {}
        }
        for warning in &outcome.warnings {
            write_indented(out, "      warning: ", "        ", &warning.to_string())?;
        }
    }
    Ok(())
}

/// Every outcome the report kept, why the run stopped, the listings that stopped early, the
/// run's own warnings and the summary line.
pub fn write_report(out: &mut dyn Write, report: &SyncReport) -> io::Result<()> {
    if let Some(stopped) = &report.stopped {
        write_indented(out, "  STOPPED: ", "    ", &stopped.to_string())?;
    }
    for outcome in &report.outcomes {
        write_outcome(out, outcome)?;
    }
    for warning in &report.warnings {
        write_indented(out, "  warning: ", "    ", &warning.to_string())?;
    }
    for listing in &report.listing_failures {
        writeln!(
            out,
            "  {listing}; the next run with the same start continues from there"
        )?;
    }
    writeln!(out, "Summary: {}.", report.counts.summary(report.dry_run))?;
    if let Some(error) = &report.notify_error {
        writeln!(out, "The failure report was not delivered: {error}")?;
    }
    Ok(())
}

/// The writes a [`DryRun`](moment_dkplus_mapping::DryRun) recorded: request line and JSON body.
pub fn write_planned(out: &mut dyn Write, planned: &[PlannedWrite]) -> io::Result<()> {
    if planned.is_empty() {
        return writeln!(out, "Dry run: nothing would be written to DK+.");
    }
    writeln!(
        out,
        "Dry run: {} write(s) would be sent to DK+ (nothing was written):",
        planned.len()
    )?;
    for (i, write) in planned.iter().enumerate() {
        let (request, body) = write.describe();
        writeln!(out, "\n{}. {request}", i + 1)?;
        writeln!(out, "{body}")?;
    }
    Ok(())
}

/// The failure report as it would be e-mailed: recipient, subject, body.
pub fn write_failure_report(out: &mut dyn Write, report: &FailureReport) -> io::Result<()> {
    writeln!(out, "---- failure report (as it would be e-mailed) ----")?;
    writeln!(
        out,
        "To: {}",
        report
            .to
            .as_deref()
            .unwrap_or("(no ERROR_EMAIL configured)")
    )?;
    writeln!(out, "Subject: {}", report.subject)?;
    writeln!(out)?;
    write!(out, "{}", report.body)?;
    writeln!(out, "---- end of failure report ----")
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use moment_dkplus_mapping::{IntegrationConfig, Warning};

    use super::*;

    fn empty_report() -> SyncReport {
        SyncReport::empty(Utc::now())
    }

    fn text(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_empty_report_prints_its_summary() {
        let report = empty_report();
        let printed = text(|out| write_report(out, &report));
        assert_eq!(
            printed,
            "Summary: 0 created, 0 updated, 0 unchanged, 0 already in DK+, 0 skipped, 0 failed, 0 warnings.\n"
        );
    }

    #[test]
    fn an_undelivered_failure_report_is_mentioned() {
        let mut report = empty_report();
        report.notify_error = Some("mail relay down".into());
        let printed = text(|out| write_report(out, &report));
        assert!(
            printed.ends_with("not delivered: mail relay down\n"),
            "{printed}"
        );
    }

    #[test]
    fn no_planned_writes_says_so() {
        let printed = text(|out| write_planned(out, &[]));
        assert_eq!(printed, "Dry run: nothing would be written to DK+.\n");
    }

    #[test]
    fn the_failure_report_shows_a_missing_recipient() {
        let mut sync = empty_report();
        sync.warnings.push(Warning::CreditNoteWithoutOriginal);
        sync.counts.warnings = 1;
        let config = IntegrationConfig::builder()
            .sales_person("JON")
            .build()
            .unwrap();
        let report = FailureReport::for_report(&sync, &config).expect("warnings need a person");
        let printed = text(|out| write_failure_report(out, &report));
        assert!(
            printed.contains("To: (no ERROR_EMAIL configured)\n"),
            "{printed}"
        );
        assert!(
            printed.contains(&format!("\n\n{}---- end", report.body)),
            "{printed}"
        );
    }

    #[test]
    fn continuation_lines_are_indented() {
        let printed = text(|out| write_indented(out, "> ", "..", "a\nb\nc"));
        assert_eq!(printed, "> a\n..b\n..c\n");
    }
}
