//! PUBACK, PUBREC, PUBREL and PUBCOMP: the QoS 1 and 2 handshakes. They share one shape.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::reason::ReasonCode;
use super::types::{PacketId, Protocol};
use super::write::{packet_len, put_fixed_header, var_int_len};
use bytes::{BufMut, BytesMut};

/// The body of PUBACK, PUBREC, PUBREL and PUBCOMP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubResponse {
    /// The PUBLISH (or PUBREL) this answers.
    pub packet_id: PacketId,
    /// The reason code (5.0; always success in 3.x).
    pub code: ReasonCode,
    /// Properties (5.0).
    pub properties: Properties,
}

impl PubResponse {
    /// A successful response for `packet_id`.
    pub fn new(packet_id: PacketId) -> PubResponse {
        PubResponse {
            packet_id,
            code: ReasonCode::SUCCESS,
            properties: Properties::new(),
        }
    }

    pub(crate) fn read(
        packet: PacketType,
        r: &mut Reader,
        version: Protocol,
    ) -> Result<PubResponse, DecodeError> {
        let packet_id = r.packet_id()?;
        let mut code = ReasonCode::SUCCESS;
        let mut properties = Properties::new();
        if version.is_v5() {
            // Remaining Length 2: success, no properties; 3: a reason code alone [3.4.2.1].
            if !r.is_empty() {
                code = ReasonCode::new(r.u8("reason code")?);
                if !code.is_valid_for(packet, version) {
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
        Ok(PubResponse {
            packet_id,
            code,
            properties,
        })
    }

    pub(crate) fn encode(
        &self,
        packet: PacketType,
        version: Protocol,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        if !self.code.is_valid_for(packet, version) {
            return Err(EncodeError::InvalidReasonCode(self.code));
        }
        // The short form (no reason code, no properties) when there is nothing to say.
        let props = if !version.is_v5() {
            if !self.properties.is_empty() {
                return Err(EncodeError::PropertiesBeforeV5);
            }
            None
        } else if self.code == ReasonCode::SUCCESS && self.properties.is_empty() {
            None
        } else {
            Some(self.properties.body_len(Place::Packet(packet))?)
        };
        let first = ((packet as u8) << 4) | packet.fixed_flags();
        let [id0, id1] = self.packet_id.get().to_be_bytes();
        let Some(p) = props else {
            // The usual acknowledgement: four bytes, one write.
            buf.put_slice(&[first, 2, id0, id1]);
            return Ok(());
        };
        let len = 2 + 1 + var_int_len(p) + p;
        packet_len(len)?;
        put_fixed_header(buf, first, len);
        buf.put_slice(&[id0, id1, self.code.get()]);
        self.properties.write(buf, p);
        Ok(())
    }
}
