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
    if contains_nul(filter.as_bytes()) {
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
    if wildcards_placed_well(filter.as_bytes()) {
        return Ok(());
    }
    // Find the first level that breaks a rule, to name it. One pass over the bytes, level by
    // level: `/`, `+` and `#` are ASCII, never part of another character in UTF-8. A level
    // breaks a rule when it holds `#` and is not the last level or not exactly `#`, or holds
    // `+` and is not exactly `+` (the `#` rule first).
    let mut start = 0;
    let (mut hash, mut plus) = (false, false);
    for (i, &b) in filter.as_bytes().iter().enumerate() {
        match b {
            b'/' => {
                if hash {
                    return Err(HASH_FILTER);
                }
                if plus && i - start != 1 {
                    return Err(PLUS_FILTER);
                }
                start = i + 1;
                (hash, plus) = (false, false);
            }
            b'#' => hash = true,
            b'+' => plus = true,
            _ => {}
        }
    }
    let last = filter.len() - start;
    if hash && last != 1 {
        return Err(HASH_FILTER);
    }
    if plus && last != 1 {
        return Err(PLUS_FILTER);
    }
    Ok(())
}

/// Whether every `+` is a whole level and every `#` the whole last level. Finds the wildcards
/// eight bytes at a time and checks only their neighbours: the common, valid filter is
/// accepted without walking its levels.
fn wildcards_placed_well(filter: &[u8]) -> bool {
    let mut words = filter.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        if let Some(word) = word.first_chunk::<8>() {
            let word = u64::from_le_bytes(*word);
            let mut found = bytes_equal(word, b'+') | bytes_equal(word, b'#');
            while found != 0 {
                let at = base + (found.trailing_zeros() / 8) as usize;
                if !wildcard_placed_well(filter, at) {
                    return false;
                }
                found &= found - 1;
            }
        }
        base += 8;
    }
    let tail = words.remainder().iter().enumerate();
    tail.filter(|&(_, &b)| b == b'+' || b == b'#')
        .all(|(i, _)| wildcard_placed_well(filter, base + i))
}

/// Whether `bytes` holds a 0x00 byte, eight bytes at a time. On filter-sized strings this is
/// several times quicker than `<[u8]>::contains`, whose `memchr` walks to an aligned address
/// and the tail byte by byte.
fn contains_nul(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let mut found = 0;
    for word in &mut words {
        if let Some(word) = word.first_chunk::<8>() {
            found |= bytes_equal(u64::from_le_bytes(*word), 0);
        }
    }
    found != 0 || words.remainder().contains(&0)
}

/// The top bit set in exactly the bytes of `word` that equal `b`.
const fn bytes_equal(word: u64, b: u8) -> u64 {
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    let x = word ^ u64::from_ne_bytes([b; 8]);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Whether the wildcard at `at` starts its level and, for `+`, ends it; for `#`, ends the
/// filter.
fn wildcard_placed_well(filter: &[u8], at: usize) -> bool {
    let starts_level = at == 0 || filter.get(at - 1) == Some(&b'/');
    match filter.get(at) {
        Some(b'+') => starts_level && filter.get(at + 1).is_none_or(|&b| b == b'/'),
        Some(b'#') => starts_level && at + 1 == filter.len(),
        _ => true,
    }
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
