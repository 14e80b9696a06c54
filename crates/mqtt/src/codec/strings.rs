//! `ByteStr`: a UTF-8 string that shares the receive buffer instead of copying it.

use bytes::Bytes;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// An immutable UTF-8 string backed by [`Bytes`]: decoding slices it out of the packet
/// without copying, and cloning it is a reference-count increment.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteStr(Bytes);

impl ByteStr {
    /// An empty string.
    pub const fn new() -> ByteStr {
        ByteStr(Bytes::new())
    }

    /// A string that borrows a `'static` str without copying it.
    pub const fn from_static(s: &'static str) -> ByteStr {
        ByteStr(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps bytes that are valid UTF-8, or gives them back if they are not.
    pub fn from_utf8(bytes: Bytes) -> Result<ByteStr, Bytes> {
        // ASCII is UTF-8, and `is_ascii` is much quicker than `from_utf8` on short strings.
        if bytes.is_ascii() {
            return Ok(ByteStr(bytes));
        }
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(ByteStr(bytes)),
            Err(_) => Err(bytes),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given a `str`) that the bytes are UTF-8,
        // and `Bytes` is immutable.
        #[allow(unsafe_code)]
        unsafe {
            std::str::from_utf8_unchecked(&self.0)
        }
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Gives up the string, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
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
        ByteStr::from_static(s)
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> ByteStr {
        ByteStr(Bytes::from(s))
    }
}

impl From<&String> for ByteStr {
    fn from(s: &String) -> ByteStr {
        ByteStr(Bytes::copy_from_slice(s.as_bytes()))
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
const fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(splat(0x01)) & !w & splat(0x80)
}

/// Whether some byte matches, testing eight bytes at a time (`word`) and the last few one by
/// one (`byte`). MQTT strings are short (topics: tens of bytes), too short for `memchr`'s
/// set-up or a vector loop to pay off; this takes a few instructions per word.
fn any_byte(bytes: &[u8], word: impl Fn(u64) -> u64, byte: impl Fn(u8) -> bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    let mut found = 0;
    for w in &mut words {
        if let Some(w) = w.first_chunk::<8>() {
            found |= word(u64::from_ne_bytes(*w));
        }
    }
    found != 0 || words.remainder().iter().any(|&b| byte(b))
}

/// Whether a topic name holds a wildcard (`+` or `#`). Compares bytes: neither character can
/// appear inside the encoding of another in UTF-8, and that is many times faster than
/// `str::contains(['+', '#'])`, which decodes every character.
pub(crate) fn has_wildcard(s: &str) -> bool {
    any_byte(
        s.as_bytes(),
        |w| zero_byte(w ^ splat(b'+')) | zero_byte(w ^ splat(b'#')),
        |b| b == b'+' || b == b'#',
    )
}

/// Whether `bytes` holds a 0x00 byte (in UTF-8, only U+0000 encodes to it).
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    any_byte(bytes, zero_byte, |b| b == 0)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test: an index out of range is a failure
mod tests {
    use super::{has_nul, has_wildcard};

    #[test]
    fn byte_scans_agree_with_the_plain_loops() {
        // Bytes near the ones looked for, so a wrong word trick shows.
        let alphabet = [
            b'a', b'+', b'#', 0, 0x80, 0xff, b'/', 0xab, 0xa3, 0x01, b'*', b'"',
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
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(has_wildcard(&text), text.contains(['+', '#']), "{text:?}");
        }
    }
}
