//! Where a program's settings come from: environment variables, and a TOML file named by
//! `--config FILE` or `CONFIG_FILE` for what the environment does not set.
//!
//! The file holds one key per setting, named like its variable in either case, with a string,
//! number or true/false value:
//!
//! ```toml
//! moment_company = "acme"
//! dkplus_sales_person = "vef"
//! store_url = "postgres://sync@db.internal/moment_dkplus"
//! webhook_listen = "0.0.0.0:8080"
//! shutdown_grace_seconds = 8
//! ```
//!
//! A variable that is set (and not empty) wins over the file, so a container can override one
//! setting. A key that names no setting is refused (a typo must not silently fall back to a
//! default). Secrets (`MOMENT_API_KEY`, `DKPLUS_TOKEN`, …) may live in the file: keep it
//! readable by the service's user alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::setup::SetupError;

/// The variable that names the settings file when `--config` is not given.
pub const CONFIG_FILE: &str = "CONFIG_FILE";

/// Settings read from the environment, then from a file.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    file: Option<PathBuf>,
    values: BTreeMap<String, String>,
}

impl Settings {
    /// The settings of a program that knows the variables `known`: the file at `path` (or the
    /// one `CONFIG_FILE` names, or none) under the environment.
    ///
    /// # Errors
    /// [`SetupError`] when the file cannot be read, is not TOML, holds a table or list, or a
    /// key that names no setting — each naming the file and the key.
    pub fn load(path: Option<&Path>, known: &[&str]) -> Result<Self, SetupError> {
        let env_path = std::env::var(CONFIG_FILE)
            .ok()
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        let Some(path) = path.map(Path::to_path_buf).or(env_path) else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(&path).map_err(|e| SetupError {
            problems: vec![format!(
                "the settings file {} cannot be read: {e} (--config or {CONFIG_FILE})",
                path.display()
            )],
        })?;
        Self::parse(&text, &path, known)
    }

    /// The settings of a file's text (`path` names it in errors).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn parse(text: &str, path: &Path, known: &[&str]) -> Result<Self, SetupError> {
        // The error's own text quotes the line, which may hold a secret: only where and what.
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            SetupError {
                problems: vec![format!(
                    "the settings file {} is not TOML{}: {}",
                    path.display(),
                    line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                    e.message()
                )],
            }
        })?;
        let mut problems = Vec::new();
        let mut values = BTreeMap::new();
        for (key, value) in table {
            let name = key.to_ascii_uppercase();
            if !known.contains(&name.as_str()) {
                problems.push(format!(
                    "{key} in {} names no setting (see --help for every setting)",
                    path.display()
                ));
                continue;
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    problems.push(format!(
                        "{key} in {} must be a string, number or true/false",
                        path.display()
                    ));
                    continue;
                }
            };
            values.insert(name, text);
        }
        if problems.is_empty() {
            Ok(Self {
                file: Some(path.to_path_buf()),
                values,
            })
        } else {
            Err(SetupError { problems })
        }
    }

    /// The file the settings came from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// A setting: its variable when set and not empty, else the file's value.
    pub fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.values.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["STORE_URL", "SHUTDOWN_GRACE_SECONDS", "WEBHOOK_LISTEN"];

    #[test]
    fn keys_in_either_case_numbers_and_strings_are_read() {
        let settings = Settings::parse(
            "store_url = \"sqlite:/var/lib/sync.db\"\nSHUTDOWN_GRACE_SECONDS = 8\n",
            Path::new("/etc/sync.toml"),
            KNOWN,
        )
        .unwrap();
        assert_eq!(settings.values["STORE_URL"], "sqlite:/var/lib/sync.db");
        assert_eq!(settings.values["SHUTDOWN_GRACE_SECONDS"], "8");
        assert_eq!(settings.file(), Some(Path::new("/etc/sync.toml")));
    }

    #[test]
    fn a_key_that_names_no_setting_or_a_table_is_refused_by_name() {
        let e = Settings::parse(
            "stor_url = \"x\"\n[webhook_listen]\nport = 1\n",
            Path::new("s.toml"),
            KNOWN,
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("stor_url in s.toml names no setting"),
            "{text}"
        );
        assert!(text.contains("webhook_listen in s.toml must be"), "{text}");
        let e = Settings::parse(
            "store_url = \"x\"\ndkplus_token = s3cr3t-t0ken\n",
            Path::new("s.toml"),
            KNOWN,
        )
        .unwrap_err();
        assert!(e.to_string().contains("s.toml is not TOML (line 2)"), "{e}");
        assert!(
            !e.to_string().contains("s3cr3t"),
            "the line is not quoted: {e}"
        );
    }
}
