//! Projects: Moment is master of the project number; DK+ cannot update projects, so a project
//! is created once and later differences are reported, not sent.

use dkplus_client::{CustomerNumber, ProjectCreate, ProjectNumber};
use moment_client::Project;

use super::text::{check_text, non_blank};
use super::{MappingError, MomentObjectRef, Problem};
use crate::config::IntegrationConfig;
use crate::warning::Warning;

/// Maps a Moment project to the DK+ project to create: `Number` (Moment's project number,
/// verbatim), `Name` (within the configured text limit) and `CustomerToBill`.
///
/// `customer_number` is the Moment customer number of the project's customer; pass it when the
/// project itself only carries the customer's id. It wins over the number on the project.
///
/// # Errors
/// A [`MappingError`] listing every problem: no project number, no name, control characters.
pub fn map_project(
    project: &Project,
    customer_number: Option<&moment_client::CustomerNumber>,
    config: &IntegrationConfig,
) -> Result<ProjectCreate, MappingError> {
    let mut problems = Vec::new();
    let number = project
        .project_number
        .as_ref()
        .map(|n| n.as_str())
        .filter(|n| !n.trim().is_empty());
    match number {
        None => problems.push(Problem::ProjectNumberMissing),
        Some(n) if n.chars().any(char::is_control) => problems.push(Problem::ControlCharacters {
            field: "the project number".into(),
        }),
        Some(_) => {}
    }
    let name = non_blank(project.name.as_deref());
    match name.map(|n| n.chars().count()) {
        None => problems.push(Problem::ProjectNameMissing),
        Some(length) if length > config.text_limits().project_name => {
            problems.push(Problem::TextTooLong {
                field: "the project name".into(),
                fix: "shorten the project's name in Moment (DK+ cannot rename a project later)",
                length,
                max: config.text_limits().project_name,
            });
        }
        Some(_) => {}
    }
    check_text(
        project.name.as_deref(),
        || "the project name".into(),
        &mut problems,
    );
    let customer = customer_number
        .or_else(|| project.customer_number())
        .map(|n| n.as_str())
        .filter(|n| !n.trim().is_empty());

    let (Some(number), Some(name), true) = (number, name, problems.is_empty()) else {
        return Err(MappingError {
            object: MomentObjectRef::Project {
                id: project.id.get(),
                number: number.map(str::to_owned),
            },
            problems,
        });
    };
    Ok(ProjectCreate {
        number: ProjectNumber::new(number),
        name: Some(name.to_owned()),
        customer_to_bill: customer.map(CustomerNumber::new),
        ..ProjectCreate::default()
    })
}

/// Compares the project as Moment wants it with the one DK+ already has. Each difference is a
/// [`Warning::ProjectDrift`] ("update it by hand in DK+"), never an error: DK+ has no project
/// update endpoint.
pub fn project_drift(wanted: &ProjectCreate, existing: &dkplus_client::Project) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let norm = |s: Option<&str>| s.map(str::trim).unwrap_or("").to_owned();
    let wanted_name = norm(wanted.name.as_deref());
    let existing_name = norm(existing.name.as_deref());
    if wanted_name != existing_name {
        warnings.push(Warning::ProjectDrift {
            project: wanted.number.to_string(),
            field: "name",
            moment: wanted_name,
            dkplus: existing_name,
        });
    }
    let wanted_customer = norm(wanted.customer_to_bill.as_ref().map(|c| c.as_str()));
    let existing_customer = norm(existing.customer_to_bill.as_ref().map(|c| c.as_str()));
    if wanted_customer != existing_customer {
        warnings.push(Warning::ProjectDrift {
            project: wanted.number.to_string(),
            field: "customer",
            moment: wanted_customer,
            dkplus: existing_customer,
        });
    }
    warnings
}
