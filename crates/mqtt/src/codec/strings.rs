//! `ByteStr`: a UTF-8 string that shares the receive buffer instead of copying it.

use bytes::Bytes;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Facts about a string's bytes that encoding would otherwise re-check on every send. Each bit
/// is a *known* fact: set by a constructor (which scanned the bytes) or by the decoder (which
/// checked the rule on receipt); a clear bit means "not known", and the encoder checks. The
/// bytes are immutable, so a fact once known stays true.
const NO_NUL: u8 = 1;
/// No `+` or `#`.
const NO_WILDCARD: u8 = 2;
/// A valid topic filter (`topic::validate_filter` accepts it).
const FILTER: u8 = 4;

/// An immutable UTF-8 string backed by [`Bytes`]: decoding slices it out of the packet
/// without copying, and cloning it is a reference-count increment.
///
/// It also remembers what it has been checked for (no U+0000, no wildcard, a valid topic
/// filter), so that a string checked when it was built or received is not scanned again each
/// time it is sent. Equality, ordering and hashing look at the string only, and it hashes as
/// its `str` does.
#[derive(Clone)]
pub struct ByteStr {
    bytes: Bytes,
    facts: u8,
}

impl ByteStr {
    /// An empty string.
    pub const fn new() -> ByteStr {
        ByteStr {
            bytes: Bytes::new(),
            facts: NO_NUL | NO_WILDCARD,
        }
    }

    /// A string that borrows a `'static` str without copying it.
    pub const fn from_static(s: &'static str) -> ByteStr {
        ByteStr {
            bytes: Bytes::from_static(s.as_bytes()),
            facts: const_facts(s.as_bytes()),
        }
    }

    /// Wraps bytes that are valid UTF-8, or gives them back if they are not.
    pub fn from_utf8(bytes: Bytes) -> Result<ByteStr, Bytes> {
        if !is_utf8(&bytes) {
            return Err(bytes);
        }
        let facts = facts_of(&bytes);
        Ok(ByteStr { bytes, facts })
    }

    /// Wraps bytes that are valid UTF-8 and hold no 0x00 byte (the decoder checked both), or
    /// gives them back if they are not UTF-8.
    pub(crate) fn from_utf8_without_nul(bytes: Bytes) -> Result<ByteStr, Bytes> {
        if !is_utf8(&bytes) {
            return Err(bytes);
        }
        Ok(ByteStr {
            bytes,
            facts: NO_NUL,
        })
    }

    /// Wraps bytes that are ASCII without 0x00 (the caller checked, with
    /// [`is_ascii_without_nul`]).
    pub(crate) fn from_ascii_without_nul(bytes: Bytes) -> ByteStr {
        debug_assert!(is_ascii_without_nul(&bytes));
        ByteStr {
            bytes,
            facts: NO_NUL,
        }
    }

    /// Wraps bytes that are ASCII without 0x00, `+` or `#` (the caller checked, with
    /// [`is_plain_topic`]): a valid topic name.
    #[inline(always)]
    pub(crate) fn plain_topic(bytes: Bytes) -> ByteStr {
        debug_assert!(is_plain_topic(&bytes));
        ByteStr {
            bytes,
            facts: NO_NUL | NO_WILDCARD,
        }
    }

    /// Records that the string holds no wildcard (the caller checked).
    pub(crate) fn known_without_wildcard(mut self) -> ByteStr {
        self.facts |= NO_WILDCARD;
        self
    }

    /// Records that the string is a valid topic filter (the caller checked).
    pub(crate) fn known_filter(mut self) -> ByteStr {
        self.facts |= FILTER | NO_NUL;
        self
    }

    /// Whether the string holds U+0000 (looked up when known; the scan is out of line).
    #[inline(always)]
    pub(crate) fn has_nul(&self) -> bool {
        self.facts & NO_NUL == 0 && scan(has_nul, &self.bytes)
    }

    /// Whether the string holds `+` or `#` (looked up when known; the scan is out of line).
    #[inline(always)]
    pub(crate) fn has_wildcard(&self) -> bool {
        self.facts & NO_WILDCARD == 0 && scan(has_wildcard, &self.bytes)
    }

    /// Whether the string is a valid topic filter (looked up when known).
    pub(crate) fn is_valid_filter(&self) -> bool {
        self.facts & FILTER != 0 || crate::topic::validate_filter(self.as_str()).is_ok()
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given a `str`) that the bytes are UTF-8,
        // and `Bytes` is immutable.
        #[allow(unsafe_code)]
        unsafe {
            std::str::from_utf8_unchecked(&self.bytes)
        }
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Gives up the string, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

/// Runs a scan the facts did not answer, out of line: the encoder's hot path only tests a bit.
#[inline(never)]
fn scan(test: impl Fn(&[u8]) -> bool, bytes: &[u8]) -> bool {
    test(bytes)
}

/// Whether `bytes` are UTF-8. ASCII is UTF-8, and `is_ascii` is much quicker than
/// `from_utf8` on short strings.
fn is_utf8(bytes: &[u8]) -> bool {
    bytes.is_ascii() || std::str::from_utf8(bytes).is_ok()
}

/// Every fact that holds of `bytes` (UTF-8), found by scanning them.
fn facts_of(bytes: &[u8]) -> u8 {
    let mut facts = 0;
    if !has_nul(bytes) {
        facts |= NO_NUL;
    }
    if !any_byte(bytes, wildcard_bytes) {
        facts |= NO_WILDCARD;
    }
    if facts & NO_NUL != 0 {
        if let Ok(s) = std::str::from_utf8(bytes) {
            if crate::topic::validate_filter(s).is_ok() {
                facts |= FILTER;
            }
        }
    }
    facts
}

/// The facts a `const` constructor can find with a plain loop: U+0000 and wildcards, and a
/// valid filter unless it is shared (`$share…`, whose rules are left for the encoder to check).
const fn const_facts(bytes: &[u8]) -> u8 {
    let (mut nul, mut wildcard) = (false, false);
    let mut rest = bytes;
    while let [b, tail @ ..] = rest {
        match *b {
            0 => nul = true,
            b'+' | b'#' => wildcard = true,
            _ => {}
        }
        rest = tail;
    }
    let mut facts = 0;
    if !nul {
        facts |= NO_NUL;
    }
    if !wildcard {
        facts |= NO_WILDCARD;
    }
    let shared = starts_as_shared(bytes);
    if !nul
        && !shared
        && !bytes.is_empty()
        && bytes.len() <= 0xffff
        && (!wildcard || const_wildcards_placed_well(bytes))
    {
        facts |= FILTER;
    }
    facts
}

/// Whether a filter starts with `$share`: a shared subscription, or malformed as one, whose
/// rules only `topic::validate_filter` checks.
const fn starts_as_shared(filter: &[u8]) -> bool {
    matches!(filter, [b'$', b's', b'h', b'a', b'r', b'e', ..])
}

/// Whether every `+` is a whole level and every `#` the whole last level, in a `const` loop.
const fn const_wildcards_placed_well(bytes: &[u8]) -> bool {
    // At the start of a level: at the start of the filter, or after `/`.
    let mut level_start = true;
    let mut rest = bytes;
    while let [b, tail @ ..] = rest {
        let level_end = matches!(tail, [] | [b'/', ..]);
        match *b {
            b'+' if !(level_start && level_end) => return false,
            b'#' if !(level_start && tail.is_empty()) => return false,
            _ => {}
        }
        level_start = *b == b'/';
        rest = tail;
    }
    true
}

impl Default for ByteStr {
    fn default() -> ByteStr {
        ByteStr::new()
    }
}

impl PartialEq for ByteStr {
    fn eq(&self, other: &ByteStr) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for ByteStr {}

impl Hash for ByteStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As its `str` hashes (not as its bytes, which hash with a length prefix instead of
        // `str`'s end marker): `Borrow<str>` promises a map keyed by `ByteStr` finds a `&str`.
        self.as_str().hash(state);
    }
}

impl PartialOrd for ByteStr {
    fn partial_cmp(&self, other: &ByteStr) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByteStr {
    fn cmp(&self, other: &ByteStr) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl Deref for ByteStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ByteStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for ByteStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for ByteStr {
    fn from(s: &'static str) -> ByteStr {
        ByteStr {
            bytes: Bytes::from_static(s.as_bytes()),
            facts: facts_of(s.as_bytes()),
        }
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> ByteStr {
        let facts = facts_of(s.as_bytes());
        ByteStr {
            bytes: Bytes::from(s),
            facts,
        }
    }
}

impl From<&String> for ByteStr {
    fn from(s: &String) -> ByteStr {
        ByteStr {
            bytes: Bytes::copy_from_slice(s.as_bytes()),
            facts: facts_of(s.as_bytes()),
        }
    }
}

impl PartialEq<str> for ByteStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ByteStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Eight copies of a byte, as one word.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Non-zero when some byte of `w` is zero: the word-at-a-time test of `memchr` and `strlen`.
/// Exact about *whether* a zero byte exists (not about which bytes are zero).
const fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(splat(0x01)) & !w & splat(0x80)
}

/// The top bit set in exactly the bytes of `w` that equal `b` (no borrow between bytes, so
/// positions can be read off it).
const fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW7: u64 = splat(0x7f);
    let x = w ^ splat(b);
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// Non-zero when some byte is `+` or `#`. They differ only in bit 3 (0x2b, 0x23), and only
/// they become `+` when that bit is set: one zero-byte test instead of two.
const fn wildcard_bytes(w: u64) -> u64 {
    zero_byte((w | splat(0x08)) ^ splat(b'+'))
}

/// Non-zero when some byte is 0x00 or not ASCII.
const fn nul_or_non_ascii(w: u64) -> u64 {
    zero_byte(w) | (w & splat(0x80))
}

/// The OR of `word` over `bytes` read eight at a time, for a test that is true of a word when
/// it is true of one of its bytes. MQTT strings are short (topics: tens of bytes), too short
/// for `memchr`'s set-up or a vector loop to pay off, and a byte-by-byte tail would cost as
/// much as the words: the tail is read as the last eight bytes (overlapping bytes already
/// tested, which an any-byte test does not mind), and a string under eight bytes as two
/// overlapping halves, padded with `a`, which no test here looks for. `T` is `u64`, or `u128`
/// for two tests at once.
#[inline]
fn fold_words<T: Copy + Default + std::ops::BitOr<Output = T>>(
    bytes: &[u8],
    word: impl Fn(u64) -> T,
) -> T {
    const PAD: u64 = splat(b'a');
    if let Some(last) = bytes.last_chunk::<8>() {
        let mut found = word(u64::from_le_bytes(*last));
        let mut rest = bytes;
        while let Some((w, tail)) = rest.split_first_chunk::<8>() {
            found = found | word(u64::from_le_bytes(*w));
            rest = tail;
        }
        found
    } else if let (Some(a), Some(b)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        word(u64::from(u32::from_le_bytes(*a)) | (u64::from(u32::from_le_bytes(*b)) << 32))
    } else if let (Some(a), Some(b)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        let halves = u64::from(u16::from_le_bytes(*a)) | (u64::from(u16::from_le_bytes(*b)) << 16);
        word(halves | (PAD << 32))
    } else if let Some(&b) = bytes.first() {
        word(u64::from(b) | (PAD << 8))
    } else {
        T::default()
    }
}

/// Whether some byte matches the any-byte test `word`.
#[inline]
fn any_byte(bytes: &[u8], word: impl Fn(u64) -> u64) -> bool {
    fold_words(bytes, word) != 0
}

/// Whether a topic name holds a wildcard (`+` or `#`). Compares bytes: neither character can
/// appear inside the encoding of another in UTF-8, and that is many times faster than
/// `str::contains(['+', '#'])`, which decodes every character.
pub(crate) fn has_wildcard(bytes: &[u8]) -> bool {
    any_byte(bytes, wildcard_bytes)
}

/// Whether `bytes` are ASCII and hold no 0x00 byte: the usual MQTT string, accepted in one
/// pass instead of a U+0000 scan and a UTF-8 check.
#[inline]
pub(crate) fn is_ascii_without_nul(bytes: &[u8]) -> bool {
    !any_byte(bytes, nul_or_non_ascii)
}

/// Whether `bytes` are ASCII without 0x00, `+` or `#`: the usual topic name, accepted in one
/// pass.
#[inline]
pub(crate) fn is_plain_topic(bytes: &[u8]) -> bool {
    !any_byte(bytes, |w| nul_or_non_ascii(w) | wildcard_bytes(w))
}

/// Whether `bytes` holds a 0x00 byte (in UTF-8, only U+0000 encodes to it).
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    any_byte(bytes, zero_byte)
}

/// What a one-pass look at a topic filter found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterScan {
    /// ASCII without U+0000, not starting with `$share`, every wildcard in its place: valid.
    Plain,
    /// Anything else (not ASCII, U+0000, `$share…`, empty, a misplaced wildcard): not known,
    /// ask `topic::validate_filter`, which names the rule broken.
    Unknown,
}

/// Looks at a topic filter in one pass, for the usual case: ASCII without U+0000, not
/// starting with `$share` (so not a shared subscription, whose rules are left to
/// `topic::validate_filter`), every `+` a whole level and every `#` the whole last level.
/// Another leading `$` (`$SYS/#`, which dashboards subscribe to) changes what a filter
/// matches, not whether it is valid.
// Inlined into the filter reader, which is inlined into the SUBSCRIBE and UNSUBSCRIBE loops.
#[inline(always)]
pub(crate) fn scan_filter(filter: &[u8]) -> FilterScan {
    if filter.is_empty() || starts_as_shared(filter) {
        return FilterScan::Unknown;
    }
    if words_plain(filter) {
        FilterScan::Plain
    } else {
        FilterScan::Unknown
    }
}

/// Whether `filter` is ASCII without U+0000 and every `+` is a whole level and every `#` the
/// whole last level. One pass, eight bytes at a time: a word is tested for U+0000 and
/// non-ASCII, and for exactly where its wildcards are, whose neighbours alone are looked at.
#[inline(always)]
fn words_plain(filter: &[u8]) -> bool {
    let n = filter.len();
    let placed_well = |i: usize| {
        let whole_start = i == 0 || filter.get(i.wrapping_sub(1)) == Some(&b'/');
        match filter.get(i) {
            Some(b'#') => whole_start && i + 1 == n,
            _ => whole_start && (i + 1 == n || filter.get(i + 1) == Some(&b'/')),
        }
    };
    let word_ok = |base: usize, w: u64| {
        if nul_or_non_ascii(w) != 0 {
            return false;
        }
        let mut found = bytes_equal(w, b'+') | bytes_equal(w, b'#');
        while found != 0 {
            if !placed_well(base + (found.trailing_zeros() / 8) as usize) {
                return false;
            }
            found &= found - 1;
        }
        true
    };
    let Some(last) = filter.last_chunk::<8>() else {
        // Under eight bytes: padded after the end with `a`, which keeps every byte where it
        // is and is neither a wildcard nor U+0000.
        let mut w = [b'a'; 8];
        for (to, from) in w.iter_mut().zip(filter) {
            *to = *from;
        }
        return word_ok(0, u64::from_le_bytes(w));
    };
    let mut base = 0;
    let mut rest = filter;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        if !word_ok(base, u64::from_le_bytes(*w)) {
            return false;
        }
        base += 8;
        rest = tail;
    }
    // The last eight bytes again, overlapping: testing a byte twice does no harm.
    rest.is_empty() || word_ok(n - 8, u64::from_le_bytes(*last))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test: an index out of range is a failure
mod tests {
    use super::{
        has_nul, has_wildcard, is_ascii_without_nul, is_plain_topic, nul_or_non_ascii, scan_filter,
        wildcard_bytes, ByteStr, FilterScan, FILTER,
    };

    #[test]
    fn facts_agree_with_the_checks() {
        for s in [
            "",
            "a",
            "a/b",
            "+",
            "#",
            "a/+/b",
            "a/#",
            "a#",
            "a+/b",
            "$share",
            "$share/g/a",
            "$share//a",
            "$share/g/+",
            "$share/g+/a",
            "a\0b",
            "$SYS/x",
            "é/+/ü",
            "sensors/+/+/battery",
            "home/livingroom/#",
            "a/b/c/d/e/f/+",
            "aaaaaaa/#",
            "aaaaaaa+/b",
            "abcdefgh#",
            "abcdefg/+x",
            "+/abcdefghijklmno/+",
            "+/+",
            "/+",
            "+/",
            "/#",
            "#/",
            "a/+#",
            "++",
            "a//+",
            "$SYS/#",
            "$SYS/broker/uptime",
            "$",
            "$+",
            "$/+",
            "$#",
            "$SYS+/x",
            "$shared/x",
            "$sharex",
            "x/#/",
            "#/abcdefghijklmnop",
        ] {
            if !s.starts_with("$share") {
                assert_eq!(
                    scan_filter(s.as_bytes()) == FilterScan::Plain,
                    s.is_ascii() && crate::topic::validate_filter(s).is_ok(),
                    "{s:?}"
                );
            }
            let a = ByteStr::from(s);
            let b = ByteStr::from_static(s);
            let c = ByteStr::from(s.to_string());
            // A valid filter built in a `const` is known valid, unless it is shared.
            if !s.starts_with("$share") && crate::topic::validate_filter(s).is_ok() {
                assert_ne!(b.facts & FILTER, 0, "{s:?}");
            }
            for x in [&a, &b, &c] {
                assert_eq!(x.has_nul(), s.contains('\0'), "{s:?}");
                assert_eq!(x.has_wildcard(), s.contains(['+', '#']), "{s:?}");
                assert_eq!(
                    x.is_valid_filter(),
                    crate::topic::validate_filter(s).is_ok(),
                    "{s:?}"
                );
            }
            assert_eq!(a, b);
        }
    }

    /// `ByteStr: Borrow<str>`, so a map keyed by it must find a `&str` key.
    #[test]
    fn a_map_keyed_by_byte_str_finds_a_str() {
        let mut map = std::collections::HashMap::new();
        map.insert(ByteStr::from("home/kitchen/temp".to_string()), 21);
        map.insert(ByteStr::from_static(""), 0);
        assert_eq!(map.get("home/kitchen/temp"), Some(&21));
        assert_eq!(map.get(""), Some(&0));
        assert_eq!(map.get("home/kitchen"), None);
    }

    /// Every filter of up to ten bytes of `a`, `/`, `+` and `#`: the one-pass test accepts
    /// exactly those `validate_filter` accepts, under eight bytes (one padded word), at eight
    /// and past it (a word and the overlapping last eight bytes).
    #[test]
    fn filter_scan_decides_every_short_filter_as_validate_filter_does() {
        let alphabet = ['a', '/', '+', '#'];
        for len in 0..=10u32 {
            for mut code in 0..4usize.pow(len) {
                let text: String = (0..len)
                    .map(|_| {
                        let c = alphabet[code % 4];
                        code /= 4;
                        c
                    })
                    .collect();
                assert_eq!(
                    scan_filter(text.as_bytes()) == FilterScan::Plain,
                    crate::topic::validate_filter(&text).is_ok(),
                    "{text:?}"
                );
            }
        }
    }

    /// Every byte value at every place in a word, among bytes that are neither: only `+` and
    /// `#` are wildcards, only 0x00 and non-ASCII fail the ASCII test.
    #[test]
    fn word_tests_flag_exactly_their_bytes() {
        for b in 0..=u8::MAX {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                let w = u64::from_le_bytes(w);
                assert_eq!(wildcard_bytes(w) != 0, b == b'+' || b == b'#', "{b:#04x}");
                assert_eq!(nul_or_non_ascii(w) != 0, b == 0 || b >= 0x80, "{b:#04x}");
            }
        }
    }

    #[test]
    fn byte_scans_agree_with_the_plain_loops() {
        // Bytes near the ones looked for, so a wrong word trick shows.
        let alphabet = [
            b'a', b'+', b'#', 0, 0x80, 0xff, b'/', 0xab, 0xa3, 0x01, b'*', b'"', b'$',
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let rare = (x >> 8).is_multiple_of(4);
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (x >> (i % 48)) as usize ^ i;
                    if rare && !r.is_multiple_of(8) {
                        b'a'
                    } else {
                        alphabet[r % alphabet.len()]
                    }
                })
                .collect();
            assert_eq!(has_nul(&bytes), bytes.contains(&0), "{bytes:?}");
            assert_eq!(
                is_ascii_without_nul(&bytes),
                bytes.is_ascii() && !bytes.contains(&0),
                "{bytes:?}"
            );
            assert_eq!(
                is_plain_topic(&bytes),
                bytes.is_ascii() && !bytes.iter().any(|b| matches!(b, 0 | b'+' | b'#')),
                "{bytes:?}"
            );
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(
                has_wildcard(text.as_bytes()),
                text.contains(['+', '#']),
                "{text:?}"
            );
            // The quick filter test decides every ASCII filter without U+0000 or a leading
            // `$share` as `validate_filter` does, and accepts nothing else.
            let valid = crate::topic::validate_filter(&text).is_ok();
            let plain = scan_filter(text.as_bytes()) == FilterScan::Plain;
            if text.starts_with("$share") || !text.is_ascii() || text.contains('\0') {
                assert!(!plain, "{text:?}");
            } else {
                assert_eq!(plain, valid, "{text:?}");
            }
        }
    }
}
