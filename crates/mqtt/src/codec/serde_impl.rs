//! JSON-friendly serialization of packets (feature `serde`): every field, binary data as
//! lowercase hex, strings as strings, reason codes with their names.

use super::connect::Will;
use super::header::PacketType;
use super::packet::Packet;
use super::properties::{Properties, Property};
use super::reason::ReasonCode;
use super::strings::ByteStr;
use super::subscribe::Subscription;
use super::types::{PacketId, Protocol, QoS};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

/// A packet paired with the version it travels under, so reason codes are named as that
/// version names them. Serializes to one flat object whose `"type"` is the packet's name.
#[derive(Debug, Clone, Copy)]
pub struct Described<'a> {
    /// The packet.
    pub packet: &'a Packet,
    /// The version it was decoded with (a CONNECT names its own).
    pub version: Protocol,
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

struct Hex<'a>(&'a [u8]);
impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(self.0))
    }
}

struct Code(ReasonCode, PacketType, Protocol);
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", &self.0.get())?;
        m.serialize_entry("name", self.0.name_in(self.1, self.2))?;
        m.end()
    }
}

struct Codes<'a>(&'a [ReasonCode], PacketType, Protocol);
impl Serialize for Codes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            seq.serialize_element(&Code(*c, self.1, self.2))?;
        }
        seq.end()
    }
}

impl Serialize for ByteStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for PacketId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.get())
    }
}

impl Serialize for QoS {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Property names in snake_case, as JSON keys.
fn key(p: &Property) -> &'static str {
    use Property as P;
    match p {
        P::PayloadFormatIndicator(_) => "payload_format_indicator",
        P::MessageExpiryInterval(_) => "message_expiry_interval",
        P::ContentType(_) => "content_type",
        P::ResponseTopic(_) => "response_topic",
        P::CorrelationData(_) => "correlation_data",
        P::SubscriptionIdentifier(_) => "subscription_identifiers",
        P::SessionExpiryInterval(_) => "session_expiry_interval",
        P::AssignedClientIdentifier(_) => "assigned_client_identifier",
        P::ServerKeepAlive(_) => "server_keep_alive",
        P::AuthenticationMethod(_) => "authentication_method",
        P::AuthenticationData(_) => "authentication_data",
        P::RequestProblemInformation(_) => "request_problem_information",
        P::WillDelayInterval(_) => "will_delay_interval",
        P::RequestResponseInformation(_) => "request_response_information",
        P::ResponseInformation(_) => "response_information",
        P::ServerReference(_) => "server_reference",
        P::ReasonString(_) => "reason_string",
        P::ReceiveMaximum(_) => "receive_maximum",
        P::TopicAliasMaximum(_) => "topic_alias_maximum",
        P::TopicAlias(_) => "topic_alias",
        P::MaximumQoS(_) => "maximum_qos",
        P::RetainAvailable(_) => "retain_available",
        P::UserProperty(_, _) => "user_properties",
        P::MaximumPacketSize(_) => "maximum_packet_size",
        P::WildcardSubscriptionAvailable(_) => "wildcard_subscription_available",
        P::SubscriptionIdentifierAvailable(_) => "subscription_identifier_available",
        P::SharedSubscriptionAvailable(_) => "shared_subscription_available",
    }
}

/// Properties as an object: one key per property; User Properties as a list of
/// `[name, value]` pairs and Subscription Identifiers as a list of numbers, both in order.
impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let mut pairs_done = false;
        let mut ids_done = false;
        for p in self {
            use Property as P;
            match p {
                P::UserProperty(..) => {
                    if !pairs_done {
                        let pairs: Vec<[&str; 2]> = self
                            .user_properties()
                            .map(|(k, v)| [k.as_str(), v.as_str()])
                            .collect();
                        m.serialize_entry(key(p), &pairs)?;
                        pairs_done = true;
                    }
                }
                P::SubscriptionIdentifier(_) => {
                    if !ids_done {
                        let ids: Vec<u32> = self.subscription_identifiers().collect();
                        m.serialize_entry(key(p), &ids)?;
                        ids_done = true;
                    }
                }
                P::CorrelationData(b) | P::AuthenticationData(b) => {
                    m.serialize_entry(key(p), &Hex(b))?
                }
                P::ContentType(v)
                | P::ResponseTopic(v)
                | P::AssignedClientIdentifier(v)
                | P::AuthenticationMethod(v)
                | P::ResponseInformation(v)
                | P::ServerReference(v)
                | P::ReasonString(v) => m.serialize_entry(key(p), v)?,
                P::PayloadFormatIndicator(v)
                | P::RequestProblemInformation(v)
                | P::RequestResponseInformation(v)
                | P::MaximumQoS(v)
                | P::RetainAvailable(v)
                | P::WildcardSubscriptionAvailable(v)
                | P::SubscriptionIdentifierAvailable(v)
                | P::SharedSubscriptionAvailable(v) => m.serialize_entry(key(p), v)?,
                P::ServerKeepAlive(v)
                | P::ReceiveMaximum(v)
                | P::TopicAliasMaximum(v)
                | P::TopicAlias(v) => m.serialize_entry(key(p), v)?,
                P::MessageExpiryInterval(v)
                | P::SessionExpiryInterval(v)
                | P::WillDelayInterval(v)
                | P::MaximumPacketSize(v) => m.serialize_entry(key(p), v)?,
            }
        }
        m.end()
    }
}

struct WillView<'a>(&'a Will, bool);
impl Serialize for WillView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("topic", &w.topic)?;
        m.serialize_entry("payload", &Hex(&w.payload))?;
        m.serialize_entry("qos", &w.qos)?;
        m.serialize_entry("retain", &w.retain)?;
        if self.1 {
            m.serialize_entry("properties", &w.properties)?;
        }
        m.end()
    }
}

struct SubscriptionView<'a>(&'a Subscription, bool);
impl Serialize for SubscriptionView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = &self.0.options;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("filter", &self.0.filter)?;
        m.serialize_entry("qos", &o.qos)?;
        if self.1 {
            m.serialize_entry("no_local", &o.no_local)?;
            m.serialize_entry("retain_as_published", &o.retain_as_published)?;
            m.serialize_entry("retain_handling", &(o.retain_handling as u8))?;
        }
        m.end()
    }
}

impl Serialize for Described<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ty = self.packet.packet_type();
        let v = match self.packet {
            Packet::Connect(c) => c.protocol,
            _ => self.version,
        };
        let v5 = v.is_v5();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", ty.name())?;
        let props = |m: &mut S::SerializeMap, p: &Properties| -> Result<(), S::Error> {
            if v5 {
                m.serialize_entry("properties", p)?;
            }
            Ok(())
        };
        match self.packet {
            Packet::Connect(c) => {
                m.serialize_entry("protocol_name", &c.protocol_name)?;
                m.serialize_entry("protocol_version", &v)?;
                m.serialize_entry("protocol_level", &c.protocol.level())?;
                m.serialize_entry("bridge", &c.bridge)?;
                m.serialize_entry("clean_start", &c.clean_start)?;
                m.serialize_entry("keep_alive", &c.keep_alive)?;
                props(&mut m, &c.properties)?;
                m.serialize_entry("client_id", &c.client_id)?;
                m.serialize_entry("will", &c.will.as_ref().map(|w| WillView(w, v5)))?;
                m.serialize_entry("username", &c.username)?;
                m.serialize_entry("password", &c.password.as_ref().map(|p| Hex(p)))?;
            }
            Packet::ConnAck(c) => {
                m.serialize_entry("session_present", &c.session_present)?;
                m.serialize_entry("reason", &Code(c.code, ty, v))?;
                props(&mut m, &c.properties)?;
            }
            Packet::Publish(p) => {
                m.serialize_entry("dup", &p.dup)?;
                m.serialize_entry("qos", &p.qos)?;
                m.serialize_entry("retain", &p.retain)?;
                m.serialize_entry("topic", &p.topic)?;
                m.serialize_entry("packet_id", &p.packet_id)?;
                props(&mut m, &p.properties)?;
                m.serialize_entry("payload", &Hex(&p.payload))?;
                m.serialize_entry("payload_len", &p.payload.len())?;
            }
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
                m.serialize_entry("packet_id", &a.packet_id)?;
                if v5 {
                    m.serialize_entry("reason", &Code(a.code, ty, v))?;
                }
                props(&mut m, &a.properties)?;
            }
            Packet::Subscribe(sub) => {
                m.serialize_entry("packet_id", &sub.packet_id)?;
                props(&mut m, &sub.properties)?;
                let list: Vec<_> = sub
                    .subscriptions
                    .iter()
                    .map(|x| SubscriptionView(x, v5))
                    .collect();
                m.serialize_entry("subscriptions", &list)?;
            }
            Packet::SubAck(a) => {
                m.serialize_entry("packet_id", &a.packet_id)?;
                props(&mut m, &a.properties)?;
                m.serialize_entry("reasons", &Codes(&a.codes, ty, v))?;
            }
            Packet::Unsubscribe(u) => {
                m.serialize_entry("packet_id", &u.packet_id)?;
                props(&mut m, &u.properties)?;
                m.serialize_entry("filters", &u.filters)?;
            }
            Packet::UnsubAck(a) => {
                m.serialize_entry("packet_id", &a.packet_id)?;
                props(&mut m, &a.properties)?;
                if v5 {
                    m.serialize_entry("reasons", &Codes(&a.codes, ty, v))?;
                }
            }
            Packet::PingReq | Packet::PingResp => {}
            Packet::Disconnect(d) => {
                if v5 {
                    m.serialize_entry("reason", &Code(d.code, ty, v))?;
                }
                props(&mut m, &d.properties)?;
            }
            Packet::Auth(a) => {
                m.serialize_entry("reason", &Code(a.code, ty, v))?;
                props(&mut m, &a.properties)?;
            }
        }
        m.end()
    }
}
