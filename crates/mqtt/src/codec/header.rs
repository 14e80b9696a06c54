//! The fixed header: packet type, flags and the remaining length.

use super::error::DecodeError;
use std::fmt;

/// The type of a control packet (the high nibble of the first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// CONNECT (1)
    Connect = 1,
    /// CONNACK (2)
    ConnAck = 2,
    /// PUBLISH (3)
    Publish = 3,
    /// PUBACK (4)
    PubAck = 4,
    /// PUBREC (5)
    PubRec = 5,
    /// PUBREL (6)
    PubRel = 6,
    /// PUBCOMP (7)
    PubComp = 7,
    /// SUBSCRIBE (8)
    Subscribe = 8,
    /// SUBACK (9)
    SubAck = 9,
    /// UNSUBSCRIBE (10)
    Unsubscribe = 10,
    /// UNSUBACK (11)
    UnsubAck = 11,
    /// PINGREQ (12)
    PingReq = 12,
    /// PINGRESP (13)
    PingResp = 13,
    /// DISCONNECT (14)
    Disconnect = 14,
    /// AUTH (15, MQTT 5.0 only)
    Auth = 15,
}

impl PacketType {
    /// The type for the high nibble of a first byte; 0 is reserved.
    pub const fn from_nibble(nibble: u8) -> Option<PacketType> {
        Some(match nibble {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    /// The packet's name as the spec writes it (`PUBLISH`).
    pub const fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::ConnAck => "CONNACK",
            PacketType::Publish => "PUBLISH",
            PacketType::PubAck => "PUBACK",
            PacketType::PubRec => "PUBREC",
            PacketType::PubRel => "PUBREL",
            PacketType::PubComp => "PUBCOMP",
            PacketType::Subscribe => "SUBSCRIBE",
            PacketType::SubAck => "SUBACK",
            PacketType::Unsubscribe => "UNSUBSCRIBE",
            PacketType::UnsubAck => "UNSUBACK",
            PacketType::PingReq => "PINGREQ",
            PacketType::PingResp => "PINGRESP",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Auth => "AUTH",
        }
    }

    /// The fixed-header flags every packet but PUBLISH must carry [MQTT-2.1.3-1].
    pub(crate) const fn fixed_flags(self) -> u8 {
        match self {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => 0b0010,
            _ => 0,
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the first bytes of a buffer say about the packet they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// Not even the fixed header is complete.
    Partial,
    /// The fixed header is complete: the packet spans `header_len + remaining` bytes.
    Header {
        first: u8,
        header_len: usize,
        remaining: usize,
    },
}

/// Reads the fixed header at the start of `buf` without consuming anything.
#[inline]
pub(crate) fn peek_frame(buf: &[u8]) -> Result<Frame, DecodeError> {
    // The remaining length of nearly every packet takes one or two bytes (under 16 KiB).
    match *buf {
        [first, len, ..] if len < 0x80 => {
            return Ok(Frame::Header {
                first,
                header_len: 2,
                remaining: usize::from(len),
            })
        }
        [first, low, high, ..] if high & 0x80 == 0 && high != 0 => {
            return Ok(Frame::Header {
                first,
                header_len: 3,
                remaining: usize::from(low & 0x7f) | usize::from(high) << 7,
            })
        }
        _ => {}
    }
    peek_frame_loop(buf)
}

/// [`peek_frame`] for any length: a Variable Byte Integer of at most four bytes in its
/// shortest form, a byte at a time.
// Inlined although the short forms above rarely reach it: as a call, it made the streaming
// decoder save registers around it on every packet (7 instructions per PUBLISH).
#[inline(always)]
fn peek_frame_loop(buf: &[u8]) -> Result<Frame, DecodeError> {
    let Some(&first) = buf.first() else {
        return Ok(Frame::Partial);
    };
    let mut value: usize = 0;
    for i in 0..4 {
        let Some(&byte) = buf.get(1 + i) else {
            return Ok(Frame::Partial);
        };
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A longer form than needed breaks [MQTT-1.5.5-1].
            if i > 0 && byte == 0 {
                return Err(DecodeError::MalformedVariableByteInteger);
            }
            return Ok(Frame::Header {
                first,
                header_len: 2 + i,
                remaining: value,
            });
        }
    }
    Err(DecodeError::MalformedVariableByteInteger)
}

#[cfg(test)]
mod tests {
    use super::{peek_frame, peek_frame_loop};

    /// Every first and second length byte, with every kind of third (none, ending, going
    /// on, overlong zero) and fourth: the short forms read up front agree with the loop.
    #[test]
    fn fixed_header_short_forms_read_as_the_loop_does() {
        for a in 0..=u8::MAX {
            for b in 0..=u8::MAX {
                for tail in [
                    &[][..],
                    &[0x00],
                    &[0x01],
                    &[0x80],
                    &[0x80, 0x01],
                    &[0xff, 0x7f],
                ] {
                    let mut buf = vec![0x30, a, b];
                    buf.extend_from_slice(tail);
                    for end in 0..=buf.len() {
                        let bytes = buf.get(..end).unwrap_or_default();
                        assert_eq!(peek_frame(bytes), peek_frame_loop(bytes), "{bytes:02x?}");
                    }
                }
            }
        }
    }
}
