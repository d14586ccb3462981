//! Typed reads of environment variables.
//!
//! Error rule: every failure names the variable and what was expected; the raw value is echoed only
//! for non-secret variables, so a malformed `JWT_SECRET` never reaches a log.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Why a setting could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A required variable is absent or empty.
    #[error("environment variable {name} is required ({hint})")]
    Missing {
        /// Variable name.
        name: String,
        /// What it should hold.
        hint: String,
    },
    /// A variable is present but does not parse.
    #[error("environment variable {name} is malformed: {reason}")]
    Malformed {
        /// Variable name.
        name: String,
        /// What went wrong (never the secret value itself).
        reason: String,
    },
}

/// A string that must never be printed: `Debug` and `Display` show `[REDACTED]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// A variable lookup: the process environment, a test map, or defaults layered over both.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Reads settings from a lookup function, so tests can feed a map instead of the process environment.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl Default for Env<'_> {
    fn default() -> Self {
        Self::process()
    }
}

impl<'a> Env<'a> {
    /// Reads the process environment.
    pub fn process() -> Self {
        Env {
            lookup: Box::new(|k| std::env::var(k).ok()),
        }
    }

    /// Reads from an arbitrary lookup (tests, embedded mode overrides).
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// The raw value, `None` when absent or blank.
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A string with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_string())
    }

    /// A comma-separated list (empty when unset), items trimmed, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.raw(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A required string.
    pub fn required(&self, name: &str, hint: &str) -> Result<String, EnvError> {
        self.raw(name).ok_or_else(|| EnvError::Missing {
            name: name.to_string(),
            hint: hint.to_string(),
        })
    }

    /// A required secret; its value never appears in errors.
    pub fn secret(&self, name: &str, hint: &str, min_len: usize) -> Result<Secret, EnvError> {
        let v = self.required(name, hint)?;
        if v.len() < min_len {
            return Err(EnvError::Malformed {
                name: name.to_string(),
                reason: format!("must be at least {min_len} bytes long (value not shown)"),
            });
        }
        Ok(Secret(v))
    }

    /// A value parsed with `FromStr`, with a default.
    pub fn parse<T: FromStr>(&self, name: &str, default: T) -> Result<T, EnvError>
    where
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v.parse::<T>().map_err(|e| EnvError::Malformed {
                name: name.to_string(),
                reason: format!("{v:?}: {e}"),
            }),
        }
    }

    /// A boolean (`true/false/1/0/yes/no`), with a default.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, EnvError> {
        match self.raw(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) => match v.as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(EnvError::Malformed {
                    name: name.to_string(),
                    reason: format!("{v:?} is not a boolean (true/false)"),
                }),
            },
        }
    }

    /// A duration written as `500ms`, `30s`, `15m`, `2h`, `7d` or a bare number of seconds.
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, EnvError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => parse_duration(&v).ok_or_else(|| EnvError::Malformed {
                name: name.to_string(),
                reason: format!("{v:?} is not a duration (e.g. 500ms, 30s, 15m, 2h, 7d)"),
            }),
        }
    }
}

/// Parses `500ms`, `30s`, `15m`, `2h`, `7d` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let secs = |k: u64| n.checked_mul(k).map(Duration::from_secs);
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86_400),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration("5 weeks"), None);
    }

    #[test]
    fn errors_name_the_variable_and_hide_secrets() {
        let m = env(&[("JWT_SECRET", "short"), ("PORT", "x")]);
        let e = Env::from_fn(|k| m.get(k).cloned());
        let err = e
            .secret("JWT_SECRET", "32+ bytes", 32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_SECRET"));
        assert!(!err.contains("short"));
        let err = e.parse::<u16>("PORT", 1).unwrap_err().to_string();
        assert!(err.contains("PORT"));
        let err = e.required("MISSING", "hint").unwrap_err().to_string();
        assert!(err.contains("MISSING"));
        assert_eq!(format!("{:?}", Secret::new("pw")), "Secret([REDACTED])");
    }
}
