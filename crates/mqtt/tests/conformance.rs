//! Conformance: all 167 byte-level vectors of mqtt-packet's test suite (MQTT.js's codec; see
//! `tests/conformance/README.md` for their origin and licence), checked against our codec.
//!
//! - `parse+generate`, `parse-and-generate`: decode the hex (the authority), compare every
//!   field with `object`, re-encode to exactly the hex, and build the packet from `object`
//!   too (equal up to property order, which a JSON map does not keep).
//! - `parse-only`: decode and compare. `parse-generate-defaults`: decode and compare with
//!   `parsed`; build `object` with mqtt-packet's defaults and encode to exactly the hex.
//! - `generate-only`: build from `object` and encode to exactly the hex.
//! - `parse-error`: the streaming decoder and `Packet::decode` both refuse the hex, with the
//!   error listed for it in [`PARSE_ERRORS`].
//! - `generate-error`, `write-error`: each has an entry in [`GENERATE_ERRORS`]: the Rust
//!   equivalent refused by the encoder, or why Rust's types cannot express the input.
//!
//! Where we disagree with mqtt-packet on purpose the vector is in [`EXCEPTIONS`], with the
//! spec section that decides it. The test fails if any vector is unhandled, and if any table
//! entry is never used.

// A test reports failure by panicking; indexing JSON and unwrapping keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use bytes::{Bytes, BytesMut};
use common::{from_hex, to_hex};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use switchboard_mqtt::codec::{
    Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, EncodeError, Packet,
    PacketId, PacketType, Properties, Property, PropertyId, Protocol, PubResponse, Publish, QoS,
    ReasonCode, RetainHandling, Status, SubAck, Subscribe, Subscription, SubscriptionOptions,
    UnsubAck, Unsubscribe, Will, MAX_VARIABLE_BYTE_INTEGER,
};

const VECTORS: &str = include_str!("conformance/mqtt-packet-vectors.json");

// ---------------------------------------------------------------------------------------------
// Where we disagree with mqtt-packet on purpose.
// ---------------------------------------------------------------------------------------------

/// A vector whose verdict we overrule, and what we check instead.
struct Exception {
    /// The vector's `name` (unique among the vectors).
    name: &'static str,
    /// The vector's hex, to be sure the name still means the same bytes.
    hex: &'static str,
    /// Why, with the spec section.
    why: &'static str,
    /// What our decoder says instead of accepting the vector.
    error: DecodeError,
    /// A minimal repair that makes the vector valid: replace the byte at this offset, set the
    /// given property in `object`, and check everything else as usual.
    patch: Option<Patch>,
}

struct Patch {
    offset: usize,
    byte: u8,
    property: &'static str,
    value: u8,
}

static EXCEPTIONS: &[Exception] = &[
    Exception {
        name: "Version 5 CONNACK test 1",
        hex: "200101",
        // MQTT 5.0 §3.2.2.2: the Connect Reason Code is the second byte of CONNACK's variable
        // header and is not optional (unlike PUBACK's or DISCONNECT's); remaining length 1 ends
        // after the Connect Acknowledge Flags. mqtt-packet reads the missing code as 0.
        why: "MQTT 5.0 §3.2.2.2: a CONNACK's Connect Reason Code is mandatory",
        error: DecodeError::Truncated {
            field: "connect reason code",
        },
        patch: None,
    },
    Exception {
        name: "connack MQTT 5 with properties",
        hex: "205700005411000004d22101b0240225012700000064120004746573742201c81f00047465737426000474657374000474657374280129012a001304d21a0004746573741c0004746573741500047465737416000401020304",
        // MQTT 5.0 §3.2.2.3.4: "It is a Protocol Error to include Maximum QoS more than once,
        // or to have a value other than 0 or 1." The vector sends Maximum QoS 2 (`24 02`).
        why: "MQTT 5.0 §3.2.2.3.4: Maximum QoS must be 0 or 1 (the vector sends 2)",
        error: DecodeError::InvalidPropertyValue {
            property: PropertyId::MaximumQoS,
            value: 2,
        },
        patch: Some(Patch {
            offset: 14,
            byte: 1,
            property: "maximumQoS",
            value: 1,
        }),
    },
    Exception {
        name: "connack MQTT 5 with properties and doubled user properties",
        hex: "206400006111000004d22101b0240225012700000064120004746573742201c81f0004746573742600047465737400047465737426000474657374000474657374280129012a001304d21a0004746573741c0004746573741500047465737416000401020304",
        // Same as above: Maximum QoS 2 is a Protocol Error (MQTT 5.0 §3.2.2.3.4).
        why: "MQTT 5.0 §3.2.2.3.4: Maximum QoS must be 0 or 1 (the vector sends 2)",
        error: DecodeError::InvalidPropertyValue {
            property: PropertyId::MaximumQoS,
            value: 2,
        },
        patch: Some(Patch {
            offset: 14,
            byte: 1,
            property: "maximumQoS",
            value: 1,
        }),
    },
];

// ---------------------------------------------------------------------------------------------
// parse-error vectors: the error we give for each (keyed by hex; mqtt-packet's reason in the
// comment when ours differs).
// ---------------------------------------------------------------------------------------------

const fn truncated(field: &'static str) -> DecodeError {
    DecodeError::Truncated { field }
}

const fn flags(packet: PacketType, flags: u8) -> DecodeError {
    DecodeError::InvalidHeaderFlags { packet, flags }
}

const fn code(packet: PacketType, code: u8) -> DecodeError {
    DecodeError::InvalidReasonCode { packet, code }
}

static PARSE_ERRORS: &[(&str, DecodeError)] = &[
    ("000100", DecodeError::ReservedPacketType),
    ("10ffffffff", DecodeError::MalformedVariableByteInteger),
    ("10ffffff80", DecodeError::MalformedVariableByteInteger),
    ("10ffffffff01", DecodeError::MalformedVariableByteInteger),
    ("10ffffffff7f", DecodeError::MalformedVariableByteInteger),
    ("10ffffffff80", DecodeError::MalformedVariableByteInteger),
    ("10ffffffffff01", DecodeError::MalformedVariableByteInteger),
    ("100400064d51", truncated("protocol name")),
    ("100800064d5149736470", truncated("protocol level")),
    ("100a00064d514973647003f6", truncated("keep alive")),
    // The hex carries two bytes past the remaining length; the packet itself ends inside the
    // keep alive.
    ("100a00064d514973647003f6001e", truncated("keep alive")),
    // mqtt-packet: "Cannot parse will topic". The client identifier here is two U+0000
    // characters, which we refuse first [MQTT-1.5.4-2].
    (
        "101000064d514973647003f6001e00020000",
        DecodeError::NullCharacter {
            field: "client identifier",
        },
    ),
    // mqtt-packet: "Cannot parse will payload". The will topic is two U+0000 characters.
    (
        "101700064d514973647003f6001e0005746f70696300020000",
        DecodeError::NullCharacter {
            field: "will topic",
        },
    ),
    (
        "102000064d514973647003f6001e0005746f70696300077061796c6f616400020000",
        truncated("user name"),
    ),
    // mqtt-packet: "Cannot parse password". The user name here is two U+0000 characters
    // (the 8-byte "username" is the will payload), which we refuse first [MQTT-1.5.4-2].
    (
        "102a00064d514973647003f6001e0005746f70696300077061796c6f61640008757365726e616d6500020000",
        DecodeError::NullCharacter {
            field: "user name",
        },
    ),
    ("120a00044d5154540302001e", flags(PacketType::Connect, 2)),
    ("100a00044d5154540303001e", DecodeError::ConnectReservedFlag),
    ("100a00044d5154540322001e", DecodeError::WillFlagsWithoutWill),
    ("100a00044d5154540312001e", DecodeError::WillFlagsWithoutWill),
    ("100a00044d515454030a001e", DecodeError::WillFlagsWithoutWill),
    ("100800044d51545405020000000000", truncated("keep alive")),
    ("8200", truncated("packet identifier")),
    ("9000", truncated("packet identifier")),
    ("a200", truncated("packet identifier")),
    ("b000", truncated("packet identifier")),
    ("b00101", truncated("packet identifier")),
    ("21020005", flags(PacketType::ConnAck, 1)),
    ("20020205", DecodeError::InvalidConnAckFlags),
    ("3606000474657374", DecodeError::InvalidQoS),
    ("41020002", flags(PacketType::PubAck, 1)),
    ("400400021100", code(PacketType::PubAck, 0x11)),
    ("51020002", flags(PacketType::PubRec, 1)),
    ("620400021100", code(PacketType::PubRel, 0x11)),
    ("60020002", flags(PacketType::PubRel, 0)),
    ("620400021000", code(PacketType::PubRel, 0x10)),
    ("71020002", flags(PacketType::PubComp, 1)),
    ("700400021000", code(PacketType::PubComp, 0x10)),
    ("8009000600047465737400", flags(PacketType::Subscribe, 0)),
    ("8209000600047465737403", DecodeError::InvalidSubscriptionQoS),
    ("820a00060000047465737480", DecodeError::InvalidSubscriptionOptions(0x80)),
    ("820a00060000047465737430", DecodeError::InvalidRetainHandling),
    ("8209000600047465737408", DecodeError::InvalidSubscriptionOptions(0x08)),
    ("9006000600010203", code(PacketType::SubAck, 3)),
    ("9006000600010279", code(PacketType::SubAck, 0x79)),
    ("a00e0007000474667374000474657374", flags(PacketType::Unsubscribe, 0)),
    ("b1020008", flags(PacketType::UnsubAck, 1)),
    ("b00400080084", code(PacketType::UnsubAck, 0x84)),
    ("c100", flags(PacketType::PingReq, 1)),
    ("d100", flags(PacketType::PingResp, 1)),
    ("e100", flags(PacketType::Disconnect, 1)),
    ("e0020500", code(PacketType::Disconnect, 5)),
    ("f0021700", code(PacketType::Auth, 0x17)),
    ("100900064d514973647003", truncated("connect flags")),
    (
        "101200064141414141410300000a000474657374",
        DecodeError::InvalidProtocolName,
    ),
    (
        "101200064d51497364700100000a000474657374",
        DecodeError::UnsupportedProtocolLevel(1),
    ),
    (
        "1008000f4d51497364704d51497364704d51497364704d51497364704d51497364704d51497364704d51497364704d5149736470",
        truncated("protocol name"),
    ),
    (
        "3d3c000474657374000a2f7e0102000010e1230064080005746f70696309000401020304260004746573740004746573740b780300047465737474657374",
        DecodeError::UnknownProperty(0x7e),
    ),
    (
        "f024002215000474657374160004000102031f00047465737426000474657374000474657374",
        DecodeError::UnsupportedPacket(PacketType::Auth),
    ),
    // mqtt-packet: "Malformed Subscribe Payload". The filter ends in U+0000 [MQTT-1.5.4-2].
    (
        "820e007b000a68696a6b6c2f6d6e6f00",
        DecodeError::NullCharacter {
            field: "topic filter",
        },
    ),
];

// ---------------------------------------------------------------------------------------------
// generate-error and write-error vectors.
// ---------------------------------------------------------------------------------------------

/// How we account for a vector whose encoding mqtt-packet refuses.
enum Refusal {
    /// The Rust equivalent of `object`, which our encoder refuses with this error.
    Refused {
        version: Protocol,
        build: fn() -> Packet,
        error: EncodeError,
    },
    /// `object` cannot be expressed with our types, so there is nothing to refuse.
    Unrepresentable(&'static str),
}

fn v3_connect() -> Connect {
    let mut c = Connect::new(Protocol::V3_1, "test");
    c.keep_alive = 30;
    c.will = Some(Will {
        topic: "topic".into(),
        payload: Bytes::from_static(b"payload"),
        qos: QoS::ExactlyOnce,
        retain: true,
        properties: Properties::new(),
    });
    c.username = Some("username".into());
    c.password = Some(Bytes::from_static(b"password"));
    c
}

fn v5_publish(properties: Vec<Property>) -> Packet {
    Packet::Publish(Publish {
        dup: true,
        qos: QoS::ExactlyOnce,
        retain: true,
        topic: "test".into(),
        packet_id: PacketId::new(10),
        properties: properties.into(),
        payload: Bytes::from_static(b"test"),
    })
}

const MESSAGE_ID: &str = "messageId \"a\" is not a number: the packet identifier is a PacketId \
     (a non-zero u16), required by the type, so this packet cannot be built without a valid one \
     (PacketId::new(0) is None as well)";

static GENERATE_ERRORS: &[(&str, Refusal)] = &[
    (
        "Unknown command",
        Refusal::Unrepresentable("a packet without `cmd`: Packet is an enum of the 15 types"),
    ),
    (
        "Invalid command",
        Refusal::Unrepresentable("cmd \"invalid\": Packet is an enum of the 15 types"),
    ),
    (
        "Invalid return code",
        Refusal::Unrepresentable(
            "returnCode \"5\" is a string; ReasonCode is a byte (codes out of range are refused: \
             see rules.rs)",
        ),
    ),
    (
        // The remaining length would be 268,435,456, one more than a Variable Byte Integer
        // holds (MQTT 5.0 §1.5.5, §2.1.4).
        "Length var byte integer over max allowed value throws error",
        Refusal::Refused {
            version: Protocol::V3_1_1,
            build: || {
                let payload = vec![0u8; MAX_VARIABLE_BYTE_INTEGER as usize + 1 - 6];
                Packet::Publish(Publish::new("test", payload))
            },
            error: EncodeError::PacketTooLarge,
        },
    ),
    (
        "MQTT 5.0 var byte integer >24 bits throws error",
        Refusal::Refused {
            version: Protocol::V5,
            build: || {
                v5_publish(vec![
                    Property::PayloadFormatIndicator(0),
                    Property::SubscriptionIdentifier(268_435_456),
                ])
            },
            error: EncodeError::InvalidPropertyValue(PropertyId::SubscriptionIdentifier),
        },
    ),
    (
        "unsubscribe with unsubscriptions not an array",
        Refusal::Unrepresentable("unsubscriptions 5: Unsubscribe::filters is a Vec<ByteStr>"),
    ),
    (
        "unsubscribe with unsubscriptions as an object",
        Refusal::Unrepresentable("unsubscriptions [1, 2]: each filter is a ByteStr, not a number"),
    ),
    (
        // protocolId 42 is not a string. The nearest Rust value is a protocol name that is
        // neither MQTT nor MQIsdp, which the encoder refuses [MQTT-3.1.2-1].
        "Invalid protocolId",
        Refusal::Refused {
            version: Protocol::V3_1,
            build: || {
                let mut c = v3_connect();
                c.protocol_name = "42".into();
                c.into()
            },
            error: EncodeError::InvalidString("protocol name"),
        },
    ),
    (
        "Invalid protocol version",
        Refusal::Unrepresentable(
            "protocolVersion 1: Protocol has only 3.1, 3.1.1 and 5.0 (Protocol::from_level(1) is None)",
        ),
    ),
    (
        "clientId must be supplied before 3.1.1",
        Refusal::Refused {
            version: Protocol::V3_1,
            build: || {
                let mut c = v3_connect();
                c.client_id = ByteStr::new();
                c.into()
            },
            error: EncodeError::EmptyClientId,
        },
    ),
    (
        "clientId must be given if cleanSession set to 0",
        Refusal::Refused {
            version: Protocol::V3_1_1,
            build: || {
                let mut c = v3_connect();
                c.protocol = Protocol::V3_1_1;
                c.protocol_name = "MQTT".into();
                c.client_id = ByteStr::new();
                c.clean_start = false;
                c.into()
            },
            error: EncodeError::EmptyClientId,
        },
    ),
    (
        "Invalid keepalive",
        Refusal::Unrepresentable("keepalive \"hello\" / 3.1416: Connect::keep_alive is a u16"),
    ),
    (
        "Invalid will",
        Refusal::Unrepresentable("will 42: Connect::will is an Option<Will>"),
    ),
    (
        // The will has no topic. The Rust Will always has one; the nearest value is an empty
        // one, and a topic name is at least one character [MQTT-4.7.3-1].
        "Invalid will topic",
        Refusal::Refused {
            version: Protocol::V3_1,
            build: || {
                let mut c = v3_connect();
                if let Some(w) = &mut c.will {
                    w.topic = ByteStr::new();
                }
                c.into()
            },
            error: EncodeError::EmptyTopicName,
        },
    ),
    (
        "Invalid will payload",
        Refusal::Unrepresentable("will payload 42: Will::payload is Bytes"),
    ),
    (
        "Invalid username",
        Refusal::Unrepresentable("username 42: Connect::username is an Option<ByteStr>"),
    ),
    (
        "Invalid password",
        Refusal::Unrepresentable("password 42: Connect::password is an Option<Bytes>"),
    ),
    (
        "Username is required to use password",
        Refusal::Refused {
            version: Protocol::V3_1,
            build: || {
                let mut c = v3_connect();
                c.username = None;
                c.into()
            },
            error: EncodeError::PasswordWithoutUsername,
        },
    ),
    (
        "Invalid messageExpiryInterval: -4321",
        Refusal::Unrepresentable("messageExpiryInterval -4321: the property holds a u32"),
    ),
    (
        "Invalid topicAlias: -100",
        Refusal::Unrepresentable(
            "topicAlias -100: the property holds a u16 (Topic Alias 0 is refused: see rules.rs)",
        ),
    ),
    (
        "Invalid subscriptionIdentifier: -120",
        Refusal::Unrepresentable(
            "subscriptionIdentifier -120: the property holds a u32 (0 and values above \
             268,435,455 are refused: see rules.rs and the >24 bits vector)",
        ),
    ),
    (
        // messageId "a" is no identifier; for a QoS 1 PUBLISH the identifier is an
        // Option<PacketId>, and a QoS 1 PUBLISH without one is refused [MQTT-2.2.1-2].
        "Invalid messageId on publish",
        Refusal::Refused {
            version: Protocol::V3_1_1,
            build: || {
                Packet::Publish(Publish {
                    qos: QoS::AtLeastOnce,
                    ..Publish::new("test", Bytes::new())
                })
            },
            error: EncodeError::PacketIdMismatch,
        },
    ),
    ("Invalid messageId on puback", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on pubrec", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on pubrel", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on subscribe", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on suback", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on unsubscribe", Refusal::Unrepresentable(MESSAGE_ID)),
    ("Invalid messageId on unsuback", Refusal::Unrepresentable(MESSAGE_ID)),
];

// ---------------------------------------------------------------------------------------------
// Our packets in mqtt-packet's terms.
// ---------------------------------------------------------------------------------------------

/// A byte buffer as the vectors write it: hex truncated to 100 bytes, and the length.
fn buffer(bytes: &[u8]) -> Value {
    let hex = if bytes.len() > 100 {
        format!("{}...", to_hex(&bytes[..100]))
    } else {
        to_hex(bytes)
    };
    json!({ "hex": hex, "len": bytes.len() })
}

fn is_buffer(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.len() == 2 && m.contains_key("hex") && m.contains_key("len"))
}

fn properties_view(props: &Properties) -> Value {
    use Property as P;
    let mut m = Map::new();
    let mut users: Vec<(String, String)> = Vec::new();
    let mut sub_ids: Vec<u32> = Vec::new();
    for p in props {
        let flag = |v: &u8| json!(*v == 1);
        let (key, value) = match p {
            P::PayloadFormatIndicator(v) => ("payloadFormatIndicator", flag(v)),
            P::MessageExpiryInterval(v) => ("messageExpiryInterval", json!(v)),
            P::ContentType(s) => ("contentType", json!(s.as_str())),
            P::ResponseTopic(s) => ("responseTopic", json!(s.as_str())),
            P::CorrelationData(b) => ("correlationData", buffer(b)),
            P::SubscriptionIdentifier(v) => {
                sub_ids.push(*v);
                continue;
            }
            P::SessionExpiryInterval(v) => ("sessionExpiryInterval", json!(v)),
            P::AssignedClientIdentifier(s) => ("assignedClientIdentifier", json!(s.as_str())),
            P::ServerKeepAlive(v) => ("serverKeepAlive", json!(v)),
            P::AuthenticationMethod(s) => ("authenticationMethod", json!(s.as_str())),
            P::AuthenticationData(b) => ("authenticationData", buffer(b)),
            P::RequestProblemInformation(v) => ("requestProblemInformation", flag(v)),
            P::WillDelayInterval(v) => ("willDelayInterval", json!(v)),
            P::RequestResponseInformation(v) => ("requestResponseInformation", flag(v)),
            P::ResponseInformation(s) => ("responseInformation", json!(s.as_str())),
            P::ServerReference(s) => ("serverReference", json!(s.as_str())),
            P::ReasonString(s) => ("reasonString", json!(s.as_str())),
            P::ReceiveMaximum(v) => ("receiveMaximum", json!(v)),
            P::TopicAliasMaximum(v) => ("topicAliasMaximum", json!(v)),
            P::TopicAlias(v) => ("topicAlias", json!(v)),
            P::MaximumQoS(v) => ("maximumQoS", json!(v)),
            P::RetainAvailable(v) => ("retainAvailable", flag(v)),
            P::UserProperty(k, v) => {
                users.push((k.to_string(), v.to_string()));
                continue;
            }
            P::MaximumPacketSize(v) => ("maximumPacketSize", json!(v)),
            P::WildcardSubscriptionAvailable(v) => ("wildcardSubscriptionAvailable", flag(v)),
            P::SubscriptionIdentifierAvailable(v) => ("subscriptionIdentifiersAvailable", flag(v)),
            P::SharedSubscriptionAvailable(v) => ("sharedSubscriptionAvailable", flag(v)),
        };
        assert!(
            m.insert(key.into(), value).is_none(),
            "{key} twice: the decoder should have refused it"
        );
    }
    if !users.is_empty() {
        users.sort();
        m.insert("userProperties".into(), json!(users));
    }
    if !sub_ids.is_empty() {
        sub_ids.sort_unstable();
        m.insert("subscriptionIdentifier".into(), json!(sub_ids));
    }
    Value::Object(m)
}

/// The fixed header's fields as mqtt-packet reports them for every packet.
fn header(p: &Packet) -> (&'static str, u8, bool, bool) {
    let cmd = match p {
        Packet::Connect(_) => "connect",
        Packet::ConnAck(_) => "connack",
        Packet::Publish(_) => "publish",
        Packet::PubAck(_) => "puback",
        Packet::PubRec(_) => "pubrec",
        Packet::PubRel(_) => "pubrel",
        Packet::PubComp(_) => "pubcomp",
        Packet::Subscribe(_) => "subscribe",
        Packet::SubAck(_) => "suback",
        Packet::Unsubscribe(_) => "unsubscribe",
        Packet::UnsubAck(_) => "unsuback",
        Packet::PingReq => "pingreq",
        Packet::PingResp => "pingresp",
        Packet::Disconnect(_) => "disconnect",
        Packet::Auth(_) => "auth",
    };
    match p {
        Packet::Publish(p) => (cmd, p.qos as u8, p.dup, p.retain),
        // The fixed flags 0b0010 read as QoS 1.
        Packet::PubRel(_) | Packet::Subscribe(_) | Packet::Unsubscribe(_) => (cmd, 1, false, false),
        _ => (cmd, 0, false, false),
    }
}

/// `packet`, decoded under `version` from a packet with this remaining length, in
/// mqtt-packet's field names and conventions.
fn view(packet: &Packet, version: Protocol, length: usize) -> Value {
    let (cmd, qos, dup, retain) = header(packet);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("cmd", json!(cmd));
    put("retain", json!(retain));
    put("qos", json!(qos));
    put("dup", json!(dup));
    put("length", json!(length));
    let v5 = version.is_v5();
    let props = |p: &Properties| (!p.is_empty()).then(|| properties_view(p));
    let codes = |c: &[ReasonCode]| json!(c.iter().map(|c| c.get()).collect::<Vec<_>>());
    match packet {
        Packet::Connect(c) => {
            put("protocolId", json!(c.protocol_name.as_str()));
            put("protocolVersion", json!(c.protocol.level()));
            if c.bridge {
                put("bridgeMode", json!(true));
            }
            put("clean", json!(c.clean_start));
            put("keepalive", json!(c.keep_alive));
            if let Some(p) = props(&c.properties) {
                put("properties", p);
            }
            put("clientId", json!(c.client_id.as_str()));
            if let Some(w) = &c.will {
                let mut will = json!({
                    "retain": w.retain,
                    "qos": w.qos as u8,
                    "topic": w.topic.as_str(),
                    "payload": buffer(&w.payload),
                });
                if let Some(p) = props(&w.properties) {
                    will["properties"] = p;
                }
                put("will", will);
            }
            if let Some(u) = &c.username {
                put("username", json!(u.as_str()));
            }
            if let Some(p) = &c.password {
                put("password", buffer(p));
            }
        }
        Packet::ConnAck(c) => {
            put("sessionPresent", json!(c.session_present));
            put(
                if v5 { "reasonCode" } else { "returnCode" },
                json!(c.code.get()),
            );
            if let Some(p) = props(&c.properties) {
                put("properties", p);
            }
        }
        Packet::Publish(p) => {
            put("topic", json!(p.topic.as_str()));
            put("payload", buffer(&p.payload));
            if let Some(id) = p.packet_id {
                put("messageId", json!(id.get()));
            }
            if let Some(p) = props(&p.properties) {
                put("properties", p);
            }
        }
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            put("messageId", json!(a.packet_id.get()));
            if v5 {
                put("reasonCode", json!(a.code.get()));
            }
            if let Some(p) = props(&a.properties) {
                put("properties", p);
            }
        }
        Packet::Subscribe(s) => {
            put("messageId", json!(s.packet_id.get()));
            let subs: Vec<Value> = s
                .subscriptions
                .iter()
                .map(|s| {
                    let o = s.options;
                    let mut e = json!({ "topic": s.filter.as_str(), "qos": o.qos as u8 });
                    if v5 {
                        e["nl"] = json!(o.no_local);
                        e["rap"] = json!(o.retain_as_published);
                        e["rh"] = json!(o.retain_handling as u8);
                    }
                    e
                })
                .collect();
            put("subscriptions", json!(subs));
            if let Some(p) = props(&s.properties) {
                put("properties", p);
            }
        }
        Packet::SubAck(a) => {
            put("messageId", json!(a.packet_id.get()));
            put("granted", codes(&a.codes));
            if let Some(p) = props(&a.properties) {
                put("properties", p);
            }
        }
        Packet::Unsubscribe(u) => {
            put("messageId", json!(u.packet_id.get()));
            let filters: Vec<&str> = u.filters.iter().map(|f| f.as_str()).collect();
            put("unsubscriptions", json!(filters));
            if let Some(p) = props(&u.properties) {
                put("properties", p);
            }
        }
        Packet::UnsubAck(a) => {
            put("messageId", json!(a.packet_id.get()));
            if v5 {
                put("granted", codes(&a.codes));
            }
            if let Some(p) = props(&a.properties) {
                put("properties", p);
            }
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(d) => {
            if v5 {
                put("reasonCode", json!(d.code.get()));
            }
            if let Some(p) = props(&d.properties) {
                put("properties", p);
            }
        }
        Packet::Auth(a) => {
            put("reasonCode", json!(a.code.get()));
            if let Some(p) = props(&a.properties) {
                put("properties", p);
            }
        }
    }
    Value::Object(m)
}

/// mqtt-packet's object with its map-shaped fields put in our view's canonical form: User
/// Properties as sorted `[name, value]` pairs, Subscription Identifiers as a sorted list.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) if !is_buffer(v) => {
            let mut out = Map::new();
            for (k, v) in m {
                let v = match (k.as_str(), v) {
                    ("userProperties", Value::Object(users)) => {
                        let mut pairs: Vec<(String, String)> = Vec::new();
                        for (name, values) in users {
                            match values {
                                Value::Array(vs) => pairs.extend(
                                    vs.iter()
                                        .map(|v| (name.clone(), v.as_str().unwrap().into())),
                                ),
                                v => pairs.push((name.clone(), v.as_str().unwrap().into())),
                            }
                        }
                        pairs.sort();
                        json!(pairs)
                    }
                    ("subscriptionIdentifier", Value::Number(n)) => json!([n]),
                    ("subscriptionIdentifier", Value::Array(ids)) => {
                        let mut ids: Vec<u64> = ids.iter().map(|v| v.as_u64().unwrap()).collect();
                        ids.sort_unstable();
                        json!(ids)
                    }
                    _ => normalize(v),
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        v => v.clone(),
    }
}

/// The bytes a JSON value stands for: a `{hex, len}` buffer or a string's UTF-8.
fn value_bytes(v: &Value) -> Option<(String, usize)> {
    if is_buffer(v) {
        return Some((
            v["hex"].as_str()?.to_string(),
            usize::try_from(v["len"].as_u64()?).ok()?,
        ));
    }
    let s = v.as_str()?;
    let b = buffer(s.as_bytes());
    Some((b["hex"].as_str()?.to_string(), s.len()))
}

/// Compares mqtt-packet's `expected` with our `actual` view, field by field, both ways:
/// every field of theirs must match ours and we may report no field they lack. A `null`
/// in theirs means "absent". A buffer and a string compare by their bytes (mqtt-packet
/// accepts either when generating).
fn compare(path: &str, expected: &Value, actual: &Value, errors: &mut Vec<String>) {
    if is_buffer(expected) || is_buffer(actual) {
        if value_bytes(expected) != value_bytes(actual) {
            errors.push(format!("{path}: expected {expected}, got {actual}"));
        }
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match (ev, a.get(k)) {
                    (Value::Null, None | Some(Value::Null)) => {}
                    (_, None) => errors.push(format!("{p}: expected {ev}, missing")),
                    (ev, Some(av)) => compare(&p, ev, av, errors),
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    errors.push(format!("{path}.{k}: unexpected {av}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), ev, av, errors);
            }
        }
        (e, a) if e == a => {}
        (e, a) => errors.push(format!("{path}: expected {e}, got {a}")),
    }
}

// ---------------------------------------------------------------------------------------------
// mqtt-packet's objects as our packets (what its generator does).
// ---------------------------------------------------------------------------------------------

/// Why an object cannot be built.
type Built<T> = Result<T, String>;

fn bytes_of(v: &Value) -> Built<Bytes> {
    if let Some(s) = v.as_str() {
        return Ok(Bytes::copy_from_slice(s.as_bytes()));
    }
    if is_buffer(v) {
        let hex = v["hex"].as_str().unwrap();
        if hex.ends_with("...") {
            return Err("a buffer longer than the 100 bytes the vector records".into());
        }
        return Ok(Bytes::from(from_hex(hex).ok_or("bad hex")?));
    }
    Err(format!("not a buffer or string: {v}"))
}

fn string_of(v: &Value) -> Built<ByteStr> {
    let b = bytes_of(v)?;
    ByteStr::from_utf8(b).map_err(|_| "not UTF-8".to_string())
}

fn num<T: TryFrom<u64>>(v: &Value) -> Built<T> {
    v.as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("not a number in range: {v}"))
}

fn flag(v: &Value) -> Built<u8> {
    match v {
        Value::Bool(b) => Ok(u8::from(*b)),
        v => num(v),
    }
}

fn get_bool(obj: &Value, key: &str, default: bool) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn build_properties(obj: &Value) -> Built<Properties> {
    use Property as P;
    let mut props = Properties::new();
    let Some(map) = obj.get("properties") else {
        return Ok(props);
    };
    for (k, v) in map.as_object().ok_or("properties is not an object")? {
        let p = match k.as_str() {
            "payloadFormatIndicator" => P::PayloadFormatIndicator(flag(v)?),
            "messageExpiryInterval" => P::MessageExpiryInterval(num(v)?),
            "contentType" => P::ContentType(string_of(v)?),
            "responseTopic" => P::ResponseTopic(string_of(v)?),
            "correlationData" => P::CorrelationData(bytes_of(v)?),
            "subscriptionIdentifier" => {
                let ids = match v {
                    Value::Array(a) => a.clone(),
                    v => vec![v.clone()],
                };
                for id in &ids {
                    props.push(P::SubscriptionIdentifier(num(id)?));
                }
                continue;
            }
            "sessionExpiryInterval" => P::SessionExpiryInterval(num(v)?),
            "assignedClientIdentifier" => P::AssignedClientIdentifier(string_of(v)?),
            "serverKeepAlive" => P::ServerKeepAlive(num(v)?),
            "authenticationMethod" => P::AuthenticationMethod(string_of(v)?),
            "authenticationData" => P::AuthenticationData(bytes_of(v)?),
            "requestProblemInformation" => P::RequestProblemInformation(flag(v)?),
            "willDelayInterval" => P::WillDelayInterval(num(v)?),
            "requestResponseInformation" => P::RequestResponseInformation(flag(v)?),
            "responseInformation" => P::ResponseInformation(string_of(v)?),
            "serverReference" => P::ServerReference(string_of(v)?),
            "reasonString" => P::ReasonString(string_of(v)?),
            "receiveMaximum" => P::ReceiveMaximum(num(v)?),
            "topicAliasMaximum" => P::TopicAliasMaximum(num(v)?),
            "topicAlias" => P::TopicAlias(num(v)?),
            "maximumQoS" => P::MaximumQoS(num(v)?),
            "retainAvailable" => P::RetainAvailable(flag(v)?),
            "userProperties" => {
                for (name, values) in v.as_object().ok_or("userProperties is not a map")? {
                    let values = match values {
                        Value::Array(a) => a.clone(),
                        v => vec![v.clone()],
                    };
                    for value in &values {
                        props.push(P::UserProperty(name.clone().into(), string_of(value)?));
                    }
                }
                continue;
            }
            "maximumPacketSize" => P::MaximumPacketSize(num(v)?),
            "wildcardSubscriptionAvailable" => P::WildcardSubscriptionAvailable(flag(v)?),
            "subscriptionIdentifiersAvailable" => P::SubscriptionIdentifierAvailable(flag(v)?),
            "sharedSubscriptionAvailable" => P::SharedSubscriptionAvailable(flag(v)?),
            other => return Err(format!("unknown property {other}")),
        };
        props.push(p);
    }
    Ok(props)
}

fn message_id(obj: &Value) -> Built<PacketId> {
    PacketId::new(num(&obj["messageId"])?).ok_or_else(|| "messageId 0".to_string())
}

fn reason(obj: &Value) -> Built<ReasonCode> {
    match obj.get("reasonCode").or_else(|| obj.get("returnCode")) {
        Some(v) => Ok(ReasonCode::new(num(v)?)),
        None => Ok(ReasonCode::SUCCESS),
    }
}

fn codes(v: Option<&Value>) -> Built<Vec<ReasonCode>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    v.as_array()
        .ok_or("codes are not a list")?
        .iter()
        .map(|c| num(c).map(ReasonCode::new))
        .collect()
}

/// Builds the packet `obj` describes, with mqtt-packet's generator defaults (CONNECT:
/// protocol MQTT 3.1.1, clean session, keep alive 0).
fn build(obj: &Value) -> Built<Packet> {
    let qos_of = |v: Option<&Value>| -> Built<QoS> {
        QoS::from_u8(v.map(num).transpose()?.unwrap_or(0)).ok_or_else(|| "QoS 3".into())
    };
    let response = |obj: &Value| -> Built<PubResponse> {
        Ok(PubResponse {
            packet_id: message_id(obj)?,
            code: reason(obj)?,
            properties: build_properties(obj)?,
        })
    };
    let cmd = obj["cmd"].as_str().ok_or("no cmd")?;
    Ok(match cmd {
        "connect" => {
            let level = obj
                .get("protocolVersion")
                .map(num)
                .transpose()?
                .unwrap_or(4);
            let protocol = Protocol::from_level(level).ok_or("unknown protocol level")?;
            let mut c = Connect::new(protocol, string_of(&obj["clientId"])?);
            c.protocol_name = match obj.get("protocolId") {
                Some(v) => string_of(v)?,
                None => "MQTT".into(),
            };
            c.bridge = get_bool(obj, "bridgeMode", false);
            c.clean_start = get_bool(obj, "clean", true);
            c.keep_alive = obj.get("keepalive").map(num).transpose()?.unwrap_or(0);
            c.properties = build_properties(obj)?;
            if let Some(w) = obj.get("will") {
                c.will = Some(Will {
                    topic: string_of(&w["topic"])?,
                    payload: bytes_of(&w["payload"])?,
                    qos: qos_of(w.get("qos"))?,
                    retain: get_bool(w, "retain", false),
                    properties: build_properties(w)?,
                });
            }
            c.username = obj.get("username").map(string_of).transpose()?;
            c.password = obj.get("password").map(bytes_of).transpose()?;
            c.into()
        }
        "connack" => Packet::ConnAck(ConnAck {
            session_present: get_bool(obj, "sessionPresent", false),
            code: reason(obj)?,
            properties: build_properties(obj)?,
        }),
        "publish" => {
            let qos = qos_of(obj.get("qos"))?;
            Packet::Publish(Publish {
                dup: get_bool(obj, "dup", false),
                qos,
                retain: get_bool(obj, "retain", false),
                topic: string_of(&obj["topic"])?,
                packet_id: if qos == QoS::AtMostOnce {
                    None
                } else {
                    Some(message_id(obj)?)
                },
                properties: build_properties(obj)?,
                payload: match obj.get("payload") {
                    Some(p) => bytes_of(p)?,
                    None => Bytes::new(),
                },
            })
        }
        "puback" => Packet::PubAck(response(obj)?),
        "pubrec" => Packet::PubRec(response(obj)?),
        "pubrel" => Packet::PubRel(response(obj)?),
        "pubcomp" => Packet::PubComp(response(obj)?),
        "subscribe" => {
            let mut subscriptions = Vec::new();
            for s in obj["subscriptions"].as_array().ok_or("no subscriptions")? {
                subscriptions.push(Subscription {
                    filter: string_of(&s["topic"])?,
                    options: SubscriptionOptions {
                        qos: qos_of(s.get("qos"))?,
                        no_local: get_bool(s, "nl", false),
                        retain_as_published: get_bool(s, "rap", false),
                        retain_handling: match s.get("rh").map(num::<u8>).transpose()? {
                            None | Some(0) => RetainHandling::SendAtSubscribe,
                            Some(1) => RetainHandling::SendAtNewSubscribe,
                            Some(2) => RetainHandling::DoNotSend,
                            Some(_) => return Err("retain handling 3".into()),
                        },
                    },
                });
            }
            Packet::Subscribe(Subscribe {
                packet_id: message_id(obj)?,
                properties: build_properties(obj)?,
                subscriptions,
            })
        }
        "suback" => Packet::SubAck(SubAck {
            packet_id: message_id(obj)?,
            properties: build_properties(obj)?,
            codes: codes(obj.get("granted"))?,
        }),
        "unsubscribe" => {
            let filters = obj["unsubscriptions"]
                .as_array()
                .ok_or("no unsubscriptions")?;
            Packet::Unsubscribe(Unsubscribe {
                packet_id: message_id(obj)?,
                properties: build_properties(obj)?,
                filters: filters.iter().map(string_of).collect::<Built<_>>()?,
            })
        }
        "unsuback" => Packet::UnsubAck(UnsubAck {
            packet_id: message_id(obj)?,
            properties: build_properties(obj)?,
            codes: codes(obj.get("granted"))?,
        }),
        "pingreq" => Packet::PingReq,
        "pingresp" => Packet::PingResp,
        "disconnect" => Packet::Disconnect(Disconnect {
            code: reason(obj)?,
            properties: build_properties(obj)?,
        }),
        "auth" => Packet::Auth(Auth {
            code: reason(obj)?,
            properties: build_properties(obj)?,
        }),
        other => return Err(format!("unknown cmd {other}")),
    })
}

/// The packet with every property list in a canonical order, for comparing a packet built
/// from a JSON map (which keeps no order) with a decoded one.
fn canonical(p: &Packet) -> Packet {
    fn sort(props: &mut Properties) {
        let mut v: Vec<Property> = props.iter().cloned().collect();
        v.sort_by_key(|p| (p.id() as u8, format!("{p:?}")));
        *props = v.into();
    }
    let mut p = p.clone();
    match &mut p {
        Packet::Connect(c) => {
            sort(&mut c.properties);
            if let Some(w) = &mut c.will {
                sort(&mut w.properties);
            }
        }
        Packet::ConnAck(c) => sort(&mut c.properties),
        Packet::Publish(x) => sort(&mut x.properties),
        Packet::PubAck(x) | Packet::PubRec(x) | Packet::PubRel(x) | Packet::PubComp(x) => {
            sort(&mut x.properties)
        }
        Packet::Subscribe(x) => sort(&mut x.properties),
        Packet::SubAck(x) => sort(&mut x.properties),
        Packet::Unsubscribe(x) => sort(&mut x.properties),
        Packet::UnsubAck(x) => sort(&mut x.properties),
        Packet::Disconnect(x) => sort(&mut x.properties),
        Packet::Auth(x) => sort(&mut x.properties),
        Packet::PingReq | Packet::PingResp => {}
    }
    p
}

// ---------------------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------------------

fn version_of(v: &Value) -> Option<Protocol> {
    v.get("version")
        .and_then(Value::as_u64)
        .and_then(|l| u8::try_from(l).ok())
        .and_then(Protocol::from_level)
}

/// The remaining length the fixed header of `bytes` declares.
fn remaining_length(bytes: &[u8]) -> usize {
    let mut value = 0usize;
    for (i, b) in bytes[1..].iter().take(4).enumerate() {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    value
}

/// Decodes one whole packet both ways (whole-packet API and streaming decoder), which must
/// agree, and checks that the serde view describes it.
fn decode(bytes: &[u8], version: Protocol) -> Result<Packet, DecodeError> {
    let whole = Packet::decode(bytes, version)?;
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::from(bytes);
    match decoder.poll(&mut buf) {
        Ok(Status::Packet(p)) => {
            assert_eq!(
                p, whole,
                "the streaming decoder disagrees with Packet::decode"
            );
            assert!(buf.is_empty(), "the streaming decoder left bytes behind");
        }
        other => panic!("Packet::decode accepted, the streaming decoder said {other:?}"),
    }
    // The JSON view (feature `serde`) describes every packet.
    #[cfg(feature = "serde")]
    {
        let described = serde_json::to_value(switchboard_mqtt::codec::Described {
            packet: &whole,
            version,
        })
        .unwrap();
        assert_eq!(described["type"], whole.packet_type().name());
    }
    Ok(whole)
}

/// Decode `bytes` and compare with `expected`.
fn check_parse(bytes: &[u8], version: Protocol, expected: &Value) -> Result<Packet, String> {
    let packet = decode(bytes, version).map_err(|e| format!("decode failed: {e}"))?;
    let actual = view(&packet, version, remaining_length(bytes));
    let mut errors = Vec::new();
    compare("object", &normalize(expected), &actual, &mut errors);
    if errors.is_empty() {
        Ok(packet)
    } else {
        Err(errors.join("; "))
    }
}

fn check_encode(packet: &Packet, version: Protocol, hex: &[u8], what: &str) -> Result<(), String> {
    let out = packet
        .to_bytes(version)
        .map_err(|e| format!("{what}: encode failed: {e}"))?;
    if out != hex {
        return Err(format!(
            "{what}: encoded {}, expected {}",
            to_hex(&out),
            to_hex(hex)
        ));
    }
    match packet.encoded_len(version) {
        Ok(n) if n == hex.len() => Ok(()),
        other => Err(format!(
            "{what}: encoded_len {other:?}, wrote {}",
            hex.len()
        )),
    }
}

/// parse+generate: decode, compare, re-encode exactly, and build from the object.
fn check_round_trip(bytes: &[u8], version: Protocol, object: &Value) -> Result<Outcome, String> {
    let decoded = check_parse(bytes, version, object)?;
    check_encode(&decoded, version, bytes, "re-encoding the decoded packet")?;
    match build(object) {
        Ok(built) => {
            if canonical(&built) != canonical(&decoded) {
                return Err(format!(
                    "built from object: {built:?}\ndecoded: {decoded:?}"
                ));
            }
            let n = built
                .encoded_len(version)
                .map_err(|e| format!("encoding the built packet failed: {e}"))?;
            if n != bytes.len() {
                return Err(format!("the built packet encodes to {n} bytes"));
            }
            Ok(Outcome::Checked)
        }
        // Only a buffer the vector recorded truncated keeps us from building it.
        Err(e) if e.contains("longer than the 100 bytes") => Ok(Outcome::CheckedWithoutBuild),
        Err(e) => Err(format!("cannot build object: {e}")),
    }
}

/// The one vector without hex: a PUBLISH whose remaining length is the largest there is.
fn check_max_publish(version: Protocol, object: &Value) -> Result<Outcome, String> {
    let length = object["length"].as_u64().unwrap() as usize;
    assert_eq!(length, MAX_VARIABLE_BYTE_INTEGER as usize);
    assert_eq!(object["topic"], "test");
    // mqtt-packet's test.js: payload = Buffer.alloc(268435455 - 6), after a 2-byte length and
    // the 4-byte topic.
    let packet = Packet::Publish(Publish::new("test", vec![0u8; length - 6]));
    // Encode straight into the receive buffer the decoder reads, so the 256 MiB exist twice
    // (ours and the buffer's), not three times.
    let mut buf = BytesMut::new();
    packet
        .encode(version, &mut buf)
        .map_err(|e| e.to_string())?;
    let head = from_hex("30ffffff7f000474657374").unwrap();
    if buf.len() != length + 5 || buf[..head.len()] != head[..] {
        return Err(format!(
            "encoded {} bytes starting {}",
            buf.len(),
            to_hex(&buf[..16])
        ));
    }
    let zeros = [0u8; 1 << 16];
    if !buf[head.len()..]
        .chunks(zeros.len())
        .all(|c| c == &zeros[..c.len()])
    {
        return Err("payload is not all zeros".into());
    }
    // Streaming decode: the payload is a slice of the receive buffer, not a copy.
    let mut decoder = Decoder::new(version);
    let decoded = match decoder.poll(&mut buf) {
        Ok(Status::Packet(p)) => p,
        other => return Err(format!("decode: {other:?}")),
    };
    if decoded != packet {
        return Err("decoded packet differs".into());
    }
    let mut errors = Vec::new();
    let mut expected = object.clone();
    // The extraction recorded a 1 MiB prefix of the payload; ours is the real one.
    expected["payload"]["len"] = json!(length - 6);
    compare(
        "object",
        &expected,
        &view(&decoded, version, length),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(Outcome::Checked)
    } else {
        Err(errors.join("; "))
    }
}

/// parse-error: both decoders refuse the hex, with the error listed for it.
fn check_parse_error(
    bytes: &[u8],
    hex: &str,
    version: Protocol,
    used: &mut BTreeSet<&'static str>,
) -> Result<Outcome, String> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::from(bytes);
    let streamed = loop {
        match decoder.poll(&mut buf) {
            Ok(Status::Packet(_)) if !buf.is_empty() => continue,
            Ok(Status::Packet(p)) => return Err(format!("accepted: {p:?}")),
            Ok(Status::NeedMore { needed }) => {
                // Only a packet cut short may end this way; the whole-packet API then says so.
                match Packet::decode(bytes, version) {
                    Err(e @ DecodeError::Truncated { .. }) => break e,
                    other => {
                        return Err(format!(
                            "streaming: need more ({needed:?}); whole: {other:?}"
                        ))
                    }
                }
            }
            Err(e) => break e,
        }
    };
    if Packet::decode(bytes, version).is_ok() {
        return Err("Packet::decode accepted it".into());
    }
    let Some((key, expected)) = PARSE_ERRORS.iter().find(|(h, _)| *h == hex) else {
        return Err(format!(
            "refused with {streamed:?}, but PARSE_ERRORS has no entry"
        ));
    };
    used.insert(key);
    if &streamed != expected {
        return Err(format!("expected {expected:?}, got {streamed:?}"));
    }
    assert!(!streamed.rule().is_empty());
    Ok(Outcome::Refused)
}

fn check_generate_error(name: &str, used: &mut BTreeSet<&'static str>) -> Result<Outcome, String> {
    let Some((key, refusal)) = GENERATE_ERRORS.iter().find(|(n, _)| *n == name) else {
        return Err("no entry in GENERATE_ERRORS".into());
    };
    used.insert(key);
    match refusal {
        Refusal::Unrepresentable(why) => {
            assert!(!why.is_empty());
            Ok(Outcome::Unrepresentable)
        }
        Refusal::Refused {
            version,
            build,
            error,
        } => {
            let packet = build();
            let mut buf = BytesMut::new();
            match packet.encode(*version, &mut buf) {
                Err(e) if &e == error => {}
                other => return Err(format!("expected {error:?}, got {other:?}")),
            }
            if !buf.is_empty() {
                return Err("a refused packet wrote bytes".into());
            }
            if packet.encoded_len(*version).is_ok() {
                return Err("encoded_len accepted a packet encode refuses".into());
            }
            Ok(Outcome::Refused)
        }
    }
}

fn check_exception(
    exception: &Exception,
    bytes: &[u8],
    hex: &str,
    version: Protocol,
    kind: &str,
    object: &Value,
) -> Result<Outcome, String> {
    assert_eq!(
        hex, exception.hex,
        "{}: the vector's hex changed",
        exception.name
    );
    assert!(!exception.why.is_empty());
    match Packet::decode(bytes, version) {
        Err(e) if e == exception.error => {}
        other => return Err(format!("expected {:?}, got {other:?}", exception.error)),
    }
    let Some(patch) = &exception.patch else {
        return Ok(Outcome::Exception);
    };
    let mut fixed = bytes.to_vec();
    fixed[patch.offset] = patch.byte;
    let mut object = object.clone();
    object["properties"][patch.property] = json!(patch.value);
    match kind {
        "parse+generate" | "parse-and-generate" => check_round_trip(&fixed, version, &object)?,
        _ => check_parse(&fixed, version, &object).map(|_| Outcome::Checked)?,
    };
    Ok(Outcome::Exception)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Every check of its kind passed.
    Checked,
    /// Checked, but a buffer recorded truncated kept us from building it from `object`.
    CheckedWithoutBuild,
    /// Refused, as it should be.
    Refused,
    /// Cannot be built in Rust; the table says why.
    Unrepresentable,
    /// We disagree on purpose; the exception was checked.
    Exception,
}

fn check(v: &Value, used: &mut Used) -> Result<Outcome, String> {
    let kind = v["kind"].as_str().unwrap();
    let name = v["name"].as_str().unwrap();
    let hex = v.get("hex").and_then(Value::as_str);
    let bytes = hex.map(|h| from_hex(h).expect("vector hex"));
    let version = version_of(v);
    let object = v.get("object").unwrap_or(&Value::Null);

    if let Some(e) = EXCEPTIONS.iter().find(|e| e.name == name) {
        used.exceptions.insert(e.name);
        return check_exception(
            e,
            bytes.as_deref().unwrap(),
            hex.unwrap(),
            version.unwrap(),
            kind,
            object,
        );
    }
    match kind {
        "parse+generate" | "parse-and-generate" => {
            let version = version.ok_or("no version")?;
            match &bytes {
                Some(b) => check_round_trip(b, version, object),
                None => check_max_publish(version, object),
            }
        }
        "parse-only" => {
            check_parse(
                bytes.as_deref().unwrap(),
                version.ok_or("no version")?,
                object,
            )?;
            Ok(Outcome::Checked)
        }
        "parse-generate-defaults" => {
            let version = version.ok_or("no version")?;
            let bytes = bytes.as_deref().unwrap();
            check_parse(bytes, version, &v["parsed"])?;
            let built = build(object)?;
            check_encode(&built, version, bytes, "building object with defaults")?;
            Ok(Outcome::Checked)
        }
        "generate-only" => {
            let version = version.ok_or("no version")?;
            let built = build(object)?;
            check_encode(
                &built,
                version,
                bytes.as_deref().unwrap(),
                "building object",
            )?;
            Ok(Outcome::Checked)
        }
        "parse-error" => check_parse_error(
            bytes.as_deref().unwrap(),
            hex.unwrap(),
            version.ok_or("no version")?,
            &mut used.parse_errors,
        ),
        "generate-error" | "write-error" => check_generate_error(name, &mut used.generate_errors),
        other => Err(format!("unknown kind {other}")),
    }
}

#[derive(Default)]
struct Used {
    exceptions: BTreeSet<&'static str>,
    parse_errors: BTreeSet<&'static str>,
    generate_errors: BTreeSet<&'static str>,
}

#[test]
fn every_vector_is_accounted_for() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    assert_eq!(vectors.len(), 167, "the vector file changed");
    let mut used = Used::default();
    let mut counts: BTreeMap<(String, Outcome), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let kind = v["kind"].as_str().unwrap_or("?").to_string();
        let name = v["name"].as_str().unwrap_or("?");
        let result = catch_unwind(AssertUnwindSafe(|| check(v, &mut used)))
            .unwrap_or_else(|_| Err("panicked".into()));
        match result {
            Ok(outcome) => *counts.entry((kind, outcome)).or_default() += 1,
            Err(e) => failures.push(format!("#{i} {kind} \"{name}\": {e}")),
        }
    }

    println!("{:<26} {:<20} {:>5}", "kind", "outcome", "count");
    for ((kind, outcome), n) in &counts {
        println!("{kind:<26} {:<20} {n:>5}", format!("{outcome:?}"));
    }
    let handled: usize = counts.values().sum();
    println!("{handled} of {} vectors handled", vectors.len());

    for e in EXCEPTIONS {
        if !used.exceptions.contains(e.name) {
            failures.push(format!("exception \"{}\" matches no vector", e.name));
        }
    }
    for (hex, _) in PARSE_ERRORS {
        if !used.parse_errors.contains(hex) {
            failures.push(format!("PARSE_ERRORS entry {hex} matches no vector"));
        }
    }
    for (name, _) in GENERATE_ERRORS {
        if !used.generate_errors.contains(name) {
            failures.push(format!(
                "GENERATE_ERRORS entry \"{name}\" matches no vector"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(handled, vectors.len());
}

/// The exceptions, printed for the record (`cargo test -- --nocapture`).
#[test]
fn exceptions_are_documented() {
    for e in EXCEPTIONS {
        assert!(
            e.why.contains("MQTT 5.0 §"),
            "{}: cite the spec section",
            e.name
        );
        assert!(!e.error.rule().is_empty());
        println!("{}: {} ({})", e.name, e.why, e.error);
    }
}
