//! Deterministic session tests of MQTT 5.0 features: topic aliases, Maximum Packet Size,
//! server capabilities, session expiry, will, enhanced authentication and
//! re-authentication, request/response, and subscriptions with their identifiers.
// Tests may panic on a failed expectation; that is how they report it. The fake clock needs
// one real instant to start from (`Instant::now`, disallowed in library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common_session;

use bytes::Bytes;
use common_session::*;
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

fn topics_and_aliases(packets: Vec<Packet>) -> Vec<(String, Option<u16>)> {
    packets
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.topic.to_string(), p.properties.topic_alias()),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn outgoing_topic_aliases_capped_at_server_maximum() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::TopicAliasMaximum(2)]));
    for t in ["a", "b", "c", "a", "b", "c"] {
        h.s.publish(t, "x", QoS::AtMostOnce, false, h.now).unwrap();
    }
    assert_eq!(
        topics_and_aliases(h.sent()),
        [
            ("a".into(), Some(1)),
            ("b".into(), Some(2)),
            ("c".into(), None),
            ("".into(), Some(1)),
            ("".into(), Some(2)),
            ("c".into(), None),
        ]
    );
    // Aliases belong to one connection: after a reconnect they start again, and a topic is
    // never sent as an alias alone before the new connection maps it.
    let _ = h.lose();
    h.reconnect(false, props(vec![Property::TopicAliasMaximum(2)]));
    h.s.publish("b", "x", QoS::AtMostOnce, false, h.now)
        .unwrap();
    assert_eq!(topics_and_aliases(h.sent()), [("b".into(), Some(1))]);
}

#[test]
fn no_outgoing_aliases_without_server_permission_or_when_disabled() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.publish("a", "x", QoS::AtMostOnce, false, h.now)
        .unwrap();
    assert_eq!(topics_and_aliases(h.sent()), [("a".into(), None)]);
    let mut o = Options::new(Protocol::V5, "t");
    o.outgoing_topic_aliases = false;
    let mut h = Harness::new(o);
    h.up(props(vec![Property::TopicAliasMaximum(5)]));
    for _ in 0..2 {
        h.s.publish("a", "x", QoS::AtMostOnce, false, h.now)
            .unwrap();
    }
    assert_eq!(
        topics_and_aliases(h.sent()),
        [("a".into(), None), ("a".into(), None)]
    );
}

#[test]
fn topic_alias_given_by_the_application_refused() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut p = Publish::new("a", "x");
    p.properties.push(Property::TopicAlias(1));
    assert!(matches!(
        h.s.publish_packet(p, h.now),
        Err(SessionError::NotAllowed(_))
    ));
}

#[test]
fn topic_alias_left_out_where_it_would_exceed_maximum_packet_size() {
    let mut h = Harness::v5();
    // PUBLISH "abc" QoS 0 with 3 payload bytes and no properties: 2 + 2+3 + 1 + 3 = 11.
    h.up(props(vec![
        Property::TopicAliasMaximum(5),
        Property::MaximumPacketSize(11),
    ]));
    h.s.publish("abc", "xyz", QoS::AtMostOnce, false, h.now)
        .unwrap();
    assert_eq!(topics_and_aliases(h.sent()), [("abc".into(), None)]);
}

#[test]
fn retransmitted_publish_gets_a_fresh_alias_mapping() {
    let mut h = Harness::v5_persistent();
    h.up(props(vec![Property::TopicAliasMaximum(1)]));
    h.publish("long/topic", "1", QoS::AtLeastOnce);
    h.publish("long/topic", "2", QoS::AtLeastOnce);
    assert_eq!(
        topics_and_aliases(h.sent()),
        [("long/topic".into(), Some(1)), ("".into(), Some(1))]
    );
    let _ = h.lose();
    h.reconnect(true, props(vec![Property::TopicAliasMaximum(1)]));
    // The new connection has no mapping: the first redelivery carries the topic again.
    assert_eq!(
        topics_and_aliases(h.sent()),
        [("long/topic".into(), Some(1)), ("".into(), Some(1))]
    );
}

#[test]
fn incoming_topic_alias_resolved() {
    let mut o = Options::new(Protocol::V5, "t");
    o.topic_alias_maximum = 5;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let mut p = Publish::new("long/topic", "1");
    p.properties.push(Property::TopicAlias(3));
    h.recv(Packet::Publish(p));
    let mut p = Publish::new("", "2");
    p.properties.push(Property::TopicAlias(3));
    h.recv(Packet::Publish(p));
    // A new topic for the same alias replaces the mapping.
    let mut p = Publish::new("other", "3");
    p.properties.push(Property::TopicAlias(3));
    h.recv(Packet::Publish(p));
    let mut p = Publish::new("", "4");
    p.properties.push(Property::TopicAlias(3));
    h.recv(Packet::Publish(p));
    let topics: Vec<String> = h.messages().iter().map(|p| p.topic.to_string()).collect();
    assert_eq!(topics, ["long/topic", "long/topic", "other", "other"]);
}

#[test]
fn incoming_topic_alias_over_our_maximum_is_0x94() {
    let mut o = Options::new(Protocol::V5, "t");
    o.topic_alias_maximum = 2;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::TopicAlias(3));
    h.recv(Packet::Publish(p));
    h.expect_protocol_error(0x94);
    // With no aliases allowed at all, any alias is invalid.
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::TopicAlias(1));
    h.recv(Packet::Publish(p));
    h.expect_protocol_error(0x94);
}

#[test]
fn unknown_incoming_topic_alias_is_a_protocol_error() {
    let mut o = Options::new(Protocol::V5, "t");
    o.topic_alias_maximum = 5;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let mut p = Publish::new("", "2");
    p.properties.push(Property::TopicAlias(4));
    h.recv(Packet::Publish(p));
    h.expect_protocol_error(0x82);
}

#[test]
fn incoming_aliases_forgotten_after_reconnect() {
    let mut o = Options::new(Protocol::V5, "t");
    o.topic_alias_maximum = 5;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let mut p = Publish::new("a", "1");
    p.properties.push(Property::TopicAlias(1));
    h.recv(Packet::Publish(p));
    let _ = h.lose();
    h.reconnect(false, Properties::new());
    let _ = h.events();
    let mut p = Publish::new("", "2");
    p.properties.push(Property::TopicAlias(1));
    h.recv(Packet::Publish(p));
    h.expect_protocol_error(0x82);
}

#[test]
fn packet_too_large_from_server_is_0x95() {
    let mut o = Options::new(Protocol::V5, "t");
    o.maximum_packet_size = Some(64);
    let mut h = Harness::new(o);
    h.up(Properties::new());
    // Refused from its fixed header, before the rest arrives.
    let bytes = Packet::Publish(Publish::new("t", vec![0u8; 100]))
        .to_bytes(Protocol::V5)
        .unwrap();
    h.s.handle_bytes(&bytes[..3], h.now);
    let ev = h.expect_protocol_error(0x95);
    assert!(ev.contains("64"), "{ev}");
}

#[test]
fn publish_over_server_maximum_packet_size_is_refused() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::MaximumPacketSize(50)]));
    let e =
        h.s.publish("t", vec![0u8; 100], QoS::AtLeastOnce, false, h.now)
            .unwrap_err();
    assert!(matches!(e, SessionError::PacketTooLarge { max: 50, .. }));
    assert!(h.sent().is_empty());
    assert_eq!(h.s.pending(), (0, 0), "no identifier kept");
    // The same limit holds for SUBSCRIBE.
    let long = "f".repeat(60);
    assert!(matches!(
        h.s.subscribe(vec![Subscription::new(long, QoS::AtMostOnce)], h.now),
        Err(SessionError::PacketTooLarge { .. })
    ));
}

#[test]
fn server_maximum_qos_enforced() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::MaximumQoS(1)]));
    assert_eq!(
        h.s.publish("t", "x", QoS::ExactlyOnce, false, h.now),
        Err(SessionError::QoSNotSupported)
    );
    assert!(h
        .s
        .publish("t", "x", QoS::AtLeastOnce, false, h.now)
        .is_ok());
}

#[test]
fn retain_not_available_enforced() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::RetainAvailable(0)]));
    assert_eq!(
        h.s.publish("t", "x", QoS::AtMostOnce, true, h.now),
        Err(SessionError::RetainNotSupported)
    );
}

#[test]
fn publish_with_subscription_identifier_refused() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::SubscriptionIdentifier(1));
    assert!(matches!(
        h.s.publish_packet(p, h.now),
        Err(SessionError::NotAllowed(_))
    ));
}

#[test]
fn assigned_client_identifier_used_on_reconnect() {
    let mut h = Harness::new(Options::new(Protocol::V5, ""));
    h.up(props(vec![Property::AssignedClientIdentifier(
        "auto-1".into(),
    )]));
    assert_eq!(h.s.options().client_id, "auto-1");
    let _ = h.lose();
    let c = h.reconnect(true, Properties::new());
    assert_eq!(c.client_id, "auto-1");
    assert_eq!(h.s.snapshot().client_id, "auto-1");
}

#[test]
fn v5_client_refused_by_a_311_only_server() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    // A 3.1.1 CONNACK: unacceptable protocol version.
    h.s.handle_bytes(&[0x20, 0x02, 0x00, 0x01], h.now);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::Refused { code, .. })] if code.get() == 1
    ));
}

#[test]
fn session_expiry_in_connect_and_disconnect() {
    let mut h = Harness::v5_persistent();
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(c.properties.session_expiry_interval(), Some(600));
    h.connack(false, Properties::new());
    h.s.disconnect(ReasonCode::SUCCESS, Some(0), h.now);
    let Packet::Disconnect(d) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(d.properties.session_expiry_interval(), Some(0));
    assert!(matches!(
        &h.events()[1..],
        [Event::Disconnected(DisconnectReason::Local { code })] if *code == ReasonCode::SUCCESS
    ));
    // The option is not changed by one DISCONNECT: the next CONNECT asks for 600 again.
    let c = h.reconnect(false, Properties::new());
    assert_eq!(c.properties.session_expiry_interval(), Some(600));
}

#[test]
fn session_expiry_cannot_be_raised_from_zero_on_disconnect() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.disconnect(ReasonCode::SUCCESS, Some(3600), h.now);
    let Packet::Disconnect(d) = &h.sent()[0] else {
        panic!()
    };
    // It would be a Protocol Error (3.14.2.2.2), so it is left out.
    assert_eq!(d.properties.session_expiry_interval(), None);
}

#[test]
fn disconnect_with_will_message_code() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.disconnect(ReasonCode::DISCONNECT_WITH_WILL, None, h.now);
    let sent = h.sent();
    assert!(matches!(&sent[..], [Packet::Disconnect(d)] if d.code.get() == 0x04));
    // A code DISCONNECT cannot carry is not sent as such.
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.disconnect(ReasonCode::GRANTED_QOS_1, None, h.now);
    let sent = h.sent();
    assert!(matches!(&sent[..], [Packet::Disconnect(d)] if d.code.get() == 0));
}

#[test]
fn will_delay_interval_sent() {
    let mut o = Options::new(Protocol::V5, "t");
    o.will = Some(Will {
        topic: "devices/t/status".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: props(vec![
            Property::WillDelayInterval(30),
            Property::MessageExpiryInterval(600),
        ]),
    });
    let mut h = Harness::new(o.clone());
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(c.will, o.will);
    assert_eq!(
        c.will.as_ref().unwrap().properties.will_delay_interval(),
        Some(30)
    );
}

#[test]
fn enhanced_auth_exchange() {
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("SCRAM-SHA-1".into());
    o.authentication_data = Some(Bytes::from_static(b"client-first"));
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(
        c.properties.authentication_method().map(|m| m.as_str()),
        Some("SCRAM-SHA-1")
    );
    assert_eq!(
        c.properties.authentication_data().map(|d| &d[..]),
        Some(&b"client-first"[..])
    );
    // No AUTH before the server asks.
    assert!(matches!(
        h.s.auth(None, false, h.now),
        Err(SessionError::NotAllowed(_))
    ));
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: props(vec![
            Property::AuthenticationMethod("SCRAM-SHA-1".into()),
            Property::AuthenticationData(Bytes::from_static(b"server-first")),
        ]),
    }));
    let ev = h.events();
    assert!(
        matches!(&ev[..], [Event::AuthChallenge { data: Some(d), .. }] if &d[..] == b"server-first")
    );
    // Each step restarts the handshake timer.
    h.advance(Duration::from_secs(20));
    h.s.auth(Some(Bytes::from_static(b"client-final")), false, h.now)
        .unwrap();
    let Packet::Auth(a) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(a.code, ReasonCode::CONTINUE_AUTHENTICATION);
    assert_eq!(
        a.properties.authentication_method().map(|m| m.as_str()),
        Some("SCRAM-SHA-1")
    );
    // Answered once; a second answer needs a second challenge.
    assert!(h.s.auth(None, false, h.now).is_err());
    h.advance(Duration::from_secs(20));
    h.connack(false, Properties::new());
    assert!(matches!(&h.events()[..], [Event::Connected { .. }]));
}

#[test]
fn auth_step_timeout() {
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("M".into());
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: props(vec![Property::AuthenticationMethod("M".into())]),
    }));
    let _ = h.events();
    h.advance(Duration::from_secs(30));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ConnectTimeout)]
    );
}

#[test]
fn auth_with_another_method_is_protocol_error() {
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("A".into());
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: props(vec![Property::AuthenticationMethod("B".into())]),
    }));
    h.expect_protocol_error(0x82);
}

#[test]
fn unsolicited_auth_is_protocol_error() {
    // No method configured.
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: props(vec![Property::AuthenticationMethod("A".into())]),
    }));
    h.expect_protocol_error(0x82);
    // Configured, but no exchange is in progress.
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("A".into());
    for code in [
        ReasonCode::CONTINUE_AUTHENTICATION,
        ReasonCode::SUCCESS,
        ReasonCode::REAUTHENTICATE,
    ] {
        let mut h = Harness::new(o.clone());
        h.up(Properties::new());
        h.recv(Packet::Auth(Auth {
            code,
            properties: props(vec![Property::AuthenticationMethod("A".into())]),
        }));
        h.expect_protocol_error(0x82);
    }
    // AUTH Success instead of CONNACK.
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::SUCCESS,
        properties: props(vec![Property::AuthenticationMethod("A".into())]),
    }));
    h.expect_protocol_error(0x82);
}

#[test]
fn reauthentication_flow() {
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("TOKEN".into());
    let mut h = Harness::new(o);
    h.up(Properties::new());
    h.s.auth(Some(Bytes::from_static(b"new-token")), true, h.now)
        .unwrap();
    let sent = h.sent();
    let [Packet::Auth(a)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(a.code, ReasonCode::REAUTHENTICATE);
    assert_eq!(
        a.properties.authentication_data().map(|d| &d[..]),
        Some(&b"new-token"[..])
    );
    // One at a time.
    assert!(h.s.auth(None, true, h.now).is_err());
    // The server asks for more.
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: props(vec![
            Property::AuthenticationMethod("TOKEN".into()),
            Property::AuthenticationData(Bytes::from_static(b"nonce")),
        ]),
    }));
    assert!(matches!(&h.events()[..], [Event::AuthChallenge { .. }]));
    h.s.auth(Some(Bytes::from_static(b"signed")), false, h.now)
        .unwrap();
    let sent = h.sent();
    assert!(
        matches!(&sent[..], [Packet::Auth(a)] if a.code == ReasonCode::CONTINUE_AUTHENTICATION)
    );
    // Messages keep flowing during re-authentication.
    h.recv(Packet::Publish(Publish::new("t", "x")));
    assert_eq!(h.messages().len(), 1);
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::SUCCESS,
        properties: props(vec![Property::AuthenticationMethod("TOKEN".into())]),
    }));
    assert!(matches!(&h.events()[..], [Event::Reauthenticated { .. }]));
    assert!(h.s.is_connected());
    // And it can happen again; this time the server answers with the short AUTH Success
    // (no reason code, no properties).
    assert!(h.s.auth(None, true, h.now).is_ok());
    let _ = h.sent();
    h.s.handle_bytes(&[0xf0, 0x00], h.now);
    assert!(matches!(&h.events()[..], [Event::Reauthenticated { .. }]));
    // No answer to a re-authentication in time ends the connection.
    h.s.auth(None, true, h.now).unwrap();
    h.advance(Duration::from_secs(30));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ConnectTimeout)]
    );
}

#[test]
fn reauthentication_refused_by_server_disconnect() {
    let mut o = Options::new(Protocol::V5, "t");
    o.authentication_method = Some("TOKEN".into());
    let mut h = Harness::new(o);
    h.up(Properties::new());
    h.s.auth(None, true, h.now).unwrap();
    let _ = h.sent();
    h.recv(Packet::Disconnect(Disconnect {
        code: ReasonCode::NOT_AUTHORIZED,
        properties: Properties::new(),
    }));
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ByServer { code, .. })] if *code == ReasonCode::NOT_AUTHORIZED
    ));
}

#[test]
fn request_response_helpers() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.request(
        "svc/req",
        "ping",
        QoS::AtMostOnce,
        "me/resp",
        Bytes::from_static(b"c1"),
        h.now,
    )
    .unwrap();
    let Packet::Publish(req) = h.sent().remove(0) else {
        panic!()
    };
    assert_eq!(
        req.properties.response_topic().map(|s| s.as_str()),
        Some("me/resp")
    );
    h.s.respond(&req, "pong", QoS::AtLeastOnce, h.now).unwrap();
    let Packet::Publish(resp) = h.sent().remove(0) else {
        panic!()
    };
    assert_eq!(resp.topic, "me/resp");
    assert_eq!(resp.qos, QoS::AtLeastOnce);
    assert_eq!(
        resp.properties.correlation_data().map(|b| &b[..]),
        Some(&b"c1"[..])
    );
    // No Response Topic, nothing to answer; a wildcard Response Topic is not a topic.
    assert!(h
        .s
        .respond(&Publish::new("x", "y"), "z", QoS::AtMostOnce, h.now)
        .is_err());
    assert!(matches!(
        h.s.request("a", "b", QoS::AtMostOnce, "r/#", Bytes::new(), h.now),
        Err(SessionError::InvalidTopic(_))
    ));
}

#[test]
fn subscription_identifiers_map_back_to_filters() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let a =
        h.s.subscribe(vec![Subscription::new("dev/+/t", QoS::AtMostOnce)], h.now)
            .unwrap();
    let b =
        h.s.subscribe(
            vec![
                Subscription::new("dev/#", QoS::AtMostOnce),
                Subscription::new("x", QoS::AtMostOnce),
            ],
            h.now,
        )
        .unwrap();
    let sent = h.sent();
    let idents: Vec<u32> = sent
        .iter()
        .map(|p| match p {
            Packet::Subscribe(s) => s.properties.subscription_identifiers().next().unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_ne!(idents[0], idents[1]);
    for (pid, n) in [(a, 1), (b, 2)] {
        h.recv(Packet::SubAck(SubAck {
            packet_id: pid,
            properties: Properties::new(),
            codes: vec![ReasonCode::SUCCESS; n],
        }));
    }
    let _ = h.events();
    // Overlapping subscriptions: the server lists both identifiers.
    let mut p = Publish::new("dev/1/t", "x");
    p.properties
        .push(Property::SubscriptionIdentifier(idents[0]));
    p.properties
        .push(Property::SubscriptionIdentifier(idents[1]));
    h.recv(Packet::Publish(p));
    let ev = h.events();
    let [Event::Message { subscriptions, .. }] = &ev[..] else {
        panic!("{ev:?}")
    };
    let subscriptions: Vec<&str> = subscriptions.iter().map(|s| s.as_str()).collect();
    assert_eq!(subscriptions, ["dev/+/t", "dev/#", "x"]);
    // After UNSUBSCRIBE the identifier no longer names the filter.
    let u = h.s.unsubscribe(vec!["dev/+/t".into()], h.now).unwrap();
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: u,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    let _ = h.events();
    let mut p = Publish::new("dev/1/t", "x");
    p.properties
        .push(Property::SubscriptionIdentifier(idents[0]));
    h.recv(Packet::Publish(p));
    assert!(
        matches!(&h.events()[..], [Event::Message { subscriptions, .. }] if subscriptions.is_empty())
    );
}

#[test]
fn subscription_identifier_resolved_before_suback() {
    // The server may send matching messages (retained ones, say) before SUBACK.
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.subscribe(vec![Subscription::new("r/#", QoS::AtMostOnce)], h.now)
        .unwrap();
    let Packet::Subscribe(s) = h.sent().remove(0) else {
        panic!()
    };
    let ident = s.properties.subscription_identifiers().next().unwrap();
    let mut p = Publish::new("r/1", "retained");
    p.retain = true;
    p.properties.push(Property::SubscriptionIdentifier(ident));
    h.recv(Packet::Publish(p));
    assert!(
        matches!(&h.events()[..], [Event::Message { subscriptions, .. }] if subscriptions[..] == [ByteStr::from("r/#")])
    );
}

#[test]
fn user_subscription_identifier_kept() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.subscribe_with(
        vec![Subscription::new("a", QoS::AtMostOnce)],
        props(vec![Property::SubscriptionIdentifier(77)]),
        h.now,
    )
    .unwrap();
    let Packet::Subscribe(s) = h.sent().remove(0) else {
        panic!()
    };
    assert_eq!(
        s.properties.subscription_identifiers().collect::<Vec<_>>(),
        [77]
    );
}

#[test]
fn subscription_identifiers_left_out_when_the_server_has_none() {
    let mut h = Harness::v5();
    // Made before the CONNACK that says so.
    h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now)
        .unwrap();
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(
        false,
        props(vec![Property::SubscriptionIdentifierAvailable(0)]),
    );
    let sent = h.sent();
    let [Packet::Subscribe(s)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert!(s.properties.is_empty());
    // Made after: none assigned, and one given is refused.
    h.s.subscribe(vec![Subscription::new("b", QoS::AtMostOnce)], h.now)
        .unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Subscribe(s)] if s.properties.is_empty()));
    assert!(matches!(
        h.s.subscribe_with(
            vec![Subscription::new("c", QoS::AtMostOnce)],
            props(vec![Property::SubscriptionIdentifier(5)]),
            h.now
        ),
        Err(SessionError::NotAllowed(_))
    ));
}

#[test]
fn wildcard_and_shared_subscriptions_refused_when_the_server_says_so() {
    let mut h = Harness::v5();
    h.up(props(vec![
        Property::WildcardSubscriptionAvailable(0),
        Property::SharedSubscriptionAvailable(0),
    ]));
    for f in ["a/+", "a/#", "$share/g/a"] {
        assert!(
            matches!(
                h.s.subscribe(vec![Subscription::new(f, QoS::AtMostOnce)], h.now),
                Err(SessionError::NotAllowed(_))
            ),
            "{f}"
        );
    }
    assert!(h
        .s
        .subscribe(vec![Subscription::new("a/b", QoS::AtMostOnce)], h.now)
        .is_ok());
}

#[test]
fn subscribe_while_offline_is_sent_on_connect() {
    let mut h = Harness::v5();
    let sid =
        h.s.subscribe(vec![Subscription::new("a", QoS::AtLeastOnce)], h.now)
            .unwrap();
    let uid = h.s.unsubscribe(vec!["b".into()], h.now).unwrap();
    assert!(h.sent().is_empty());
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(false, Properties::new());
    let sent = h.sent();
    assert!(
        matches!(&sent[..], [Packet::Subscribe(s), Packet::Unsubscribe(u)] if s.packet_id == sid && u.packet_id == uid)
    );
}

#[test]
fn unsubscribe_flow_v311_and_v5() {
    for v in [Protocol::V3_1_1, Protocol::V5] {
        let mut h = Harness::new(Options::new(v, "t"));
        h.up(Properties::new());
        let s =
            h.s.subscribe(
                vec![
                    Subscription::new("a", QoS::AtMostOnce),
                    Subscription::new("b", QoS::AtMostOnce),
                ],
                h.now,
            )
            .unwrap();
        h.recv(Packet::SubAck(SubAck {
            packet_id: s,
            properties: Properties::new(),
            codes: vec![ReasonCode::SUCCESS; 2],
        }));
        assert_eq!(h.s.subscriptions().count(), 2);
        let u =
            h.s.unsubscribe(vec!["a".into(), "b".into()], h.now)
                .unwrap();
        let sent = h.sent();
        assert!(
            matches!(&sent[1], Packet::Unsubscribe(x) if x.packet_id == u && x.filters.len() == 2)
        );
        let codes = if v.is_v5() {
            vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED]
        } else {
            vec![]
        };
        h.recv(Packet::UnsubAck(UnsubAck {
            packet_id: u,
            properties: Properties::new(),
            codes: codes.clone(),
        }));
        let ev = h.events();
        assert!(
            matches!(&ev[..], [Event::Subscribed { .. }, Event::Unsubscribed { packet_id, codes: c, .. }] if *packet_id == u && *c == codes),
            "{v}: {ev:?}"
        );
        assert_eq!(h.s.subscriptions().count(), 0);
        // The identifier is free again.
        assert_eq!(h.s.pending(), (0, 0));
    }
}

#[test]
fn refused_unsubscribe_keeps_the_subscription() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let s =
        h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now)
            .unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    let u = h.s.unsubscribe(vec!["a".into()], h.now).unwrap();
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: u,
        properties: Properties::new(),
        codes: vec![ReasonCode::NOT_AUTHORIZED],
    }));
    assert_eq!(h.s.subscriptions().count(), 1);
}

#[test]
fn refused_subscription_not_held() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let s =
        h.s.subscribe(
            vec![
                Subscription::new("ok", QoS::AtLeastOnce),
                Subscription::new("no", QoS::AtLeastOnce),
            ],
            h.now,
        )
        .unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::GRANTED_QOS_1, ReasonCode::NOT_AUTHORIZED],
    }));
    let held: Vec<&str> = h.s.subscriptions().map(|s| s.filter.as_str()).collect();
    assert_eq!(held, ["ok"]);
}

#[test]
fn failed_resubscription_is_forgotten() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let s =
        h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now)
            .unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    let _ = h.sent();
    let _ = h.lose();
    h.reconnect(false, Properties::new());
    let Packet::Subscribe(again) = h.sent().remove(0) else {
        panic!()
    };
    h.recv(Packet::SubAck(SubAck {
        packet_id: again.packet_id,
        properties: Properties::new(),
        codes: vec![ReasonCode::NOT_AUTHORIZED],
    }));
    assert_eq!(h.s.subscriptions().count(), 0);
}

#[test]
fn suback_answering_an_unsubscribe_is_a_protocol_error_and_the_request_survives() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let u = h.s.unsubscribe(vec!["a".into()], h.now).unwrap();
    let _ = h.sent();
    h.recv(Packet::SubAck(SubAck {
        packet_id: u,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    h.expect_protocol_error(0x82);
    // Still pending: sent again on the next connection, answered properly.
    h.reconnect(true, Properties::new());
    let sent = h.sent();
    assert!(matches!(&sent[..], [Packet::Unsubscribe(x)] if x.packet_id == u));
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: u,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    assert!(matches!(&h.events()[1..], [Event::Unsubscribed { .. }]));
    assert_eq!(h.s.pending(), (0, 0));
}

#[test]
fn unsuback_answering_a_subscribe_is_a_protocol_error() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let s =
        h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now)
            .unwrap();
    let _ = h.sent();
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    h.expect_protocol_error(0x82);
}

#[test]
fn suback_with_the_wrong_number_of_codes_is_a_protocol_error() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let s =
        h.s.subscribe(
            vec![
                Subscription::new("a", QoS::AtMostOnce),
                Subscription::new("b", QoS::AtMostOnce),
            ],
            h.now,
        )
        .unwrap();
    let _ = h.sent();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    h.expect_protocol_error(0x82);
    // And UNSUBACK (5.0).
    let mut h = Harness::v5();
    h.up(Properties::new());
    let u = h.s.unsubscribe(vec!["a".into()], h.now).unwrap();
    let _ = h.sent();
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: u,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS, ReasonCode::SUCCESS],
    }));
    h.expect_protocol_error(0x82);
}
