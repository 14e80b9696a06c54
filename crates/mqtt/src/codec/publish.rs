//! PUBLISH: an application message, in either direction.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::strings::ByteStr;
use super::types::{PacketId, Protocol, QoS};
use super::write::{check_string, packet_len, put_fixed_header, var_int_len};
use bytes::{BufMut, Bytes, BytesMut};

/// A PUBLISH packet. Topic and payload share the buffer it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publish {
    /// Whether this is a redelivery.
    pub dup: bool,
    /// The QoS.
    pub qos: QoS,
    /// Whether the message is (to be) retained.
    pub retain: bool,
    /// The topic name (empty in 5.0 when a Topic Alias stands for it).
    pub topic: ByteStr,
    /// Present exactly when QoS is 1 or 2.
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties (5.0).
    pub properties: Properties,
    /// The application message.
    pub payload: Bytes,
}

impl Publish {
    /// A QoS 0 message with no properties.
    pub fn new(topic: impl Into<ByteStr>, payload: impl Into<Bytes>) -> Publish {
        Publish {
            topic: topic.into(),
            payload: payload.into(),
            ..Publish::default()
        }
    }

    // One caller (`Packet::decode_body`): inlined, the packet is built in place.
    #[inline(always)]
    pub(crate) fn read(
        flags: u8,
        r: &mut Reader,
        version: Protocol,
    ) -> Result<Publish, DecodeError> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03).ok_or(DecodeError::InvalidQoS)?;
        let retain = flags & 0x01 != 0;
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::DupOnQoS0);
        }
        let topic = r.topic_name("topic name")?;
        let packet_id = if qos == QoS::AtMostOnce {
            None
        } else {
            Some(r.packet_id()?)
        };
        let properties = if version.is_v5() {
            Properties::read(r, Place::Packet(PacketType::Publish))?
        } else {
            Properties::new()
        };
        if topic.is_empty() && properties.topic_alias().is_none() {
            return Err(DecodeError::EmptyTopicName);
        }
        Ok(Publish {
            dup,
            qos,
            retain,
            topic,
            packet_id,
            properties,
            payload: r.rest(),
        })
    }

    /// The first byte of the fixed header.
    fn first_byte(&self) -> u8 {
        ((PacketType::Publish as u8) << 4)
            | (u8::from(self.dup) << 3)
            | ((self.qos as u8) << 1)
            | u8::from(self.retain)
    }

    /// Remaining length and property length (5.0), checking the packet can be sent.
    #[inline]
    fn sizes(&self, version: Protocol) -> Result<(usize, Option<usize>), EncodeError> {
        if (self.qos == QoS::AtMostOnce) != self.packet_id.is_none() {
            return Err(EncodeError::PacketIdMismatch);
        }
        if self.dup && self.qos == QoS::AtMostOnce {
            return Err(EncodeError::DupOnQoS0);
        }
        if self.topic.has_wildcard() {
            return Err(EncodeError::InvalidString("topic name"));
        }
        let props = if version.is_v5() {
            Some(
                self.properties
                    .body_len(Place::Packet(PacketType::Publish))?,
            )
        } else if !self.properties.is_empty() {
            return Err(EncodeError::PropertiesBeforeV5);
        } else {
            None
        };
        if self.topic.is_empty() && self.properties.topic_alias().is_none() {
            return Err(EncodeError::EmptyTopicName);
        }
        let mut len = check_string(&self.topic, "topic name")?;
        if self.packet_id.is_some() {
            len += 2;
        }
        len += props.map_or(0, |p| var_int_len(p) + p);
        len += self.payload.len();
        Ok((len, props))
    }

    pub(crate) fn encoded_len(&self, version: Protocol) -> Result<usize, EncodeError> {
        packet_len(self.sizes(version)?.0)
    }

    pub(crate) fn encode(&self, version: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let (len, props) = self.sizes(version)?;
        buf.reserve(packet_len(len)?);
        let topic = self.topic.as_bytes();
        let [t0, t1] = (topic.len() as u16).to_be_bytes();
        if len < 0x80 {
            buf.put_slice(&[self.first_byte(), len as u8, t0, t1]);
        } else {
            put_fixed_header(buf, self.first_byte(), len);
            buf.put_slice(&[t0, t1]);
        }
        buf.put_slice(topic);
        if let Some(id) = self.packet_id {
            buf.put_slice(&id.get().to_be_bytes());
        }
        if let Some(p) = props {
            self.properties.write(buf, p);
        }
        buf.put_slice(&self.payload);
        Ok(())
    }
}
