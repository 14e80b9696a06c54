//! The streaming decoder: frames packets out of a receive buffer that may hold part of a
//! packet, one, or several.

use super::error::DecodeError;
use super::header::{peek_frame, Frame, PacketType};
use super::packet::Packet;
use super::types::Protocol;
use super::MAX_VARIABLE_BYTE_INTEGER;
use bytes::{Buf, BytesMut};

/// What the start of a receive buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A whole packet, now removed from the buffer.
    Packet(Packet),
    /// Not a whole packet yet. `needed` is how many more bytes complete it, when the fixed
    /// header has arrived and says; otherwise `None` (at least one more byte is needed).
    NeedMore {
        /// Bytes still missing, if known.
        needed: Option<usize>,
    },
}

/// Turns a stream of bytes into packets.
///
/// The decoder only looks at the fixed header until a whole packet has arrived, and refuses a
/// packet whose declared size exceeds [`Decoder::max_packet_size`] before anything of it is
/// buffered. A CONNECT switches it to the version that CONNECT declares (what a server needs).
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Protocol,
    max_packet_size: usize,
}

impl Decoder {
    /// A decoder for `version` that accepts packets up to the protocol's largest size.
    pub fn new(version: Protocol) -> Decoder {
        Decoder {
            version,
            max_packet_size: MAX_VARIABLE_BYTE_INTEGER as usize + 5,
        }
    }

    /// Sets the largest packet (fixed header included) to accept.
    pub fn with_max_packet_size(mut self, max: usize) -> Decoder {
        self.max_packet_size = max;
        self
    }

    /// The largest packet accepted, in bytes.
    pub fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }

    /// The version packets are decoded with.
    pub fn version(&self) -> Protocol {
        self.version
    }

    /// Changes the version packets are decoded with.
    pub fn set_version(&mut self, version: Protocol) {
        self.version = version;
    }

    /// Decodes the packet at the start of `buf` and removes it, or reports how much more is
    /// needed. After an error the stream cannot be trusted: close the connection.
    pub fn poll(&mut self, buf: &mut BytesMut) -> Result<Status, DecodeError> {
        self.poll_as::<false>(buf)
    }

    /// [`Decoder::poll`] for a client: CONNECT and PINGREQ, which only a server receives, are
    /// [`DecodeError::NotForClient`] (a Protocol Error) without being parsed, so a client
    /// that decodes only this way carries no CONNECT parser.
    pub fn poll_as_client(&mut self, buf: &mut BytesMut) -> Result<Status, DecodeError> {
        self.poll_as::<true>(buf)
    }

    fn poll_as<const FOR_CLIENT: bool>(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Status, DecodeError> {
        match self.decode_as::<FOR_CLIENT>(buf)? {
            Some(packet) => Ok(Status::Packet(packet)),
            None => Ok(Status::NeedMore {
                needed: match peek_frame(buf)? {
                    Frame::Header {
                        header_len,
                        remaining,
                        ..
                    } => Some((header_len + remaining).saturating_sub(buf.len())),
                    Frame::Partial => None,
                },
            }),
        }
    }

    /// Like [`Decoder::poll`], in the `Option` form: `Ok(None)` means "need more bytes".
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        self.decode_as::<false>(buf)
    }

    /// Like [`Decoder::poll_as_client`], in the `Option` form.
    pub fn decode_as_client(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        self.decode_as::<true>(buf)
    }

    // Inlined into each entry point: `decode` is the benchmarks' hot path.
    #[inline(always)]
    fn decode_as<const FOR_CLIENT: bool>(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Packet>, DecodeError> {
        let (first, header_len, remaining) = match peek_frame(buf)? {
            Frame::Partial => return Ok(None),
            Frame::Header {
                first,
                header_len,
                remaining,
            } => (first, header_len, remaining),
        };
        let size = header_len + remaining;
        if size > self.max_packet_size {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: self.max_packet_size,
            });
        }
        if buf.len() < size {
            // Ask for room once, so the rest of a large packet lands without reallocating.
            buf.reserve(size - buf.len());
            return Ok(None);
        }
        // One comparison keeps every longer packet (a PUBLISH, say) off the short path.
        if remaining <= 2 {
            let body = buf.get(header_len..size).unwrap_or_default();
            if let Some(decoded) = Packet::decode_short::<FOR_CLIENT>(first, body) {
                buf.advance(size);
                return decoded.map(Some);
            }
        }
        // The reader starts past the fixed header: cheaper than advancing the frame, and
        // `split_off` would take (and then release) another reference to the shared buffer.
        let frame = buf.split_to(size).freeze();
        // PUBLISH, most of what a connection carries, is read here: through `decode_body`, a
        // call and its jump table cost it about 40 instructions.
        if first >> 4 == PacketType::Publish as u8 {
            return Packet::decode_publish(first, frame, header_len, self.version);
        }
        // Built in place: the packet is written once, into what this returns.
        let decoded = Packet::decode_body::<FOR_CLIENT>(first, frame, header_len, self.version);
        if let Ok(Some(Packet::Connect(c))) = &decoded {
            self.version = c.protocol;
        }
        decoded
    }
}
