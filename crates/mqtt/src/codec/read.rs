//! A bounds-checked cursor over one packet's bytes. Every read returns a typed error instead
//! of panicking, and strings and binaries come out as slices of the same buffer.

use super::error::DecodeError;
use super::strings::{
    has_nul, is_ascii_without_nul, is_plain_topic, scan_filter, ByteStr, FilterScan,
};
use super::types::PacketId;
use bytes::{Buf, Bytes};

pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    pub(crate) fn new(buf: Bytes) -> Reader {
        Reader { buf, pos: 0 }
    }

    /// A reader over `buf` that starts `pos` bytes in (past a packet's fixed header, which
    /// is cheaper to skip here than to cut off the shared buffer).
    pub(crate) fn at(buf: Bytes, pos: usize) -> Reader {
        Reader { buf, pos }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(DecodeError::Truncated { field })?;
        self.pos += 1;
        Ok(b)
    }

    /// Moves past the next byte if it is 0 (an empty property length).
    #[inline]
    pub(crate) fn skip_zero_byte(&mut self) -> bool {
        let zero = self.buf.get(self.pos) == Some(&0);
        self.pos += usize::from(zero);
        zero
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A Variable Byte Integer in its shortest form, at most 4 bytes [MQTT-1.5.5-1].
    pub(crate) fn var_int(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let mut value = 0u32;
        for i in 0..4 {
            let byte = self.u8(field)?;
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(DecodeError::MalformedVariableByteInteger);
                }
                return Ok(value);
            }
        }
        Err(DecodeError::MalformedVariableByteInteger)
    }

    pub(crate) fn packet_id(&mut self) -> Result<PacketId, DecodeError> {
        PacketId::new(self.u16("packet identifier")?).ok_or(DecodeError::ZeroPacketId)
    }

    /// The next `N` bytes, copied out (for the fixed-size integers).
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let chunk = self
            .buf
            .get(self.pos..)
            .and_then(|s| s.first_chunk::<N>())
            .ok_or(DecodeError::Truncated { field })?;
        self.pos += N;
        Ok(*chunk)
    }

    /// `n` bytes sharing the packet buffer.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<Bytes, DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(DecodeError::Truncated { field })?;
        if end > self.buf.len() {
            return Err(DecodeError::Truncated { field });
        }
        let b = self.buf.slice(self.pos..end);
        self.pos = end;
        Ok(b)
    }

    /// Everything left (a PUBLISH payload).
    pub(crate) fn rest(&mut self) -> Bytes {
        // Hand over the reader's own reference instead of taking (and, when the reader is
        // dropped, releasing) another one: the reader is empty afterwards either way.
        let mut b = std::mem::take(&mut self.buf);
        b.advance(self.pos.min(b.len()));
        self.pos = 0;
        b
    }

    /// Where the next length-prefixed field (two-byte length, then that many bytes) lies in
    /// the buffer; the reader moves past it.
    #[inline(always)]
    fn prefixed(&mut self, field: &'static str) -> Result<(usize, usize), DecodeError> {
        let len = usize::from(self.u16(field)?);
        let end = self.pos + len;
        if end > self.buf.len() {
            return Err(DecodeError::Truncated { field });
        }
        let start = self.pos;
        self.pos = end;
        Ok((start, end))
    }

    /// How many length-prefixed fields, each followed by `extra` bytes, the rest of the
    /// packet holds (counting a last, truncated one): the size to allocate for a list of topic
    /// filters, found by hopping over their length prefixes.
    pub(crate) fn count_prefixed(&self, extra: usize) -> usize {
        let mut at = self.pos;
        let mut count = 0;
        while let Some(&[a, b]) = self.buf.get(at..).and_then(|s| s.first_chunk::<2>()) {
            at += 2 + usize::from(u16::from_be_bytes([a, b])) + extra;
            count += 1;
        }
        count
    }

    /// Binary Data: a two-byte length and that many bytes.
    pub(crate) fn binary(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        let (start, end) = self.prefixed(field)?;
        Ok(self.buf.slice(start..end))
    }

    /// Moves past Binary Data.
    pub(crate) fn skip_binary(&mut self, field: &'static str) -> Result<(), DecodeError> {
        self.prefixed(field).map(|_| ())
    }

    /// Moves past a UTF-8 Encoded String after checking it as [`Reader::string`] does.
    pub(crate) fn skip_string(&mut self, field: &'static str) -> Result<(), DecodeError> {
        let (start, end) = self.prefixed(field)?;
        let bytes = self.buf.get(start..end).unwrap_or_default();
        if is_ascii_without_nul(bytes) {
            return Ok(());
        }
        check_utf8_slice(bytes, field)
    }

    /// A UTF-8 Encoded String: well-formed, no U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].
    pub(crate) fn string(&mut self, field: &'static str) -> Result<ByteStr, DecodeError> {
        let (start, end) = self.prefixed(field)?;
        let bytes = self.buf.get(start..end).unwrap_or_default();
        if is_ascii_without_nul(bytes) {
            return Ok(ByteStr::from_ascii_without_nul(self.buf.slice(start..end)));
        }
        check_utf8(self.buf.slice(start..end), field)
    }

    /// A topic name: a UTF-8 Encoded String without wildcards [MQTT-3.3.2-2]. The usual
    /// ASCII name is checked for both in one pass. (Emptiness is the caller's: an empty topic
    /// name is allowed in 5.0 with a Topic Alias.)
    #[inline(always)]
    pub(crate) fn topic_name(&mut self, field: &'static str) -> Result<ByteStr, DecodeError> {
        let (start, end) = self.prefixed(field)?;
        let bytes = self.buf.get(start..end).unwrap_or_default();
        if is_plain_topic(bytes) {
            return Ok(ByteStr::plain_topic(self.buf.slice(start..end)));
        }
        self.unusual_topic_name(start, end, field)
    }

    /// [`Reader::topic_name`] for a name that is not ASCII or holds U+0000 or a wildcard: out
    /// of line, so that the usual name's path, inlined into the PUBLISH reader, stays short.
    #[inline(never)]
    fn unusual_topic_name(
        &self,
        start: usize,
        end: usize,
        field: &'static str,
    ) -> Result<ByteStr, DecodeError> {
        // UTF-8 errors first, as a string is read before it is looked at.
        let topic = check_utf8(self.buf.slice(start..end), field)?;
        if topic.has_wildcard() {
            return Err(DecodeError::WildcardInTopicName);
        }
        Ok(topic.known_without_wildcard())
    }

    /// A topic filter: a UTF-8 Encoded String that `topic::validate_filter` accepts. The
    /// usual filter is accepted in one pass; anything else gets the full checks, which name
    /// the rule broken.
    // Inlined into its two callers' loops (SUBSCRIBE, UNSUBSCRIBE): a call per filter, and the
    // filter returned through memory, cost about 25 instructions each.
    #[inline(always)]
    pub(crate) fn filter(&mut self, field: &'static str) -> Result<ByteStr, DecodeError> {
        let (start, end) = self.prefixed(field)?;
        let bytes = self.buf.get(start..end).unwrap_or_default();
        let filter = match scan_filter(bytes) {
            FilterScan::Plain => ByteStr::from_ascii_without_nul(self.buf.slice(start..end)),
            FilterScan::Unknown => {
                let filter = check_utf8(self.buf.slice(start..end), field)?;
                crate::topic::validate_filter(&filter).map_err(DecodeError::InvalidTopicFilter)?;
                filter
            }
        };
        Ok(filter.known_filter())
    }
}

/// Checks the UTF-8 rules of MQTT on `bytes`. `std::str::from_utf8` already refuses
/// surrogates and overlong forms; MQTT also forbids U+0000.
pub(crate) fn check_utf8(bytes: Bytes, field: &'static str) -> Result<ByteStr, DecodeError> {
    if is_ascii_without_nul(&bytes) {
        return Ok(ByteStr::from_ascii_without_nul(bytes));
    }
    if has_nul(&bytes) {
        // A 0x00 byte in UTF-8 can only be U+0000, but report broken UTF-8 first.
        return match std::str::from_utf8(&bytes) {
            Ok(_) => Err(DecodeError::NullCharacter { field }),
            Err(_) => Err(DecodeError::InvalidUtf8 { field }),
        };
    }
    ByteStr::from_utf8_without_nul(bytes).map_err(|_| DecodeError::InvalidUtf8 { field })
}

/// [`check_utf8`] without making the string: the same errors, in the same order.
fn check_utf8_slice(bytes: &[u8], field: &'static str) -> Result<(), DecodeError> {
    match std::str::from_utf8(bytes) {
        // A 0x00 byte in UTF-8 can only be U+0000, but broken UTF-8 is reported first.
        Err(_) => Err(DecodeError::InvalidUtf8 { field }),
        Ok(_) if has_nul(bytes) => Err(DecodeError::NullCharacter { field }),
        Ok(_) => Ok(()),
    }
}
