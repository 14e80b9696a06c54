//! CONNECT: the first packet a client sends.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::strings::ByteStr;
use super::types::{Protocol, QoS};
use super::write::{check_string, prefixed_len, put_fixed_header, put_prefixed};
use bytes::{BufMut, Bytes, BytesMut};

/// A CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The protocol version (from the protocol level byte).
    pub protocol: Protocol,
    /// The protocol name as sent: `MQTT`, or `MQIsdp` for 3.1. Some bridges send `MQIsdp`
    /// with level 4, which MQTT-3.1.2-1 lets a server accept; it is kept so that the packet
    /// re-encodes as received.
    pub protocol_name: ByteStr,
    /// Bit 7 of the protocol level: the bridge extension of mosquitto and others.
    pub bridge: bool,
    /// Clean Session (3.x) / Clean Start (5.0).
    pub clean_start: bool,
    /// Keep Alive, in seconds (0 turns it off).
    pub keep_alive: u16,
    /// CONNECT properties (5.0).
    pub properties: Properties,
    /// The client identifier (may be empty from 3.1.1 on).
    pub client_id: ByteStr,
    /// The Will message, if any.
    pub will: Option<Will>,
    /// The user name, if any.
    pub username: Option<ByteStr>,
    /// The password, if any (binary data).
    pub password: Option<Bytes>,
}

/// The Will message carried in CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Will {
    /// The topic the server publishes the will to.
    pub topic: ByteStr,
    /// The message.
    pub payload: Bytes,
    /// Its QoS.
    pub qos: QoS,
    /// Whether it is retained.
    pub retain: bool,
    /// Will properties (5.0).
    pub properties: Properties,
}

impl Connect {
    /// A CONNECT for `protocol` with a clean start, a 60 s keep alive and nothing else set.
    pub fn new(protocol: Protocol, client_id: impl Into<ByteStr>) -> Connect {
        Connect {
            protocol,
            protocol_name: ByteStr::from_static(protocol.name()),
            bridge: false,
            clean_start: true,
            keep_alive: 60,
            properties: Properties::new(),
            client_id: client_id.into(),
            will: None,
            username: None,
            password: None,
        }
    }

    // Boxed here, where the fields are made, so the packet is written once, into the box
    // (`Box::new` of a returned value copies the whole struct).
    pub(crate) fn read(r: &mut Reader) -> Result<Box<Connect>, DecodeError> {
        let protocol_name = r.string("protocol name")?;
        if protocol_name != "MQTT" && protocol_name != "MQIsdp" {
            return Err(DecodeError::InvalidProtocolName);
        }
        let level = r.u8("protocol level")?;
        let protocol = Protocol::from_level(level & 0x7f)
            .ok_or(DecodeError::UnsupportedProtocolLevel(level))?;
        let bridge = level & 0x80 != 0;
        let flags = r.u8("connect flags")?;
        if flags & 0x01 != 0 {
            return Err(DecodeError::ConnectReservedFlag);
        }
        let clean_start = flags & 0x02 != 0;
        let has_will = flags & 0x04 != 0;
        let will_qos = (flags >> 3) & 0x03;
        let will_retain = flags & 0x20 != 0;
        let has_password = flags & 0x40 != 0;
        let has_username = flags & 0x80 != 0;
        if !has_will && (will_qos != 0 || will_retain) {
            return Err(DecodeError::WillFlagsWithoutWill);
        }
        let will_qos = QoS::from_u8(will_qos).ok_or(DecodeError::InvalidWillQoS)?;
        if has_password && !has_username && !protocol.is_v5() {
            return Err(DecodeError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = if protocol.is_v5() {
            Properties::read(r, Place::Packet(PacketType::Connect))?
        } else {
            Properties::new()
        };
        let client_id = r.string("client identifier")?;
        let will = if has_will {
            let properties = if protocol.is_v5() {
                Properties::read(r, Place::Will)?
            } else {
                Properties::new()
            };
            let topic = r.topic_name("will topic")?;
            // The Will Topic is a topic name, so at least one character [MQTT-4.7.3-1].
            if topic.is_empty() {
                return Err(DecodeError::EmptyTopicName);
            }
            let payload = r.binary("will payload")?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = if has_username {
            Some(r.string("user name")?)
        } else {
            None
        };
        let password = if has_password {
            Some(r.binary("password")?)
        } else {
            None
        };
        if !r.is_empty() {
            return Err(DecodeError::TrailingBytes(PacketType::Connect));
        }
        Ok(Box::new(Connect {
            protocol,
            protocol_name,
            bridge,
            clean_start,
            keep_alive,
            properties,
            client_id,
            will,
            username,
            password,
        }))
    }

    fn flags(&self) -> u8 {
        let mut flags = 0u8;
        if self.clean_start {
            flags |= 0x02;
        }
        if let Some(will) = &self.will {
            flags |= 0x04 | ((will.qos as u8) << 3);
            if will.retain {
                flags |= 0x20;
            }
        }
        if self.password.is_some() {
            flags |= 0x40;
        }
        if self.username.is_some() {
            flags |= 0x80;
        }
        flags
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let v5 = self.protocol.is_v5();
        if self.protocol_name != "MQTT" && self.protocol_name != "MQIsdp" {
            return Err(EncodeError::InvalidString("protocol name"));
        }
        let no_props = self.properties.is_empty()
            && self.will.as_ref().is_none_or(|w| w.properties.is_empty());
        if !v5 && !no_props {
            return Err(EncodeError::PropertiesBeforeV5);
        }
        if self.client_id.is_empty()
            && (self.protocol == Protocol::V3_1 || (!v5 && !self.clean_start))
        {
            return Err(EncodeError::EmptyClientId);
        }
        if !v5 && self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::PasswordWithoutUsername);
        }
        let props = if v5 {
            Some(
                self.properties
                    .body_len(Place::Packet(PacketType::Connect))?,
            )
        } else {
            None
        };
        let will_props = match (&self.will, v5) {
            (Some(w), true) => Some(w.properties.body_len(Place::Will)?),
            _ => None,
        };
        let mut len = 2 + self.protocol_name.len() + 1 + 1 + 2;
        len += props.map_or(0, |p| super::write::var_int_len(p) + p);
        len += check_string(&self.client_id, "client identifier")?;
        if let Some(w) = &self.will {
            len += will_props.map_or(0, |p| super::write::var_int_len(p) + p);
            if w.topic.has_wildcard() {
                return Err(EncodeError::InvalidString("will topic"));
            }
            if w.topic.is_empty() {
                return Err(EncodeError::EmptyTopicName);
            }
            len += check_string(&w.topic, "will topic")?;
            len += prefixed_len(w.payload.len(), "will payload")?;
        }
        if let Some(u) = &self.username {
            len += check_string(u, "user name")?;
        }
        if let Some(p) = &self.password {
            len += prefixed_len(p.len(), "password")?;
        }
        super::write::packet_len(len)?;

        put_fixed_header(buf, (PacketType::Connect as u8) << 4, len);
        // The variable header up to the properties, in one write of a known size.
        let level = self.protocol.level() | if self.bridge { 0x80 } else { 0 };
        let [k0, k1] = self.keep_alive.to_be_bytes();
        let flags = self.flags();
        if self.protocol_name == "MQTT" {
            buf.put_slice(&[0, 4, b'M', b'Q', b'T', b'T', level, flags, k0, k1]);
        } else {
            buf.put_slice(&[
                0, 6, b'M', b'Q', b'I', b's', b'd', b'p', level, flags, k0, k1,
            ]);
        }
        if let Some(p) = props {
            self.properties.write(buf, p);
        }
        put_prefixed(buf, self.client_id.as_bytes());
        if let Some(w) = &self.will {
            if let Some(p) = will_props {
                w.properties.write(buf, p);
            }
            put_prefixed(buf, w.topic.as_bytes());
            put_prefixed(buf, &w.payload);
        }
        if let Some(u) = &self.username {
            put_prefixed(buf, u.as_bytes());
        }
        if let Some(p) = &self.password {
            put_prefixed(buf, p);
        }
        Ok(())
    }
}
