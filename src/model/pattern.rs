//! Topic patterns with named parts, such as `chat/{room}` or `devices/{id}/status`.
//!
//! The notifications and devices views are configured with these: a pattern names the parts
//! of a topic that identify a conversation or a device, and doubles as the subscription filter
//! (`{name}` becomes `+`).

use std::fmt;

/// One level of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    /// Must equal this text.
    Exact(String),
    /// Any one level, captured under this name.
    Capture(String),
    /// Any one level (`+`).
    Any,
    /// Any remaining levels (`#`, last only).
    Rest,
}

/// A parsed topic pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    levels: Vec<Level>,
}

/// Why a pattern is not valid, in words for the settings form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Pattern {
    /// Parses a pattern: levels separated by `/`, each literal text, `{name}`, `+` or a final `#`.
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        let source = source.trim();
        if source.is_empty() {
            return Err(PatternError("the pattern is empty".into()));
        }
        let parts: Vec<&str> = source.split('/').collect();
        let mut levels = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let level = if *part == "#" {
                if i + 1 != parts.len() {
                    return Err(PatternError("'#' may only be the last level".into()));
                }
                Level::Rest
            } else if *part == "+" {
                Level::Any
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if name.is_empty() || name.contains(['{', '}', '+', '#']) {
                    return Err(PatternError(format!("'{part}' is not a valid {{name}}")));
                }
                Level::Capture(name.to_string())
            } else if part.contains(['{', '}', '+', '#']) {
                return Err(PatternError(format!(
                    "'{part}': a level is plain text, {{name}}, + or #, not a mix"
                )));
            } else {
                Level::Exact((*part).to_string())
            };
            levels.push(level);
        }
        Ok(Pattern {
            source: source.to_string(),
            levels,
        })
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The MQTT filter that subscribes to every topic the pattern matches.
    pub fn filter(&self) -> String {
        let parts: Vec<&str> = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Exact(s) => s.as_str(),
                Level::Capture(_) | Level::Any => "+",
                Level::Rest => "#",
            })
            .collect();
        parts.join("/")
    }

    /// The names it captures, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().filter_map(|l| match l {
            Level::Capture(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// Whether `topic` matches, and what each `{name}` captured. `$`-topics only match a
    /// pattern that spells out their first level, as MQTT filters do.
    pub fn captures<'t>(&self, topic: &'t str) -> Option<Captures<'t>> {
        if topic.starts_with('$') && !matches!(self.levels.first(), Some(Level::Exact(_))) {
            return None;
        }
        let mut out = Captures(Vec::new());
        let mut parts = topic.split('/');
        for level in &self.levels {
            match level {
                Level::Rest => return Some(out),
                _ => {
                    let part = parts.next()?;
                    match level {
                        Level::Exact(s) if s != part => return None,
                        Level::Capture(name) => out.0.push((name.clone(), part)),
                        _ => {}
                    }
                }
            }
        }
        parts.next().is_none().then_some(out)
    }

    /// The topic the pattern names when its captures take these values (`{room}` → `lobby`);
    /// `None` when a capture is missing or the pattern has wildcards left.
    pub fn fill(&self, values: &[(&str, &str)]) -> Option<String> {
        let mut parts = Vec::with_capacity(self.levels.len());
        for level in &self.levels {
            match level {
                Level::Exact(s) => parts.push(s.clone()),
                Level::Capture(name) => {
                    let v = values.iter().find(|(n, _)| n == name)?.1;
                    parts.push(v.to_string());
                }
                Level::Any | Level::Rest => return None,
            }
        }
        Some(parts.join("/"))
    }
}

/// What a pattern's `{name}` levels matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures<'t>(Vec<(String, &'t str)>);

impl<'t> Captures<'t> {
    /// The level `name` captured.
    pub fn get(&self, name: &str) -> Option<&'t str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// The first capture (a conversation's or device's key when the pattern has one name).
    pub fn first(&self) -> Option<&'t str> {
        self.0.first().map(|(_, v)| *v)
    }

    /// All captures joined by `/` (the key when the pattern has several names).
    pub fn key(&self) -> String {
        let parts: Vec<&str> = self.0.iter().map(|(_, v)| *v).collect();
        parts.join("/")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn captures_named_levels() {
        let p = Pattern::parse("devices/{id}/status").unwrap();
        assert_eq!(p.filter(), "devices/+/status");
        let c = p.captures("devices/dev-01/status").unwrap();
        assert_eq!(c.get("id"), Some("dev-01"));
        assert!(p.captures("devices/dev-01/telemetry").is_none());
        assert!(p.captures("devices/dev-01/status/x").is_none());
        assert!(p.captures("devices/dev-01").is_none());
        assert_eq!(p.fill(&[("id", "x")]).as_deref(), Some("devices/x/status"));
    }

    #[test]
    fn wildcards_and_dollar_topics() {
        let p = Pattern::parse("+/{room}/#").unwrap();
        assert_eq!(p.filter(), "+/+/#");
        assert_eq!(p.captures("chat/lobby/a/b").unwrap().key(), "lobby");
        assert!(p.captures("$SYS/broker/load").is_none());
        assert!(Pattern::parse("$SYS/{x}")
            .unwrap()
            .captures("$SYS/y")
            .is_some());
        assert!(p.fill(&[("room", "x")]).is_none());
    }

    #[test]
    fn refuses_bad_patterns() {
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("a/#/b").is_err());
        assert!(Pattern::parse("a/{}/b").is_err());
        assert!(Pattern::parse("a/x{y}").is_err());
        assert!(Pattern::parse("a+/b").is_err());
    }
}
