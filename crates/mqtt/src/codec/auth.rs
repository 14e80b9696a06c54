//! AUTH: enhanced authentication exchanges (5.0 only).

use super::disconnect::{read_reason_and_props, write_reason_and_props};
use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::Properties;
use super::read::Reader;
use super::reason::ReasonCode;
use super::types::Protocol;
use bytes::BytesMut;

/// An AUTH packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Auth {
    /// Success, Continue authentication or Re-authenticate.
    pub code: ReasonCode,
    /// Authentication Method, Authentication Data, Reason String, User Properties.
    pub properties: Properties,
}

impl Auth {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<Auth, DecodeError> {
        if !v.is_v5() {
            return Err(DecodeError::UnsupportedPacket(PacketType::Auth));
        }
        let (code, properties) = read_reason_and_props(r, PacketType::Auth, v)?;
        Ok(Auth { code, properties })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if !v.is_v5() {
            return Err(EncodeError::UnsupportedPacket(PacketType::Auth));
        }
        write_reason_and_props(buf, PacketType::Auth, v, self.code, &self.properties)
    }
}
