//! The Moment → DK+ integration: the rules as pure functions and a sync engine that runs them
//! against the two clients.
//!
//! - [`rules`]: Moment models in, DK+ write models out, or a [`rules::MappingError`] that lists
//!   every problem with what to fix in Moment.
//! - [`IntegrationConfig`]: what is transferred and how; invalid combinations are refused when
//!   it is built.

pub mod config;
pub mod rules;
pub mod warning;

pub use config::{
    ConfigError, ConfigProblem, IntegrationConfig, IntegrationConfigBuilder, ItemCodeFallback,
};
pub use warning::Warning;
