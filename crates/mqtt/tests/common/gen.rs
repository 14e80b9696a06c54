//! proptest generators of valid packets: every packet type under every version, with
//! arbitrary valid properties in 5.0.
//!
//! "Valid" means what our decoder accepts: no U+0000 in strings, no wildcard or empty topic
//! names (empty only with a Topic Alias in 5.0), well-formed topic filters, packet
//! identifiers that are not 0, reason codes the packet may carry, each property only where
//! the spec allows it and at most once unless it may repeat, property values in range,
//! DUP only with QoS 1 or 2, No Local never on a shared subscription, Session Present only
//! with success, and the CONNECT flag rules of each version.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use switchboard_mqtt::codec::{
    Auth, ByteStr, ConnAck, Connect, Disconnect, Packet, PacketId, PacketType, Properties,
    Property, PropertyId, Protocol, PubResponse, Publish, QoS, ReasonCode, RetainHandling, SubAck,
    Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe, Will,
    MAX_VARIABLE_BYTE_INTEGER,
};

/// Any of the three versions.
pub(crate) fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        Just(Protocol::V3_1),
        Just(Protocol::V3_1_1),
        Just(Protocol::V5)
    ]
}

/// Any QoS.
pub(crate) fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

/// Any packet identifier (never 0).
pub(crate) fn packet_id() -> impl Strategy<Value = PacketId> {
    (1u16..=u16::MAX).prop_map(|v| PacketId::new(v).unwrap_or_else(|| unreachable!()))
}

/// A UTF-8 string MQTT allows: anything but U+0000, up to `max` characters. Half the time
/// plain ASCII, so failures shrink to something readable.
pub(crate) fn string(max: usize) -> impl Strategy<Value = ByteStr> {
    let ascii = proptest::string::string_regex(&format!("[a-zA-Z0-9 _./$-]{{0,{max}}}"))
        .unwrap_or_else(|e| unreachable!("{e}"));
    prop_oneof![
        ascii.prop_map(ByteStr::from),
        vec(
            any::<char>().prop_map(|c| if c == '\0' { '0' } else { c }),
            0..=max
        )
        .prop_map(|cs| ByteStr::from(cs.into_iter().collect::<String>())),
    ]
}

/// Arbitrary binary data up to `max` bytes.
pub(crate) fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// A topic name: at least one character, no wildcards, no U+0000; `$` topics included.
pub(crate) fn topic_name() -> impl Strategy<Value = ByteStr> {
    prop_oneof![
        3 => "[a-z$/]{1,12}".prop_map(ByteStr::from),
        1 => vec(any::<char>().prop_filter("no wildcard or NUL", |c| !matches!(c, '+' | '#' | '\0')), 1..12)
            .prop_map(|cs| ByteStr::from(cs.into_iter().collect::<String>())),
    ]
}

prop_compose! {
    /// A topic filter: levels of text or `+`, an optional final `#`, sometimes shared
    /// (`$share/{group}/…`).
    pub(crate) fn topic_filter()(
        levels in vec(prop_oneof![3 => "[a-z$]{0,4}", 1 => Just("+".to_string())], 1..5),
        hash in any::<bool>(),
        share in option::of("[a-z0-9]{1,5}"),
    ) -> ByteStr {
        let mut filter = levels.join("/");
        if hash {
            filter.push_str(if filter.is_empty() { "#" } else { "/#" });
        }
        if filter.is_empty() {
            filter.push('#');
        }
        match share {
            Some(group) => ByteStr::from(format!("$share/{group}/{filter}")),
            None => ByteStr::from(filter),
        }
    }
}

/// Where properties go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// In this packet's variable header.
    Packet(PacketType),
    /// CONNECT's Will Properties.
    Will,
}

/// The properties that may appear at `place` (MQTT 5.0 section 2.2.2.2), User Property and
/// Subscription Identifier aside.
pub(crate) fn allowed(place: Place) -> &'static [PropertyId] {
    use PropertyId as I;
    match place {
        Place::Will => &[
            I::PayloadFormatIndicator,
            I::MessageExpiryInterval,
            I::ContentType,
            I::ResponseTopic,
            I::CorrelationData,
            I::WillDelayInterval,
        ],
        Place::Packet(p) => match p {
            PacketType::Connect => &[
                I::SessionExpiryInterval,
                I::AuthenticationMethod,
                I::AuthenticationData,
                I::RequestProblemInformation,
                I::RequestResponseInformation,
                I::ReceiveMaximum,
                I::TopicAliasMaximum,
                I::MaximumPacketSize,
            ],
            PacketType::ConnAck => &[
                I::SessionExpiryInterval,
                I::AssignedClientIdentifier,
                I::ServerKeepAlive,
                I::AuthenticationMethod,
                I::AuthenticationData,
                I::ResponseInformation,
                I::ServerReference,
                I::ReasonString,
                I::ReceiveMaximum,
                I::TopicAliasMaximum,
                I::MaximumQoS,
                I::RetainAvailable,
                I::MaximumPacketSize,
                I::WildcardSubscriptionAvailable,
                I::SubscriptionIdentifierAvailable,
                I::SharedSubscriptionAvailable,
            ],
            PacketType::Publish => &[
                I::PayloadFormatIndicator,
                I::MessageExpiryInterval,
                I::ContentType,
                I::ResponseTopic,
                I::CorrelationData,
                I::TopicAlias,
            ],
            PacketType::PubAck
            | PacketType::PubRec
            | PacketType::PubRel
            | PacketType::PubComp
            | PacketType::SubAck
            | PacketType::UnsubAck => &[I::ReasonString],
            PacketType::Disconnect => &[
                I::SessionExpiryInterval,
                I::ServerReference,
                I::ReasonString,
            ],
            PacketType::Auth => &[
                I::AuthenticationMethod,
                I::AuthenticationData,
                I::ReasonString,
            ],
            _ => &[],
        },
    }
}

/// An in-range value for property `id`.
pub(crate) fn property(id: PropertyId) -> BoxedStrategy<Property> {
    use Property as P;
    use PropertyId as I;
    let flag = || 0u8..=1;
    match id {
        I::PayloadFormatIndicator => flag().prop_map(P::PayloadFormatIndicator).boxed(),
        I::MessageExpiryInterval => any::<u32>().prop_map(P::MessageExpiryInterval).boxed(),
        I::ContentType => string(8).prop_map(P::ContentType).boxed(),
        I::ResponseTopic => topic_name().prop_map(P::ResponseTopic).boxed(),
        I::CorrelationData => bytes(8).prop_map(P::CorrelationData).boxed(),
        I::SubscriptionIdentifier => (1..=MAX_VARIABLE_BYTE_INTEGER)
            .prop_map(P::SubscriptionIdentifier)
            .boxed(),
        I::SessionExpiryInterval => any::<u32>().prop_map(P::SessionExpiryInterval).boxed(),
        I::AssignedClientIdentifier => string(8).prop_map(P::AssignedClientIdentifier).boxed(),
        I::ServerKeepAlive => any::<u16>().prop_map(P::ServerKeepAlive).boxed(),
        I::AuthenticationMethod => string(8).prop_map(P::AuthenticationMethod).boxed(),
        I::AuthenticationData => bytes(8).prop_map(P::AuthenticationData).boxed(),
        I::RequestProblemInformation => flag().prop_map(P::RequestProblemInformation).boxed(),
        I::WillDelayInterval => any::<u32>().prop_map(P::WillDelayInterval).boxed(),
        I::RequestResponseInformation => flag().prop_map(P::RequestResponseInformation).boxed(),
        I::ResponseInformation => string(8).prop_map(P::ResponseInformation).boxed(),
        I::ServerReference => string(8).prop_map(P::ServerReference).boxed(),
        I::ReasonString => string(8).prop_map(P::ReasonString).boxed(),
        I::ReceiveMaximum => (1..=u16::MAX).prop_map(P::ReceiveMaximum).boxed(),
        I::TopicAliasMaximum => any::<u16>().prop_map(P::TopicAliasMaximum).boxed(),
        I::TopicAlias => (1..=u16::MAX).prop_map(P::TopicAlias).boxed(),
        I::MaximumQoS => flag().prop_map(P::MaximumQoS).boxed(),
        I::RetainAvailable => flag().prop_map(P::RetainAvailable).boxed(),
        I::UserProperty => (string(6), string(6))
            .prop_map(|(k, v)| P::UserProperty(k, v))
            .boxed(),
        I::MaximumPacketSize => (1..=u32::MAX).prop_map(P::MaximumPacketSize).boxed(),
        I::WildcardSubscriptionAvailable => {
            flag().prop_map(P::WildcardSubscriptionAvailable).boxed()
        }
        I::SubscriptionIdentifierAvailable => {
            flag().prop_map(P::SubscriptionIdentifierAvailable).boxed()
        }
        I::SharedSubscriptionAvailable => flag().prop_map(P::SharedSubscriptionAvailable).boxed(),
    }
}

/// Valid properties for `place`, in any order: each allowed property at most once, User
/// Properties (repeated keys included), and Subscription Identifiers where they belong
/// (several in PUBLISH, one in SUBSCRIBE).
pub(crate) fn properties(place: Place) -> BoxedStrategy<Properties> {
    let singles: Vec<BoxedStrategy<Option<Property>>> = allowed(place)
        .iter()
        .map(|&id| option::weighted(0.3, property(id)).boxed())
        .collect();
    let sub_ids = match place {
        Place::Packet(PacketType::Publish) => 0..3usize,
        Place::Packet(PacketType::Subscribe) => 0..2usize,
        _ => 0..1usize,
    };
    (
        singles,
        vec(property(PropertyId::UserProperty), 0..3),
        vec(property(PropertyId::SubscriptionIdentifier), sub_ids),
    )
        .prop_flat_map(|(singles, users, ids)| {
            let all: Vec<Property> = singles
                .into_iter()
                .flatten()
                .chain(users)
                .chain(ids)
                .collect();
            Just(all).prop_shuffle()
        })
        .prop_map(Properties::from)
        .boxed()
}

/// Properties under `version`: none before 5.0.
pub(crate) fn properties_for(version: Protocol, place: Place) -> BoxedStrategy<Properties> {
    if version.is_v5() {
        properties(place)
    } else {
        Just(Properties::new()).boxed()
    }
}

/// Every reason code `packet` may carry under `version`, as the codec's table has it (the
/// table itself is checked against the spec in `rules.rs`).
pub(crate) fn reason_codes(packet: PacketType, version: Protocol) -> Vec<ReasonCode> {
    (0..=u8::MAX)
        .map(ReasonCode::new)
        .filter(|c| c.is_valid_for(packet, version))
        .collect()
}

/// A reason code `packet` may carry under `version`.
pub(crate) fn reason_code(
    packet: PacketType,
    version: Protocol,
) -> impl Strategy<Value = ReasonCode> {
    select(reason_codes(packet, version))
}

prop_compose! {
    /// A Will message.
    pub(crate) fn will(version: Protocol)(
        topic in topic_name(),
        payload in bytes(16),
        qos in qos(),
        retain in any::<bool>(),
        properties in properties_for(version, Place::Will),
    ) -> Will {
        Will { topic, payload, qos, retain, properties }
    }
}

prop_compose! {
    /// A CONNECT for `version`.
    pub(crate) fn connect(version: Protocol)(
        legacy_name in prop::bool::weighted(0.1),
        bridge in prop::bool::weighted(0.1),
        clean_start in any::<bool>(),
        keep_alive in any::<u16>(),
        properties in properties_for(version, Place::Packet(PacketType::Connect)),
        client_id in string(12),
        will in option::of(will(version)),
        username in option::of(string(8)),
        password in option::of(bytes(8)),
    ) -> Connect {
        let mut c = Connect::new(version, client_id);
        // 3.1 says MQIsdp and 3.1.1 says MQTT, but bridges send MQIsdp with level 4 and
        // MQTT-3.1.2-1 lets a server accept either name.
        if legacy_name != (version == Protocol::V3_1) {
            c.protocol_name = ByteStr::from("MQIsdp");
        } else {
            c.protocol_name = ByteStr::from("MQTT");
        }
        c.bridge = bridge;
        c.clean_start = clean_start;
        c.keep_alive = keep_alive;
        c.properties = properties;
        c.will = will;
        // 3.1 needs a client identifier; 3.1.1 allows an empty one only with Clean Session.
        if c.client_id.is_empty() && (version == Protocol::V3_1 || (!version.is_v5() && !clean_start)) {
            c.client_id = ByteStr::from("c");
        }
        // Before 5.0 a password needs a user name [MQTT-3.1.2-22].
        c.username = match (&username, &password) {
            (None, Some(_)) if !version.is_v5() => Some(ByteStr::from("u")),
            _ => username,
        };
        c.password = password;
        c
    }
}

prop_compose! {
    /// A CONNACK for `version`.
    pub(crate) fn connack(version: Protocol)(
        session_present in any::<bool>(),
        code in reason_code(PacketType::ConnAck, version),
        properties in properties_for(version, Place::Packet(PacketType::ConnAck)),
    ) -> ConnAck {
        // Session Present only with success [MQTT-3.2.2-6].
        ConnAck { session_present: session_present && code == ReasonCode::SUCCESS, code, properties }
    }
}

prop_compose! {
    /// A PUBLISH for `version`.
    pub(crate) fn publish(version: Protocol)(
        qos in qos(),
        dup in any::<bool>(),
        retain in any::<bool>(),
        topic in topic_name(),
        aliased_empty in any::<bool>(),
        id in packet_id(),
        properties in properties_for(version, Place::Packet(PacketType::Publish)),
        payload in bytes(32),
    ) -> Publish {
        // An empty topic only stands for an alias in 5.0.
        let topic = if aliased_empty && properties.topic_alias().is_some() {
            ByteStr::new()
        } else {
            topic
        };
        Publish {
            dup: dup && qos != QoS::AtMostOnce,
            qos,
            retain,
            topic,
            packet_id: (qos != QoS::AtMostOnce).then_some(id),
            properties,
            payload,
        }
    }
}

prop_compose! {
    /// A PUBACK, PUBREC, PUBREL or PUBCOMP body for `version`.
    pub(crate) fn pub_response(packet: PacketType, version: Protocol)(
        packet_id in packet_id(),
        code in reason_code(packet, version),
        properties in properties_for(version, Place::Packet(packet)),
    ) -> PubResponse {
        PubResponse { packet_id, code, properties }
    }
}

prop_compose! {
    /// One subscription valid under `version`.
    pub(crate) fn subscription(version: Protocol)(
        filter in topic_filter(),
        qos in qos(),
        no_local in any::<bool>(),
        retain_as_published in any::<bool>(),
        retain_handling in prop_oneof![
            Just(RetainHandling::SendAtSubscribe),
            Just(RetainHandling::SendAtNewSubscribe),
            Just(RetainHandling::DoNotSend),
        ],
    ) -> Subscription {
        let mut options = SubscriptionOptions { qos, ..SubscriptionOptions::default() };
        if version.is_v5() {
            // No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4].
            options.no_local = no_local && !filter.starts_with("$share/");
            options.retain_as_published = retain_as_published;
            options.retain_handling = retain_handling;
        }
        Subscription { filter, options }
    }
}

prop_compose! {
    /// A SUBSCRIBE for `version`.
    pub(crate) fn subscribe(version: Protocol)(
        packet_id in packet_id(),
        properties in properties_for(version, Place::Packet(PacketType::Subscribe)),
        subscriptions in vec(subscription(version), 1..5),
    ) -> Subscribe {
        Subscribe { packet_id, properties, subscriptions }
    }
}

prop_compose! {
    /// A SUBACK for `version`.
    pub(crate) fn suback(version: Protocol)(
        packet_id in packet_id(),
        properties in properties_for(version, Place::Packet(PacketType::SubAck)),
        codes in vec(reason_code(PacketType::SubAck, version), 1..5),
    ) -> SubAck {
        SubAck { packet_id, properties, codes }
    }
}

prop_compose! {
    /// An UNSUBSCRIBE for `version`.
    pub(crate) fn unsubscribe(version: Protocol)(
        packet_id in packet_id(),
        properties in properties_for(version, Place::Packet(PacketType::Unsubscribe)),
        filters in vec(topic_filter(), 1..5),
    ) -> Unsubscribe {
        Unsubscribe { packet_id, properties, filters }
    }
}

prop_compose! {
    /// An UNSUBACK for `version` (reason codes only in 5.0).
    pub(crate) fn unsuback(version: Protocol)(
        packet_id in packet_id(),
        properties in properties_for(version, Place::Packet(PacketType::UnsubAck)),
        codes in vec(reason_code(PacketType::UnsubAck, version), 1..5),
    ) -> UnsubAck {
        let codes = if version.is_v5() { codes } else { Vec::new() };
        UnsubAck { packet_id, properties, codes }
    }
}

prop_compose! {
    /// A DISCONNECT for `version`.
    pub(crate) fn disconnect(version: Protocol)(
        code in reason_code(PacketType::Disconnect, version),
        properties in properties_for(version, Place::Packet(PacketType::Disconnect)),
    ) -> Disconnect {
        Disconnect { code, properties }
    }
}

prop_compose! {
    /// An AUTH (5.0 only).
    pub(crate) fn auth()(
        code in reason_code(PacketType::Auth, Protocol::V5),
        properties in properties(Place::Packet(PacketType::Auth)),
    ) -> Auth {
        Auth { code, properties }
    }
}

/// Any valid packet of `version`. A CONNECT declares `version`, so a decoder set to it stays
/// on it.
pub(crate) fn packet(version: Protocol) -> BoxedStrategy<Packet> {
    let v = version;
    let common = prop_oneof![
        connect(v).prop_map(Packet::from),
        connack(v).prop_map(Packet::ConnAck),
        publish(v).prop_map(Packet::Publish),
        pub_response(PacketType::PubAck, v).prop_map(Packet::PubAck),
        pub_response(PacketType::PubRec, v).prop_map(Packet::PubRec),
        pub_response(PacketType::PubRel, v).prop_map(Packet::PubRel),
        pub_response(PacketType::PubComp, v).prop_map(Packet::PubComp),
        subscribe(v).prop_map(Packet::Subscribe),
        suback(v).prop_map(Packet::SubAck),
        unsubscribe(v).prop_map(Packet::Unsubscribe),
        unsuback(v).prop_map(Packet::UnsubAck),
        Just(Packet::PingReq),
        Just(Packet::PingResp),
        disconnect(v).prop_map(Packet::Disconnect),
    ];
    if version.is_v5() {
        prop_oneof![14 => common, 1 => auth().prop_map(Packet::Auth)].boxed()
    } else {
        common.boxed()
    }
}

/// A version and a valid packet of it.
pub(crate) fn versioned_packet() -> impl Strategy<Value = (Protocol, Packet)> {
    protocol().prop_flat_map(|v| packet(v).prop_map(move |p| (v, p)))
}

/// A version and a few valid packets of it, as they might follow each other on one stream.
pub(crate) fn versioned_stream() -> impl Strategy<Value = (Protocol, Vec<Packet>)> {
    protocol().prop_flat_map(|v| vec(packet(v), 1..8).prop_map(move |ps| (v, ps)))
}
