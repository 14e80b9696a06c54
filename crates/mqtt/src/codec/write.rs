//! Sizes and writers for the wire's primitive types. Encoding asks every field its exact
//! size first, reserves once, then writes; these helpers keep the two passes in agreement.

use super::error::EncodeError;
use super::strings::ByteStr;
use super::MAX_VARIABLE_BYTE_INTEGER;
use bytes::{BufMut, BytesMut};

/// Bytes a Variable Byte Integer of `value` takes.
pub(crate) const fn var_int_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

#[inline]
pub(crate) fn put_var_int(buf: &mut BytesMut, value: usize) {
    if value < 0x80 {
        buf.put_u8(value as u8);
    } else {
        put_long_var_int(buf, value);
    }
}

fn put_long_var_int(buf: &mut BytesMut, mut value: usize) {
    loop {
        let mut byte = (value & 0x7f) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            break;
        }
    }
}

/// Size of a length-prefixed string or binary, refusing one over 65,535 bytes.
pub(crate) fn prefixed_len(len: usize, field: &'static str) -> Result<usize, EncodeError> {
    if len > usize::from(u16::MAX) {
        return Err(EncodeError::FieldTooLong(field));
    }
    Ok(2 + len)
}

/// Writes a length-prefixed field whose length `prefixed_len` already checked.
#[inline]
pub(crate) fn put_prefixed(buf: &mut BytesMut, bytes: &[u8]) {
    // Byte by byte: `put_u8` is a store, where a two-byte `put_slice` that the compiler
    // leaves out of line ends in a call to `memcpy`.
    let [high, low] = (bytes.len() as u16).to_be_bytes();
    buf.put_u8(high);
    buf.put_u8(low);
    buf.put_slice(bytes);
}

/// Size of a whole packet with `remaining` bytes after the fixed header.
#[inline]
pub(crate) fn packet_len(remaining: usize) -> Result<usize, EncodeError> {
    if remaining > MAX_VARIABLE_BYTE_INTEGER as usize {
        return Err(EncodeError::PacketTooLarge);
    }
    Ok(1 + var_int_len(remaining) + remaining)
}

/// Reserves room for the whole packet and writes its fixed header: one write for the usual
/// one- or two-byte remaining length.
#[inline(always)]
pub(crate) fn put_fixed_header(buf: &mut BytesMut, first: u8, remaining: usize) {
    buf.reserve(1 + var_int_len(remaining) + remaining);
    if remaining < 0x80 {
        buf.put_slice(&[first, remaining as u8]);
    } else if remaining < 0x4000 {
        buf.put_slice(&[first, remaining as u8 | 0x80, (remaining >> 7) as u8]);
    } else {
        buf.put_u8(first);
        put_long_var_int(buf, remaining);
    }
}

/// Checks a string we are about to send against the UTF-8 rules of MQTT (no U+0000).
#[inline]
pub(crate) fn check_string(s: &ByteStr, field: &'static str) -> Result<usize, EncodeError> {
    if s.has_nul() {
        return Err(EncodeError::InvalidString(field));
    }
    prefixed_len(s.len(), field)
}
