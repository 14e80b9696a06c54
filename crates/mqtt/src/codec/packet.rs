//! `Packet`: any MQTT control packet, and the entry points to decode and encode one.

use super::ack::PubResponse;
use super::auth::Auth;
use super::connack::ConnAck;
use super::connect::Connect;
use super::disconnect::Disconnect;
use super::error::{DecodeError, EncodeError};
use super::header::{peek_frame, Frame, PacketType};
use super::publish::Publish;
use super::read::Reader;
use super::subscribe::{SubAck, Subscribe, UnsubAck, Unsubscribe};
use super::types::{PacketId, Protocol};
use super::write::put_fixed_header;
use bytes::{Bytes, BytesMut};

/// Any MQTT control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT
    Connect(Box<Connect>),
    /// CONNACK
    ConnAck(ConnAck),
    /// PUBLISH
    Publish(Publish),
    /// PUBACK
    PubAck(PubResponse),
    /// PUBREC
    PubRec(PubResponse),
    /// PUBREL
    PubRel(PubResponse),
    /// PUBCOMP
    PubComp(PubResponse),
    /// SUBSCRIBE
    Subscribe(Subscribe),
    /// SUBACK
    SubAck(SubAck),
    /// UNSUBSCRIBE
    Unsubscribe(Unsubscribe),
    /// UNSUBACK
    UnsubAck(UnsubAck),
    /// PINGREQ
    PingReq,
    /// PINGRESP
    PingResp,
    /// DISCONNECT
    Disconnect(Disconnect),
    /// AUTH (5.0)
    Auth(Auth),
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }

    /// Decodes one whole packet from `bytes`, which must hold exactly that packet.
    ///
    /// CONNECT is read with the version it declares; every other packet with `version`.
    ///
    /// ```
    /// use switchboard_mqtt::codec::{Packet, Protocol, QoS};
    ///
    /// let bytes = [0x32, 0x08, 0x00, 0x01, b'a', 0x00, 0x0a, b'h', b'e', b'y'];
    /// let Packet::Publish(p) = Packet::decode(&bytes, Protocol::V3_1_1)? else { panic!() };
    /// assert_eq!((p.topic.as_str(), p.qos, &p.payload[..]), ("a", QoS::AtLeastOnce, &b"hey"[..]));
    /// # Ok::<(), switchboard_mqtt::codec::DecodeError>(())
    /// ```
    pub fn decode(bytes: &[u8], version: Protocol) -> Result<Packet, DecodeError> {
        Packet::decode_whole::<false>(bytes, version)
    }

    /// [`Packet::decode`] for a client: CONNECT and PINGREQ are
    /// [`DecodeError::NotForClient`], unparsed (see [`Decoder::poll_as_client`]).
    ///
    /// [`Decoder::poll_as_client`]: super::Decoder::poll_as_client
    pub fn decode_as_client(bytes: &[u8], version: Protocol) -> Result<Packet, DecodeError> {
        Packet::decode_whole::<true>(bytes, version)
    }

    fn decode_whole<const FOR_CLIENT: bool>(
        bytes: &[u8],
        version: Protocol,
    ) -> Result<Packet, DecodeError> {
        match peek_frame(bytes)? {
            Frame::Header {
                first,
                header_len,
                remaining,
            } => {
                let total = header_len + remaining;
                if bytes.len() < total {
                    let field = if bytes.len() == header_len {
                        "packet body"
                    } else {
                        "packet"
                    };
                    return Err(DecodeError::Truncated { field });
                }
                if bytes.len() > total {
                    let p = PacketType::from_nibble(first >> 4)
                        .ok_or(DecodeError::ReservedPacketType)?;
                    return Err(DecodeError::TrailingBytes(p));
                }
                let body = Bytes::copy_from_slice(bytes.get(header_len..).unwrap_or_default());
                // `Some` always: the body is here whole.
                Packet::decode_body::<FOR_CLIENT>(first, body, 0, version)?.ok_or(
                    DecodeError::Truncated {
                        field: "packet body",
                    },
                )
            }
            Frame::Partial => Err(DecodeError::Truncated {
                field: "fixed header",
            }),
        }
    }

    /// Decodes, straight from the receive buffer, the packets that are a packet identifier
    /// or nothing at all: PUBACK, PUBREC, PUBREL and PUBCOMP in their usual two-byte form,
    /// PINGREQ and PINGRESP. `body` is what follows the fixed header. `None` for every other
    /// packet, which [`Packet::decode_body`] reads. These packets hold nothing that shares
    /// the buffer, so they need no shared reference to it (taking and releasing one is
    /// most of what decoding them would otherwise cost); the result, errors included, is
    /// what `decode_body` gives for the same bytes.
    #[inline(always)]
    pub(crate) fn decode_short<const FOR_CLIENT: bool>(
        first: u8,
        body: &[u8],
    ) -> Option<Result<Packet, DecodeError>> {
        match (first, body) {
            (0x40 | 0x50 | 0x62 | 0x70, &[high, low]) => {
                let Some(id) = PacketId::new(u16::from_be_bytes([high, low])) else {
                    return Some(Err(DecodeError::ZeroPacketId));
                };
                let response = PubResponse::new(id);
                Some(Ok(match first {
                    0x40 => Packet::PubAck(response),
                    0x50 => Packet::PubRec(response),
                    0x62 => Packet::PubRel(response),
                    _ => Packet::PubComp(response),
                }))
            }
            (0xc0, []) if !FOR_CLIENT => Some(Ok(Packet::PingReq)),
            (0xd0, []) => Some(Ok(Packet::PingResp)),
            _ => None,
        }
    }

    /// [`Packet::decode_body`] for a PUBLISH (`first` is its first byte), for the streaming
    /// decoder to inline.
    #[inline(always)]
    pub(crate) fn decode_publish(
        first: u8,
        frame: Bytes,
        body_start: usize,
        version: Protocol,
    ) -> Result<Option<Packet>, DecodeError> {
        let r = &mut Reader::at(frame, body_start);
        Ok(Some(Packet::Publish(Publish::read(
            first & 0x0f,
            r,
            version,
        )?)))
    }

    /// Decodes the body of a packet whose fixed header started with `first`: `frame` from
    /// `body_start` on (the fixed header may still be in front of it). Always `Some` on
    /// success: the `Option` is the streaming decoder's return type, so that the packet is
    /// built where the decoder returns it instead of being moved there.
    ///
    /// `FOR_CLIENT`: a client reads these bytes, so CONNECT and PINGREQ, which only a server
    /// receives, are [`DecodeError::NotForClient`], unparsed; as a constant, it leaves the
    /// CONNECT parser out of a client's build.
    pub(crate) fn decode_body<const FOR_CLIENT: bool>(
        first: u8,
        frame: Bytes,
        body_start: usize,
        version: Protocol,
    ) -> Result<Option<Packet>, DecodeError> {
        let packet = PacketType::from_nibble(first >> 4).ok_or(DecodeError::ReservedPacketType)?;
        let flags = first & 0x0f;
        if packet != PacketType::Publish && flags != packet.fixed_flags() {
            return Err(DecodeError::InvalidHeaderFlags { packet, flags });
        }
        let r = &mut Reader::at(frame, body_start);
        let v = version;
        Ok(Some(match packet {
            PacketType::Connect | PacketType::PingReq if FOR_CLIENT => {
                return Err(DecodeError::NotForClient(packet));
            }
            PacketType::Connect => Packet::Connect(Connect::read(r)?),
            PacketType::ConnAck => Packet::ConnAck(ConnAck::read(r, v)?),
            PacketType::Publish => Packet::Publish(Publish::read(flags, r, v)?),
            PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
                let response = PubResponse::read(packet, r, v)?;
                match packet {
                    PacketType::PubAck => Packet::PubAck(response),
                    PacketType::PubRec => Packet::PubRec(response),
                    PacketType::PubRel => Packet::PubRel(response),
                    _ => Packet::PubComp(response),
                }
            }
            PacketType::Subscribe => Packet::Subscribe(Subscribe::read(r, v)?),
            PacketType::SubAck => Packet::SubAck(SubAck::read(r, v)?),
            PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::read(r, v)?),
            PacketType::UnsubAck => Packet::UnsubAck(UnsubAck::read(r, v)?),
            PacketType::PingReq | PacketType::PingResp => {
                if !r.is_empty() {
                    return Err(DecodeError::TrailingBytes(packet));
                }
                if packet == PacketType::PingReq {
                    Packet::PingReq
                } else {
                    Packet::PingResp
                }
            }
            PacketType::Disconnect => Packet::Disconnect(Disconnect::read(r, v)?),
            PacketType::Auth => Packet::Auth(Auth::read(r, v)?),
        }))
    }

    /// Appends the packet to `buf` as `version` puts it on the wire (a CONNECT uses its own
    /// version). The size is computed and checked first, `buf` grows once, and nothing is
    /// written if the packet cannot be encoded.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use switchboard_mqtt::codec::{Packet, Protocol, Publish};
    ///
    /// let mut buf = BytesMut::new();
    /// Packet::Publish(Publish::new("a/b", "hi")).encode(Protocol::V5, &mut buf)?;
    /// assert_eq!(&buf[..], b"\x30\x08\x00\x03a/b\x00hi");
    /// # Ok::<(), switchboard_mqtt::codec::EncodeError>(())
    /// ```
    #[inline]
    pub fn encode(&self, version: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        // The common packet first, on its own: one test and a call where it is inlined,
        // instead of the jump table the other arms need.
        if let Packet::Publish(p) = self {
            return p.encode(version, buf);
        }
        let v = version;
        match self {
            Packet::Connect(c) => c.encode(buf),
            Packet::ConnAck(c) => c.encode(v, buf),
            Packet::Publish(p) => p.encode(v, buf),
            Packet::PubAck(a) => a.encode(PacketType::PubAck, v, buf),
            Packet::PubRec(a) => a.encode(PacketType::PubRec, v, buf),
            Packet::PubRel(a) => a.encode(PacketType::PubRel, v, buf),
            Packet::PubComp(a) => a.encode(PacketType::PubComp, v, buf),
            Packet::Subscribe(s) => s.encode(v, buf),
            Packet::SubAck(s) => s.encode(v, buf),
            Packet::Unsubscribe(u) => u.encode(v, buf),
            Packet::UnsubAck(u) => u.encode(v, buf),
            Packet::PingReq => {
                put_fixed_header(buf, (PacketType::PingReq as u8) << 4, 0);
                Ok(())
            }
            Packet::PingResp => {
                put_fixed_header(buf, (PacketType::PingResp as u8) << 4, 0);
                Ok(())
            }
            Packet::Disconnect(d) => d.encode(v, buf),
            Packet::Auth(a) => a.encode(v, buf),
        }
    }

    /// The packet's encoded size in bytes under `version`, fixed header included.
    pub fn encoded_len(&self, version: Protocol) -> Result<usize, EncodeError> {
        if let Packet::Publish(p) = self {
            return p.encoded_len(version);
        }
        // The other packets are small: measuring by encoding keeps a single source of truth.
        let mut buf = BytesMut::new();
        self.encode(version, &mut buf)?;
        Ok(buf.len())
    }

    /// Encodes into a new buffer of exactly the right size.
    pub fn to_bytes(&self, version: Protocol) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        self.encode(version, &mut buf)?;
        Ok(buf.freeze())
    }
}

macro_rules! from_packet {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Packet {
            fn from(p: $t) -> Packet {
                Packet::$v(p)
            }
        }
    )*};
}
from_packet!(ConnAck => ConnAck, Publish => Publish, Subscribe => Subscribe, SubAck => SubAck,
    Unsubscribe => Unsubscribe, UnsubAck => UnsubAck, Disconnect => Disconnect, Auth => Auth);

impl From<Connect> for Packet {
    fn from(c: Connect) -> Packet {
        Packet::Connect(Box::new(c))
    }
}

#[cfg(test)]
mod tests {
    use super::Packet;
    use crate::codec::Protocol;
    use bytes::Bytes;

    /// Every body the short path takes, of every first byte, decodes exactly as the general
    /// path decodes it, in every version, for a client and a server.
    #[test]
    fn short_packets_decode_as_the_general_path_does() {
        fn check<const FOR_CLIENT: bool>(first: u8, body: &[u8]) -> bool {
            let Some(short) = Packet::decode_short::<FOR_CLIENT>(first, body) else {
                return false;
            };
            for v in [Protocol::V3_1, Protocol::V3_1_1, Protocol::V5] {
                let general =
                    Packet::decode_body::<FOR_CLIENT>(first, Bytes::copy_from_slice(body), 0, v);
                assert_eq!(
                    short.clone().map(Some),
                    general,
                    "first byte {first:#04x}, body {body:02x?}, {v:?}"
                );
            }
            true
        }
        let mut taken = 0;
        for first in 0..=u8::MAX {
            let mut bodies = vec![Vec::new(), vec![0], vec![0, 1, 2]];
            bodies.extend((0..=u16::MAX).map(|id| id.to_be_bytes().to_vec()));
            for body in &bodies {
                taken += usize::from(check::<false>(first, body));
                taken += usize::from(check::<true>(first, body));
            }
        }
        // PUBACK, PUBREC, PUBREL, PUBCOMP with any identifier, as client and server; PINGRESP
        // as both; PINGREQ as a server only.
        assert_eq!(taken, 4 * 65_536 * 2 + 2 + 1);
    }
}
