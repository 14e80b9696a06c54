//! Decode and encode errors. Each names the normative rule it enforces.

use super::header::PacketType;
use super::properties::PropertyId;
use super::reason::ReasonCode;
use std::fmt;

/// Why bytes are not a valid MQTT packet. Decoding never panics: every malformed input
/// ends here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A Variable Byte Integer is longer than 4 bytes or not in its shortest form.
    MalformedVariableByteInteger,
    /// The packet declares a size above the configured maximum; nothing was buffered.
    PacketTooLarge {
        /// The declared size of the whole packet, in bytes.
        size: usize,
        /// The configured maximum packet size.
        max: usize,
    },
    /// The packet type nibble is 0 (reserved).
    ReservedPacketType,
    /// A packet this protocol version does not have (AUTH before 5.0).
    UnsupportedPacket(PacketType),
    /// A packet only a server receives (CONNECT, PINGREQ), read by a client
    /// ([`Decoder::poll_as_client`](super::Decoder::poll_as_client)).
    NotForClient(PacketType),
    /// Fixed-header flags other than the ones the spec fixes for this packet type.
    InvalidHeaderFlags {
        /// The packet.
        packet: PacketType,
        /// The flag nibble received.
        flags: u8,
    },
    /// A PUBLISH with both QoS bits set.
    InvalidQoS,
    /// A QoS 0 PUBLISH with the DUP flag set.
    DupOnQoS0,
    /// The remaining length ends inside a field.
    Truncated {
        /// The field that did not fit.
        field: &'static str,
    },
    /// Bytes left over after the last field of a packet that has no payload to hold them.
    TrailingBytes(PacketType),
    /// A string that is not well-formed UTF-8 (this includes surrogates and overlong forms).
    InvalidUtf8 {
        /// The field that holds it.
        field: &'static str,
    },
    /// A string containing U+0000.
    NullCharacter {
        /// The field that holds it.
        field: &'static str,
    },
    /// CONNECT's protocol name is neither `MQTT` nor `MQIsdp`, or does not fit the level.
    InvalidProtocolName,
    /// CONNECT's protocol level is not 3, 4 or 5.
    UnsupportedProtocolLevel(u8),
    /// CONNECT's reserved flag bit 0 is set.
    ConnectReservedFlag,
    /// Will QoS or Will Retain set without the Will Flag.
    WillFlagsWithoutWill,
    /// Will QoS 3.
    InvalidWillQoS,
    /// Password flag without User Name flag (before 5.0).
    PasswordWithoutUsername,
    /// CONNACK acknowledge flags other than Session Present.
    InvalidConnAckFlags,
    /// CONNACK with Session Present and a refusal.
    SessionPresentOnRefusal,
    /// A topic name containing `+` or `#`.
    WildcardInTopicName,
    /// An empty topic name (without a Topic Alias in 5.0), or an empty Will Topic.
    EmptyTopicName,
    /// Packet identifier 0.
    ZeroPacketId,
    /// A SUBSCRIBE or UNSUBSCRIBE without any topic filter.
    NoTopicFilters(PacketType),
    /// A SUBACK or (5.0) UNSUBACK without any reason code.
    NoReasonCodes(PacketType),
    /// Reserved bits set in subscription options.
    InvalidSubscriptionOptions(u8),
    /// Retain Handling 3.
    InvalidRetainHandling,
    /// A subscription QoS of 3.
    InvalidSubscriptionQoS,
    /// A topic filter that is empty or places `+`/`#` wrongly, or a malformed shared filter.
    InvalidTopicFilter(&'static str),
    /// No Local set on a shared subscription.
    NoLocalOnSharedSubscription,
    /// A reason (or return) code this packet cannot carry.
    InvalidReasonCode {
        /// The packet.
        packet: PacketType,
        /// The code.
        code: u8,
    },
    /// A property identifier the spec does not define.
    UnknownProperty(u8),
    /// A property that may not appear in this packet.
    PropertyNotAllowed {
        /// The property.
        property: PropertyId,
        /// Where it appeared (CONNECT's will properties report `"Will"`).
        packet: &'static str,
    },
    /// A property that may appear once, appearing again.
    DuplicateProperty(PropertyId),
    /// A property whose value is out of range (Topic Alias 0, Receive Maximum 0, …).
    InvalidPropertyValue {
        /// The property.
        property: PropertyId,
        /// The value received.
        value: u32,
    },
}

impl DecodeError {
    /// The normative statement this error enforces: the MQTT 5.0 statement id where the spec
    /// has one (3.1.1's where the rule exists only there), otherwise the section.
    pub fn rule(&self) -> &'static str {
        use DecodeError::*;
        match self {
            MalformedVariableByteInteger => "MQTT-1.5.5-1",
            PacketTooLarge { .. } => "MQTT-3.1.2-24",
            ReservedPacketType => "MQTT 2.1.2 (packet type 0 is reserved)",
            UnsupportedPacket(_) => "MQTT 2.1.2 (AUTH exists only in 5.0)",
            NotForClient(_) => "MQTT 2.1.2 (direction of flow: only a client sends it)",
            InvalidHeaderFlags { .. } => "MQTT-2.1.3-1",
            InvalidQoS => "MQTT-3.3.1-4",
            DupOnQoS0 => "MQTT-3.3.1-2",
            Truncated { .. } => "MQTT 1.5 (a field runs past the Remaining Length)",
            TrailingBytes(_) => "MQTT 2.1.4 (Remaining Length longer than the packet)",
            InvalidUtf8 { .. } => "MQTT-1.5.4-1",
            NullCharacter { .. } => "MQTT-1.5.4-2",
            InvalidProtocolName => "MQTT-3.1.2-1",
            UnsupportedProtocolLevel(_) => "MQTT-3.1.2-2",
            ConnectReservedFlag => "MQTT-3.1.2-3",
            WillFlagsWithoutWill => "MQTT-3.1.2-11, MQTT-3.1.2-13",
            InvalidWillQoS => "MQTT-3.1.2-12",
            PasswordWithoutUsername => "MQTT-3.1.2-22 (3.1.1)",
            InvalidConnAckFlags => "MQTT-3.2.2-1",
            SessionPresentOnRefusal => "MQTT-3.2.2-6",
            WildcardInTopicName => "MQTT-3.3.2-2",
            EmptyTopicName => "MQTT-4.7.3-1",
            ZeroPacketId => "MQTT-2.2.1-3",
            NoTopicFilters(PacketType::Unsubscribe) => "MQTT-3.10.3-2",
            NoTopicFilters(_) => "MQTT-3.8.3-2",
            NoReasonCodes(PacketType::UnsubAck) => {
                "MQTT 3.11.3 (UNSUBACK carries a reason code per topic filter)"
            }
            NoReasonCodes(_) => "MQTT 3.9.3 (SUBACK carries a reason code per topic filter)",
            InvalidSubscriptionOptions(_) => "MQTT-3.8.3-5",
            InvalidRetainHandling => "MQTT 3.8.3.1 (Retain Handling 3 is a Protocol Error)",
            InvalidSubscriptionQoS => "MQTT 3.8.3.1 (QoS 3 is a Protocol Error)",
            InvalidTopicFilter(why) => crate::topic::filter_rule(why),
            NoLocalOnSharedSubscription => "MQTT-3.8.3-4",
            InvalidReasonCode { .. } => "MQTT 2.4 (reason code not defined for this packet)",
            UnknownProperty(_) => "MQTT 2.2.2.2 (undefined property identifier)",
            PropertyNotAllowed { .. } => "MQTT 2.2.2.2 (property not allowed in this packet)",
            DuplicateProperty(_) => "MQTT 2.2.2.2 (property included more than once)",
            InvalidPropertyValue { property, .. } => property_value_rule(*property),
        }
    }

    /// The MQTT 5.0 reason code to close the connection with: 0x95 for a packet that is too
    /// large, 0x82 for a protocol error, 0x81 for the other malformed packets.
    pub fn reason_code(&self) -> ReasonCode {
        use DecodeError::*;
        match self {
            PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            UnsupportedPacket(_)
            | NotForClient(_)
            | DuplicateProperty(_)
            | InvalidPropertyValue { .. }
            | InvalidRetainHandling
            | NoLocalOnSharedSubscription
            | SessionPresentOnRefusal
            | InvalidReasonCode { .. }
            | UnsupportedProtocolLevel(_) => ReasonCode::PROTOCOL_ERROR,
            _ => ReasonCode::MALFORMED_PACKET,
        }
    }
}

/// Where the spec sets the range of a property's value.
fn property_value_rule(property: PropertyId) -> &'static str {
    use PropertyId as I;
    match property {
        I::TopicAlias => "MQTT-3.3.2-8",
        I::SubscriptionIdentifier => {
            "MQTT 3.8.2.1.2 (a Subscription Identifier of 0 is a Protocol Error)"
        }
        I::ReceiveMaximum => "MQTT 3.1.2.11.3, 3.2.2.3.3 (Receive Maximum 0 is a Protocol Error)",
        I::MaximumPacketSize => {
            "MQTT 3.1.2.11.4, 3.2.2.3.6 (Maximum Packet Size 0 is a Protocol Error)"
        }
        I::MaximumQoS => "MQTT 3.2.2.3.4 (Maximum QoS other than 0 or 1 is a Protocol Error)",
        I::PayloadFormatIndicator => "MQTT 3.3.2.3.2, 3.1.3.2.3 (Payload Format Indicator is 0 or 1)",
        I::RequestProblemInformation => {
            "MQTT 3.1.2.11.7 (Request Problem Information other than 0 or 1 is a Protocol Error)"
        }
        I::RequestResponseInformation => {
            "MQTT 3.1.2.11.6 (Request Response Information other than 0 or 1 is a Protocol Error)"
        }
        I::RetainAvailable => "MQTT 3.2.2.3.5 (Retain Available other than 0 or 1 is a Protocol Error)",
        I::WildcardSubscriptionAvailable => {
            "MQTT 3.2.2.3.11 (Wildcard Subscription Available other than 0 or 1 is a Protocol Error)"
        }
        I::SubscriptionIdentifierAvailable => {
            "MQTT 3.2.2.3.12 (Subscription Identifiers Available other than 0 or 1 is a Protocol Error)"
        }
        I::SharedSubscriptionAvailable => {
            "MQTT 3.2.2.3.13 (Shared Subscription Available other than 0 or 1 is a Protocol Error)"
        }
        _ => "MQTT 2.2.2.2 (property value out of range)",
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError::*;
        match self {
            MalformedVariableByteInteger => {
                f.write_str("variable byte integer longer than 4 bytes or not minimal")
            }
            PacketTooLarge { size, max } => {
                write!(
                    f,
                    "packet of {size} bytes exceeds the maximum packet size {max}"
                )
            }
            ReservedPacketType => f.write_str("reserved packet type 0"),
            UnsupportedPacket(p) => write!(f, "{p} is not defined before MQTT 5.0"),
            NotForClient(p) => {
                write!(f, "unexpected {p} from the server (only a client sends it)")
            }
            InvalidHeaderFlags { packet, flags } => write!(
                f,
                "invalid fixed header flags {flags:#06b} for {packet} (must be {:#06b})",
                packet.fixed_flags()
            ),
            InvalidQoS => f.write_str("PUBLISH with QoS 3 (both QoS bits set)"),
            DupOnQoS0 => f.write_str("PUBLISH with the DUP flag set at QoS 0"),
            Truncated { field } => write!(f, "packet too short: {field} is truncated"),
            TrailingBytes(p) => write!(f, "{p} has bytes after its last field"),
            InvalidUtf8 { field } => write!(f, "{field} is not well-formed UTF-8"),
            NullCharacter { field } => write!(f, "{field} contains U+0000"),
            InvalidProtocolName => f.write_str("invalid protocol name (expected MQTT or MQIsdp)"),
            UnsupportedProtocolLevel(l) => write!(f, "unsupported protocol level {l}"),
            ConnectReservedFlag => f.write_str("CONNECT reserved flag (bit 0) is set"),
            WillFlagsWithoutWill => {
                f.write_str("Will QoS or Will Retain set while the Will Flag is 0")
            }
            InvalidWillQoS => f.write_str("Will QoS 3"),
            PasswordWithoutUsername => f.write_str("Password Flag set without User Name Flag"),
            InvalidConnAckFlags => f.write_str("CONNACK flags bits 7-1 must be 0"),
            SessionPresentOnRefusal => {
                f.write_str("CONNACK sets Session Present with a non-zero reason code")
            }
            WildcardInTopicName => f.write_str("topic name contains a wildcard (+ or #)"),
            EmptyTopicName => f.write_str("empty topic name"),
            ZeroPacketId => f.write_str("packet identifier 0"),
            NoTopicFilters(p) => write!(f, "{p} without any topic filter"),
            NoReasonCodes(p) => write!(f, "{p} without any reason code"),
            InvalidSubscriptionOptions(o) => {
                write!(f, "reserved bits set in subscription options {o:#04x}")
            }
            InvalidRetainHandling => f.write_str("Retain Handling 3"),
            InvalidSubscriptionQoS => f.write_str("subscription QoS 3"),
            InvalidTopicFilter(why) => write!(f, "invalid topic filter: {why}"),
            NoLocalOnSharedSubscription => f.write_str("No Local set on a shared subscription"),
            InvalidReasonCode { packet, code } => {
                write!(f, "reason code {code:#04x} is not valid in {packet}")
            }
            UnknownProperty(id) => write!(f, "unknown property identifier {id:#04x}"),
            PropertyNotAllowed { property, packet } => {
                write!(f, "property {} is not allowed in {packet}", property.name())
            }
            DuplicateProperty(p) => write!(f, "property {} included more than once", p.name()),
            InvalidPropertyValue { property, value } => {
                write!(f, "invalid value {value} for property {}", property.name())
            }
        }?;
        write!(f, " [{}]", self.rule())
    }
}

impl std::error::Error for DecodeError {}

/// Why a packet cannot be encoded as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet would exceed the largest remaining length (268,435,455 bytes).
    PacketTooLarge,
    /// A string or binary field longer than 65,535 bytes.
    FieldTooLong(&'static str),
    /// A string that may not appear (U+0000, or a wildcard in a topic name, …).
    InvalidString(&'static str),
    /// An empty topic name where one is required.
    EmptyTopicName,
    /// A topic filter that is not valid.
    InvalidTopicFilter,
    /// A QoS 1 or 2 PUBLISH without a packet identifier, or QoS 0 with one.
    PacketIdMismatch,
    /// A QoS 0 PUBLISH with the DUP flag set [MQTT-3.3.1-2].
    DupOnQoS0,
    /// A CONNACK with Session Present and a refusal [MQTT-3.2.2-6].
    SessionPresentOnRefusal,
    /// No Local set on a shared subscription [MQTT-3.8.3-4].
    NoLocalOnSharedSubscription,
    /// A packet this version does not have (AUTH before 5.0).
    UnsupportedPacket(PacketType),
    /// Properties (or a reason code other than success) in a packet for MQTT 3.x.
    PropertiesBeforeV5,
    /// A property this packet may not carry.
    PropertyNotAllowed(PropertyId),
    /// A property that may appear once, given twice.
    DuplicateProperty(PropertyId),
    /// A property value out of range (Topic Alias 0, a Subscription Identifier above
    /// 268,435,455, …).
    InvalidPropertyValue(PropertyId),
    /// A reason code this packet cannot carry.
    InvalidReasonCode(ReasonCode),
    /// A SUBSCRIBE, UNSUBSCRIBE or SUBACK with nothing in it.
    Empty(PacketType),
    /// A password without a user name before 5.0 [MQTT-3.1.2-22].
    PasswordWithoutUsername,
    /// Subscription options that need 5.0 (No Local, Retain As Published, Retain Handling).
    SubscriptionOptionsBeforeV5,
    /// An empty client identifier with MQTT 3.1, or without Clean Session in 3.1.1.
    EmptyClientId,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EncodeError::*;
        match self {
            PacketTooLarge => f.write_str("packet exceeds the largest remaining length"),
            FieldTooLong(field) => write!(f, "{field} is longer than 65,535 bytes"),
            InvalidString(field) => write!(f, "{field} contains a character it may not"),
            EmptyTopicName => f.write_str("empty topic name"),
            InvalidTopicFilter => f.write_str("invalid topic filter"),
            PacketIdMismatch => {
                f.write_str("QoS 1 and 2 need a packet identifier; QoS 0 may not have one")
            }
            DupOnQoS0 => f.write_str("the DUP flag must be 0 at QoS 0"),
            SessionPresentOnRefusal => {
                f.write_str("Session Present must be 0 when the CONNACK refuses the connection")
            }
            NoLocalOnSharedSubscription => {
                f.write_str("No Local may not be set on a shared subscription")
            }
            UnsupportedPacket(p) => write!(f, "{p} does not exist before MQTT 5.0"),
            PropertiesBeforeV5 => f.write_str("properties and reason codes need MQTT 5.0"),
            PropertyNotAllowed(p) => write!(f, "property {} is not allowed here", p.name()),
            DuplicateProperty(p) => write!(f, "property {} given more than once", p.name()),
            InvalidPropertyValue(p) => write!(f, "value out of range for {}", p.name()),
            InvalidReasonCode(c) => write!(f, "reason code {:#04x} is not valid here", c.get()),
            Empty(p) => write!(f, "{p} needs at least one entry"),
            PasswordWithoutUsername => f.write_str("a password needs a user name before MQTT 5.0"),
            SubscriptionOptionsBeforeV5 => {
                f.write_str("No Local, Retain As Published and Retain Handling need MQTT 5.0")
            }
            EmptyClientId => f.write_str(
                "an empty client identifier needs MQTT 3.1.1 or later and Clean Session",
            ),
        }
    }
}

impl std::error::Error for EncodeError {}
