//! SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::properties::{Place, Properties};
use super::read::Reader;
use super::reason::ReasonCode;
use super::strings::ByteStr;
use super::types::{PacketId, Protocol, QoS};
use super::write::{packet_len, put_fixed_header, put_prefixed, var_int_len};
use crate::topic;
use bytes::{BufMut, BytesMut};

/// What to do with retained messages when a subscription is made (5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetainHandling {
    /// Send retained messages at subscribe time.
    #[default]
    SendAtSubscribe = 0,
    /// Send them only if the subscription did not exist yet.
    SendAtNewSubscribe = 1,
    /// Never send them.
    DoNotSend = 2,
}

/// The options byte of one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubscriptionOptions {
    /// The maximum QoS to receive at.
    pub qos: QoS,
    /// Do not receive our own publications (5.0).
    pub no_local: bool,
    /// Keep the retain flag as published (5.0).
    pub retain_as_published: bool,
    /// Retain Handling (5.0).
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    fn to_byte(self) -> u8 {
        (self.qos as u8)
            | (u8::from(self.no_local) << 2)
            | (u8::from(self.retain_as_published) << 3)
            | ((self.retain_handling as u8) << 4)
    }

    fn from_byte(byte: u8, version: Protocol) -> Result<SubscriptionOptions, DecodeError> {
        let reserved = if version.is_v5() { 0xc0 } else { 0xfc };
        if byte & reserved != 0 {
            return Err(DecodeError::InvalidSubscriptionOptions(byte));
        }
        let qos = QoS::from_u8(byte & 0x03).ok_or(DecodeError::InvalidSubscriptionQoS)?;
        let retain_handling = match (byte >> 4) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendAtNewSubscribe,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::InvalidRetainHandling),
        };
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & 0x04 != 0,
            retain_as_published: byte & 0x08 != 0,
            retain_handling,
        })
    }
}

/// One topic filter with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topic filter.
    pub filter: ByteStr,
    /// The options.
    pub options: SubscriptionOptions,
}

impl Subscription {
    /// A subscription to `filter` at `qos` with default options.
    pub fn new(filter: impl Into<ByteStr>, qos: QoS) -> Subscription {
        Subscription {
            filter: filter.into(),
            options: SubscriptionOptions {
                qos,
                ..SubscriptionOptions::default()
            },
        }
    }
}

/// A SUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// The packet identifier SUBACK will echo.
    pub packet_id: PacketId,
    /// Properties (5.0): a Subscription Identifier and User Properties.
    pub properties: Properties,
    /// At least one subscription.
    pub subscriptions: Vec<Subscription>,
}

/// A SUBACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    /// The SUBSCRIBE this answers.
    pub packet_id: PacketId,
    /// Properties (5.0).
    pub properties: Properties,
    /// One code per subscription, in order: granted QoS or a failure.
    pub codes: Vec<ReasonCode>,
}

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The packet identifier UNSUBACK will echo.
    pub packet_id: PacketId,
    /// Properties (5.0).
    pub properties: Properties,
    /// At least one topic filter.
    pub filters: Vec<ByteStr>,
}

/// An UNSUBACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    /// The UNSUBSCRIBE this answers.
    pub packet_id: PacketId,
    /// Properties (5.0).
    pub properties: Properties,
    /// One code per filter (5.0; empty in 3.x).
    pub codes: Vec<ReasonCode>,
}

fn read_props(r: &mut Reader, packet: PacketType, v: Protocol) -> Result<Properties, DecodeError> {
    if v.is_v5() {
        Properties::read(r, Place::Packet(packet))
    } else {
        Ok(Properties::new())
    }
}

fn read_codes(
    r: &mut Reader,
    packet: PacketType,
    v: Protocol,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let mut codes = Vec::with_capacity(r.remaining());
    while !r.is_empty() {
        let code = ReasonCode::new(r.u8("reason code")?);
        if !code.is_valid_for(packet, v) {
            return Err(DecodeError::InvalidReasonCode {
                packet,
                code: code.get(),
            });
        }
        codes.push(code);
    }
    if codes.is_empty() {
        return Err(DecodeError::NoReasonCodes(packet));
    }
    Ok(codes)
}

/// Property length for 5.0, refusing properties before it.
fn props_len(
    props: &Properties,
    packet: PacketType,
    v: Protocol,
) -> Result<Option<usize>, EncodeError> {
    if v.is_v5() {
        Ok(Some(props.body_len(Place::Packet(packet))?))
    } else if props.is_empty() {
        Ok(None)
    } else {
        Err(EncodeError::PropertiesBeforeV5)
    }
}

fn write_head(
    buf: &mut BytesMut,
    packet: PacketType,
    len: usize,
    id: PacketId,
    props: &Properties,
    props_len: Option<usize>,
) -> Result<(), EncodeError> {
    packet_len(len)?;
    put_fixed_header(buf, ((packet as u8) << 4) | packet.fixed_flags(), len);
    buf.put_u16(id.get());
    if let Some(p) = props_len {
        props.write(buf, p);
    }
    Ok(())
}

fn head_len(props_len: Option<usize>) -> usize {
    2 + props_len.map_or(0, |p| var_int_len(p) + p)
}

impl Subscribe {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<Subscribe, DecodeError> {
        let packet_id = r.packet_id()?;
        let properties = read_props(r, PacketType::Subscribe, v)?;
        // Allocate once, exactly (a large allocation is a slow one).
        let mut subscriptions = Vec::with_capacity(r.count_prefixed(1));
        while !r.is_empty() {
            let filter = r.filter("topic filter")?;
            let options = SubscriptionOptions::from_byte(r.u8("subscription options")?, v)?;
            if options.no_local && topic::is_shared(&filter) {
                return Err(DecodeError::NoLocalOnSharedSubscription);
            }
            subscriptions.push(Subscription { filter, options });
        }
        if subscriptions.is_empty() {
            return Err(DecodeError::NoTopicFilters(PacketType::Subscribe));
        }
        Ok(Subscribe {
            packet_id,
            properties,
            subscriptions,
        })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if self.subscriptions.is_empty() {
            return Err(EncodeError::Empty(PacketType::Subscribe));
        }
        let props = props_len(&self.properties, PacketType::Subscribe, v)?;
        let mut len = head_len(props);
        for s in &self.subscriptions {
            if !s.filter.is_valid_filter() {
                return Err(EncodeError::InvalidTopicFilter);
            }
            if !v.is_v5() && s.options.to_byte() & 0xfc != 0 {
                return Err(EncodeError::SubscriptionOptionsBeforeV5);
            }
            if s.options.no_local && topic::is_shared(&s.filter) {
                return Err(EncodeError::NoLocalOnSharedSubscription);
            }
            // A valid filter is at most 65,535 bytes without U+0000: a sendable string.
            len += 2 + s.filter.len() + 1;
        }
        write_head(
            buf,
            PacketType::Subscribe,
            len,
            self.packet_id,
            &self.properties,
            props,
        )?;
        // Two writes per filter, not three: its bytes, then its options byte together with
        // the next filter's length.
        let mut subscriptions = self.subscriptions.iter().peekable();
        if let Some(first) = subscriptions.peek() {
            buf.put_u16(first.filter.len() as u16);
        }
        while let Some(s) = subscriptions.next() {
            buf.put_slice(s.filter.as_bytes());
            let options = s.options.to_byte();
            match subscriptions.peek() {
                Some(next) => {
                    let [high, low] = (next.filter.len() as u16).to_be_bytes();
                    buf.put_slice(&[options, high, low]);
                }
                None => buf.put_u8(options),
            }
        }
        Ok(())
    }
}

impl SubAck {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<SubAck, DecodeError> {
        let packet_id = r.packet_id()?;
        let properties = read_props(r, PacketType::SubAck, v)?;
        let codes = read_codes(r, PacketType::SubAck, v)?;
        Ok(SubAck {
            packet_id,
            properties,
            codes,
        })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if self.codes.is_empty() {
            return Err(EncodeError::Empty(PacketType::SubAck));
        }
        if let Some(bad) = self
            .codes
            .iter()
            .find(|c| !c.is_valid_for(PacketType::SubAck, v))
        {
            return Err(EncodeError::InvalidReasonCode(*bad));
        }
        let props = props_len(&self.properties, PacketType::SubAck, v)?;
        let len = head_len(props) + self.codes.len();
        write_head(
            buf,
            PacketType::SubAck,
            len,
            self.packet_id,
            &self.properties,
            props,
        )?;
        for c in &self.codes {
            buf.put_u8(c.get());
        }
        Ok(())
    }
}

impl Unsubscribe {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<Unsubscribe, DecodeError> {
        let packet_id = r.packet_id()?;
        let properties = read_props(r, PacketType::Unsubscribe, v)?;
        let mut filters = Vec::with_capacity(r.count_prefixed(0));
        while !r.is_empty() {
            filters.push(r.filter("topic filter")?);
        }
        if filters.is_empty() {
            return Err(DecodeError::NoTopicFilters(PacketType::Unsubscribe));
        }
        Ok(Unsubscribe {
            packet_id,
            properties,
            filters,
        })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::Empty(PacketType::Unsubscribe));
        }
        let props = props_len(&self.properties, PacketType::Unsubscribe, v)?;
        let mut len = head_len(props);
        for f in &self.filters {
            if !f.is_valid_filter() {
                return Err(EncodeError::InvalidTopicFilter);
            }
            len += 2 + f.len();
        }
        write_head(
            buf,
            PacketType::Unsubscribe,
            len,
            self.packet_id,
            &self.properties,
            props,
        )?;
        for f in &self.filters {
            put_prefixed(buf, f.as_bytes());
        }
        Ok(())
    }
}

impl UnsubAck {
    pub(crate) fn read(r: &mut Reader, v: Protocol) -> Result<UnsubAck, DecodeError> {
        let packet_id = r.packet_id()?;
        if !v.is_v5() {
            if !r.is_empty() {
                return Err(DecodeError::TrailingBytes(PacketType::UnsubAck));
            }
            return Ok(UnsubAck {
                packet_id,
                properties: Properties::new(),
                codes: Vec::new(),
            });
        }
        let properties = read_props(r, PacketType::UnsubAck, v)?;
        let codes = read_codes(r, PacketType::UnsubAck, v)?;
        Ok(UnsubAck {
            packet_id,
            properties,
            codes,
        })
    }

    pub(crate) fn encode(&self, v: Protocol, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if v.is_v5() && self.codes.is_empty() {
            return Err(EncodeError::Empty(PacketType::UnsubAck));
        }
        if !v.is_v5() && !self.codes.is_empty() {
            return Err(EncodeError::PropertiesBeforeV5);
        }
        if let Some(bad) = self
            .codes
            .iter()
            .find(|c| !c.is_valid_for(PacketType::UnsubAck, v))
        {
            return Err(EncodeError::InvalidReasonCode(*bad));
        }
        let props = props_len(&self.properties, PacketType::UnsubAck, v)?;
        let len = head_len(props) + self.codes.len();
        write_head(
            buf,
            PacketType::UnsubAck,
            len,
            self.packet_id,
            &self.properties,
            props,
        )?;
        for c in &self.codes {
            buf.put_u8(c.get());
        }
        Ok(())
    }
}
