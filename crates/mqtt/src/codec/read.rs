//! A bounds-checked cursor over one packet's bytes. Every read returns a typed error instead
//! of panicking, and strings and binaries come out as slices of the same buffer.

use super::error::DecodeError;
use super::strings::{has_nul, is_ascii_without_nul, ByteStr};
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

    /// Binary Data: a two-byte length and that many bytes.
    pub(crate) fn binary(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u16(field)?;
        self.take(usize::from(len), field)
    }

    /// A UTF-8 Encoded String: well-formed, no U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].
    pub(crate) fn string(&mut self, field: &'static str) -> Result<ByteStr, DecodeError> {
        let bytes = self.binary(field)?;
        check_utf8(bytes, field)
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
