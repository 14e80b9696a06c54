//! Reason codes (5.0) and return codes (3.x), and which packets may carry each.

use super::header::PacketType;
use super::types::Protocol;
use std::fmt;

/// A reason code: one byte saying how an operation went. Codes below 0x80 mean success.
///
/// MQTT 3.x CONNACK return codes (0–5) and SUBACK return codes (0, 1, 2, 0x80) are carried
/// in the same type; [`ReasonCode::name_in`] names a code for a given packet and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ReasonCode(u8);

/// The packets a reason code may appear in, as a bit set over [`PacketType`] numbers.
const fn bit(p: PacketType) -> u16 {
    1 << (p as u16)
}
const CONNACK: u16 = bit(PacketType::ConnAck);
const PUBACK: u16 = bit(PacketType::PubAck);
const PUBREC: u16 = bit(PacketType::PubRec);
const PUBREL: u16 = bit(PacketType::PubRel);
const PUBCOMP: u16 = bit(PacketType::PubComp);
const SUBACK: u16 = bit(PacketType::SubAck);
const UNSUBACK: u16 = bit(PacketType::UnsubAck);
const DISCONNECT: u16 = bit(PacketType::Disconnect);
const AUTH: u16 = bit(PacketType::Auth);
const PUB_ERR: u16 = PUBACK | PUBREC;

/// Every MQTT 5.0 reason code: value, name, and the packets that may carry it (spec 2.4).
const TABLE: &[(u8, &str, u16)] = &[
    (
        0x00,
        "Success",
        CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | UNSUBACK | AUTH | DISCONNECT | SUBACK,
    ),
    (0x01, "Granted QoS 1", SUBACK),
    (0x02, "Granted QoS 2", SUBACK),
    (0x04, "Disconnect with Will Message", DISCONNECT),
    (0x10, "No matching subscribers", PUB_ERR),
    (0x11, "No subscription existed", UNSUBACK),
    (0x18, "Continue authentication", AUTH),
    (0x19, "Re-authenticate", AUTH),
    (
        0x80,
        "Unspecified error",
        CONNACK | PUB_ERR | SUBACK | UNSUBACK | DISCONNECT,
    ),
    (0x81, "Malformed Packet", CONNACK | DISCONNECT),
    (0x82, "Protocol Error", CONNACK | DISCONNECT),
    (
        0x83,
        "Implementation specific error",
        CONNACK | PUB_ERR | SUBACK | UNSUBACK | DISCONNECT,
    ),
    (0x84, "Unsupported Protocol Version", CONNACK),
    (0x85, "Client Identifier not valid", CONNACK),
    (0x86, "Bad User Name or Password", CONNACK),
    (
        0x87,
        "Not authorized",
        CONNACK | PUB_ERR | SUBACK | UNSUBACK | DISCONNECT,
    ),
    (0x88, "Server unavailable", CONNACK),
    (0x89, "Server busy", CONNACK | DISCONNECT),
    (0x8A, "Banned", CONNACK),
    (0x8B, "Server shutting down", DISCONNECT),
    (0x8C, "Bad authentication method", CONNACK | DISCONNECT),
    (0x8D, "Keep Alive timeout", DISCONNECT),
    (0x8E, "Session taken over", DISCONNECT),
    (0x8F, "Topic Filter invalid", SUBACK | UNSUBACK | DISCONNECT),
    (0x90, "Topic Name invalid", CONNACK | PUB_ERR | DISCONNECT),
    (
        0x91,
        "Packet Identifier in use",
        PUB_ERR | SUBACK | UNSUBACK,
    ),
    (0x92, "Packet Identifier not found", PUBREL | PUBCOMP),
    (0x93, "Receive Maximum exceeded", DISCONNECT),
    (0x94, "Topic Alias invalid", DISCONNECT),
    (0x95, "Packet too large", CONNACK | DISCONNECT),
    (0x96, "Message rate too high", DISCONNECT),
    (
        0x97,
        "Quota exceeded",
        CONNACK | PUB_ERR | SUBACK | DISCONNECT,
    ),
    (0x98, "Administrative action", DISCONNECT),
    (
        0x99,
        "Payload format invalid",
        CONNACK | PUB_ERR | DISCONNECT,
    ),
    (0x9A, "Retain not supported", CONNACK | DISCONNECT),
    (0x9B, "QoS not supported", CONNACK | DISCONNECT),
    (0x9C, "Use another server", CONNACK | DISCONNECT),
    (0x9D, "Server moved", CONNACK | DISCONNECT),
    (
        0x9E,
        "Shared Subscriptions not supported",
        SUBACK | DISCONNECT,
    ),
    (0x9F, "Connection rate exceeded", CONNACK | DISCONNECT),
    (0xA0, "Maximum connect time", DISCONNECT),
    (
        0xA1,
        "Subscription Identifiers not supported",
        SUBACK | DISCONNECT,
    ),
    (
        0xA2,
        "Wildcard Subscriptions not supported",
        SUBACK | DISCONNECT,
    ),
];

/// MQTT 3.x CONNACK return codes.
const V3_CONNACK: &[&str] = &[
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
];

impl ReasonCode {
    /// 0x00: Success (also Normal disconnection and Granted QoS 0).
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    /// 0x00 in DISCONNECT.
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode(0x00);
    /// 0x01 in SUBACK.
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    /// 0x02 in SUBACK.
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    /// 0x04: Disconnect with Will Message.
    pub const DISCONNECT_WITH_WILL: ReasonCode = ReasonCode(0x04);
    /// 0x10: No matching subscribers.
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    /// 0x11: No subscription existed.
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    /// 0x18: Continue authentication.
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    /// 0x19: Re-authenticate.
    pub const REAUTHENTICATE: ReasonCode = ReasonCode(0x19);
    /// 0x80: Unspecified error (also the 3.x SUBACK failure code).
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    /// 0x81: Malformed Packet.
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    /// 0x82: Protocol Error.
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    /// 0x83: Implementation specific error.
    pub const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = ReasonCode(0x83);
    /// 0x84: Unsupported Protocol Version.
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    /// 0x85: Client Identifier not valid.
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    /// 0x86: Bad User Name or Password.
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    /// 0x87: Not authorized.
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    /// 0x88: Server unavailable.
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    /// 0x89: Server busy.
    pub const SERVER_BUSY: ReasonCode = ReasonCode(0x89);
    /// 0x8A: Banned.
    pub const BANNED: ReasonCode = ReasonCode(0x8A);
    /// 0x8B: Server shutting down.
    pub const SERVER_SHUTTING_DOWN: ReasonCode = ReasonCode(0x8B);
    /// 0x8C: Bad authentication method.
    pub const BAD_AUTHENTICATION_METHOD: ReasonCode = ReasonCode(0x8C);
    /// 0x8D: Keep Alive timeout.
    pub const KEEP_ALIVE_TIMEOUT: ReasonCode = ReasonCode(0x8D);
    /// 0x8E: Session taken over.
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    /// 0x8F: Topic Filter invalid.
    pub const TOPIC_FILTER_INVALID: ReasonCode = ReasonCode(0x8F);
    /// 0x90: Topic Name invalid.
    pub const TOPIC_NAME_INVALID: ReasonCode = ReasonCode(0x90);
    /// 0x91: Packet Identifier in use.
    pub const PACKET_IDENTIFIER_IN_USE: ReasonCode = ReasonCode(0x91);
    /// 0x92: Packet Identifier not found.
    pub const PACKET_IDENTIFIER_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    /// 0x93: Receive Maximum exceeded.
    pub const RECEIVE_MAXIMUM_EXCEEDED: ReasonCode = ReasonCode(0x93);
    /// 0x94: Topic Alias invalid.
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    /// 0x95: Packet too large.
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    /// 0x96: Message rate too high.
    pub const MESSAGE_RATE_TOO_HIGH: ReasonCode = ReasonCode(0x96);
    /// 0x97: Quota exceeded.
    pub const QUOTA_EXCEEDED: ReasonCode = ReasonCode(0x97);
    /// 0x98: Administrative action.
    pub const ADMINISTRATIVE_ACTION: ReasonCode = ReasonCode(0x98);
    /// 0x99: Payload format invalid.
    pub const PAYLOAD_FORMAT_INVALID: ReasonCode = ReasonCode(0x99);
    /// 0x9A: Retain not supported.
    pub const RETAIN_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9A);
    /// 0x9B: QoS not supported.
    pub const QOS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9B);
    /// 0x9C: Use another server.
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    /// 0x9D: Server moved.
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);
    /// 0x9E: Shared Subscriptions not supported.
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9E);
    /// 0x9F: Connection rate exceeded.
    pub const CONNECTION_RATE_EXCEEDED: ReasonCode = ReasonCode(0x9F);
    /// 0xA0: Maximum connect time.
    pub const MAXIMUM_CONNECT_TIME: ReasonCode = ReasonCode(0xA0);
    /// 0xA1: Subscription Identifiers not supported.
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA1);
    /// 0xA2: Wildcard Subscriptions not supported.
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA2);

    /// A reason code from its byte, whether or not it is defined anywhere.
    pub const fn new(code: u8) -> ReasonCode {
        ReasonCode(code)
    }

    /// The code's byte.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Whether the code reports success (below 0x80).
    pub const fn is_success(self) -> bool {
        self.0 < 0x80
    }

    /// Whether `packet` may carry this code under `version`.
    pub fn is_valid_for(self, packet: PacketType, version: Protocol) -> bool {
        if version.is_v5() {
            return TABLE
                .iter()
                .any(|&(code, _, packets)| code == self.0 && packets & bit(packet) != 0);
        }
        match packet {
            PacketType::ConnAck => usize::from(self.0) < V3_CONNACK.len(),
            PacketType::SubAck => matches!(self.0, 0 | 1 | 2 | 0x80),
            _ => self.0 == 0,
        }
    }

    /// The code's name in `packet` under `version` ("Granted QoS 0" in SUBACK,
    /// "Normal disconnection" in DISCONNECT, the 3.x CONNACK return code texts, …).
    pub fn name_in(self, packet: PacketType, version: Protocol) -> &'static str {
        match (self.0, packet, version.is_v5()) {
            (code, PacketType::ConnAck, false) => V3_CONNACK
                .get(usize::from(code))
                .copied()
                .unwrap_or("Unknown"),
            (0x00, PacketType::SubAck, _) => "Granted QoS 0",
            (0x80, PacketType::SubAck, false) => "Failure",
            (0x00, PacketType::Disconnect, _) => "Normal disconnection",
            _ => self.name(),
        }
    }

    /// The code's MQTT 5.0 name ("Unknown" for an undefined code).
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|&&(code, _, _)| code == self.0)
            .map(|&(_, name, _)| name)
            .unwrap_or("Unknown")
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#04x} {}", self.0, self.name())
    }
}
