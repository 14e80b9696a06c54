//! Validation and matching of topic names and filters (MQTT 5.0 section 4.7).

/// A shared subscription filter `$share/{group}/{filter}`, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedFilter<'a> {
    /// The share name.
    pub group: &'a str,
    /// The topic filter the group subscribes to.
    pub filter: &'a str,
}

const EMPTY_FILTER: &str = "a topic filter must not be empty";
const LONG_FILTER: &str = "a topic filter must be at most 65,535 bytes";
const NUL_FILTER: &str = "a topic filter must not contain U+0000";
const SHARED_FILTER: &str = "a shared subscription needs $share/{group}/{filter}";
const HASH_FILTER: &str = "# must be the whole last level of a topic filter";
const PLUS_FILTER: &str = "+ must occupy a whole level of a topic filter";

/// The spec statement a [`validate_filter`] error breaks.
pub(crate) fn filter_rule(why: &str) -> &'static str {
    match why {
        EMPTY_FILTER => "MQTT-4.7.3-1",
        NUL_FILTER => "MQTT-4.7.3-2",
        LONG_FILTER => "MQTT-4.7.3-3",
        SHARED_FILTER => "MQTT-4.8.2-2",
        HASH_FILTER => "MQTT-4.7.1-1",
        PLUS_FILTER => "MQTT-4.7.1-2",
        _ => "MQTT 4.7 (topic filter)",
    }
}

/// Checks a topic name: not empty, no wildcards, no U+0000 [MQTT-4.7.3-1, MQTT-3.3.2-2].
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("a topic name must not be empty");
    }
    if name.len() > usize::from(u16::MAX) {
        return Err("a topic name must be at most 65,535 bytes");
    }
    if name.contains(['+', '#']) {
        return Err("a topic name must not contain + or #");
    }
    if name.contains('\0') {
        return Err("a topic name must not contain U+0000");
    }
    Ok(())
}

/// Checks a topic filter: not empty; `#` only as the whole last level; `+` only as a whole
/// level; no U+0000; a shared filter has a share name without wildcards or `/` and a valid
/// filter after it [MQTT-4.7.1-1, MQTT-4.7.1-2, MQTT-4.8.2-1, MQTT-4.8.2-2].
pub fn validate_filter(filter: &str) -> Result<(), &'static str> {
    if filter.is_empty() {
        return Err(EMPTY_FILTER);
    }
    if filter.len() > usize::from(u16::MAX) {
        return Err(LONG_FILTER);
    }
    if filter.contains('\0') {
        return Err(NUL_FILTER);
    }
    let filter = if filter.starts_with("$share/") {
        match split_shared(filter) {
            Some(shared) => shared.filter,
            None => return Err(SHARED_FILTER),
        }
    } else if filter == "$share" {
        return Err(SHARED_FILTER);
    } else {
        filter
    };
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(HASH_FILTER);
        }
        if level.contains('+') && level != "+" {
            return Err(PLUS_FILTER);
        }
    }
    Ok(())
}

/// Whether the filter is a shared subscription (`$share/…`).
pub fn is_shared(filter: &str) -> bool {
    filter.starts_with("$share/")
}

/// Splits `$share/{group}/{filter}`; `None` if it is not a well-formed shared filter.
pub fn split_shared(filter: &str) -> Option<SharedFilter<'_>> {
    let rest = filter.strip_prefix("$share/")?;
    let (group, filter) = rest.split_once('/')?;
    if group.is_empty() || group.contains(['+', '#']) || filter.is_empty() {
        return None;
    }
    Some(SharedFilter { group, filter })
}

/// Whether topic `name` matches `filter`. A shared filter matches what its inner filter
/// matches. Names starting with `$` are not matched by a filter starting with a wildcard
/// [MQTT-4.7.2-1]. Neither argument is validated.
pub fn matches(filter: &str, name: &str) -> bool {
    let filter = split_shared(filter).map_or(filter, |s| s.filter);
    if name.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut names = name.split('/');
    let mut filters = filter.split('/');
    loop {
        match (filters.next(), names.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(n)) if f == n => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}
