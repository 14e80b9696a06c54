//! DISCONNECT: the last packet either side sends.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::reason::ReasonCode;
use super::types::Protocol;
use super::write::{packet_len, put_fixed_header, var_int_len};
use bytes::{BufMut, BytesMut};

/// A DISCONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disconnect {
    /// Why (5.0; normal disconnection in 3.x).
    pub code: ReasonCode,
    /// Properties (5.0).
    pub properties: Properties,
}

/// Reads the optional reason code and properties that DISCONNECT and AUTH share: both may be
/// omitted (Remaining Length 0), and the properties alone may be (Remaining Length 1).
pub(crate) fn read_reason_and_props(
    r: &mut Reader,
    packet: PacketType,
    v: Protocol,
) -> Result<(ReasonCode, Properties), DecodeError> {
    let mut code = ReasonCode::SUCCESS;
    let mut properties = Properties::new();
    if v.is_v5() {
        if !r.is_empty() {
            code = ReasonCode::new(r.u8("reason code")?);
            if !code.is_valid_for(packet, v) {
                return Err(DecodeError::InvalidReasonCode {
                    packet,
                    code: code.get(),
                });
            }
        }
        if !r.is_empty() {
            properties = Properties::read(r, Place::Packet(packet))?;
        }
    }
    if !r.is_empty() {
        return Err(DecodeError::TrailingBytes(packet));
    }
    Ok((code, properties))
}

/// Writes DISCONNECT or AUTH. In 5.0 it always writes the reason code and property length,
/// as mqtt-packet (MQTT.js) does; the short form saves two bytes of a once-per-connection
/// packet and some brokers' tests expect the long one.
pub(crate) fn write_reason_and_props(
    buf: &mut BytesMut,
    packet: PacketType,
    v: Protocol,
    code: ReasonCode,
    properties: &Properties,
) -> Result<(), EncodeError> {
    if !v.is_v5() {
        if !properties.is_empty() || code != ReasonCode::SUCCESS {
            return Err(EncodeError::PropertiesBeforeV5);
        }
        put_fixed_header(buf, (packet as u8) << 4, 0);
        return Ok(());
    }
    if !code.is_valid_for(packet, v) {
        return Err(EncodeError::InvalidReasonCode(code));
    }
    let p = properties.body_len(Place::Packet(packet))?;
    let len = 1 + var_int_len(p) + p;
    packet_len(len)?;
    put_fixed_header(buf, (packet as u8) << 4, len);
    buf.put_u8(code.get());
    properties.write(buf, p);
    Ok(())
}

impl Disconnect {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<Disconnect, DecodeError> {
        let (code, properties) = read_reason_and_props(r, PacketType::Disconnect, v)?;
        Ok(Disconnect { code, properties })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        write_reason_and_props(buf, PacketType::Disconnect, v, self.code, &self.properties)
    }
}
