//! CONNACK: the server's answer to CONNECT.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::reason::ReasonCode;
use super::types::Protocol;
use super::write::{packet_len, put_fixed_header, var_int_len};
use bytes::{BufMut, BytesMut};

/// A CONNACK packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnAck {
    /// Whether the server resumed a session it kept for this client.
    pub session_present: bool,
    /// The Connect Reason Code (5.0) or return code (3.x, 0–5).
    pub code: ReasonCode,
    /// CONNACK properties (5.0).
    pub properties: Properties,
}

impl ConnAck {
    pub(crate) fn read(r: &mut Reader, version: Protocol) -> Result<ConnAck, DecodeError> {
        let flags = r.u8("connect acknowledge flags")?;
        if flags & 0xfe != 0 {
            return Err(DecodeError::InvalidConnAckFlags);
        }
        let session_present = flags & 0x01 != 0;
        let code = ReasonCode::new(r.u8("connect reason code")?);
        // A server that does not speak 5.0 answers a 5.0 CONNECT with a 3.1.1 CONNACK
        // (return code 1, no properties); read that form as 3.1.1 so the client can tell.
        let as_version = if version.is_v5() && r.is_empty() {
            Protocol::V3_1_1
        } else {
            version
        };
        if !code.is_valid_for(PacketType::ConnAck, as_version) {
            return Err(DecodeError::InvalidReasonCode {
                packet: PacketType::ConnAck,
                code: code.get(),
            });
        }
        if session_present && code != ReasonCode::SUCCESS {
            return Err(DecodeError::SessionPresentOnRefusal);
        }
        let properties = if as_version.is_v5() {
            Properties::read(r, Place::Packet(PacketType::ConnAck))?
        } else {
            Properties::new()
        };
        if !r.is_empty() {
            return Err(DecodeError::TrailingBytes(PacketType::ConnAck));
        }
        Ok(ConnAck {
            session_present,
            code,
            properties,
        })
    }

    pub(crate) fn encode(&self, version: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if !self.code.is_valid_for(PacketType::ConnAck, version) {
            return Err(EncodeError::InvalidReasonCode(self.code));
        }
        if self.session_present && self.code != ReasonCode::SUCCESS {
            return Err(EncodeError::SessionPresentOnRefusal);
        }
        let props = if version.is_v5() {
            Some(
                self.properties
                    .body_len(Place::Packet(PacketType::ConnAck))?,
            )
        } else if !self.properties.is_empty() {
            return Err(EncodeError::PropertiesBeforeV5);
        } else {
            None
        };
        let len = 2 + props.map_or(0, |p| var_int_len(p) + p);
        packet_len(len)?;
        put_fixed_header(buf, (PacketType::ConnAck as u8) << 4, len);
        buf.put_u8(u8::from(self.session_present));
        buf.put_u8(self.code.get());
        if let Some(p) = props {
            self.properties.write(buf, p);
        }
        Ok(())
    }
}
