//! Deterministic tests of the session: a fake clock and a scripted broker.
// Tests may panic on a failed expectation; that is how they report it. The fake clock needs
// one real instant to start from; after that it only moves when a test advances it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

use bytes::{Bytes, BytesMut};
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

/// A session and the broker's view of it.
struct Harness {
    s: Session,
    now: Instant,
    v: Protocol,
}

impl Harness {
    fn new(opts: Options) -> Harness {
        let v = opts.protocol;
        Harness {
            s: Session::new(opts),
            now: Instant::now(),
            v,
        }
    }

    fn v5() -> Harness {
        Harness::new(Options::new(Protocol::V5, "t"))
    }

    /// What the session sent since the last call, decoded as a server would.
    fn sent(&mut self) -> Vec<Packet> {
        let mut buf = BytesMut::new();
        while let Some(b) = self.s.poll_transmit() {
            buf.extend_from_slice(&b);
        }
        let mut d = Decoder::new(self.v);
        let mut out = Vec::new();
        while let Some(p) = d.decode(&mut buf).unwrap() {
            out.push(p);
        }
        assert!(buf.is_empty());
        out
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    /// The broker sends `p`.
    fn recv(&mut self, p: Packet) {
        let bytes = p.to_bytes(self.v).unwrap();
        self.s.handle_bytes(&bytes, self.now);
    }

    fn connack(&mut self, session_present: bool, properties: Properties) {
        self.recv(Packet::ConnAck(ConnAck {
            session_present,
            code: ReasonCode::SUCCESS,
            properties,
        }));
    }

    /// Connects and accepts, discarding CONNECT and the Connected event.
    fn up(&mut self, properties: Properties) {
        self.s.connect(self.now);
        let sent = self.sent();
        assert!(matches!(sent[..], [Packet::Connect(_)]));
        self.connack(false, properties);
        assert!(matches!(self.events()[..], [Event::Connected { .. }]));
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.s.handle_timeout(self.now);
    }
}

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

fn publishes(packets: &[Packet]) -> Vec<(Option<u16>, bool, String)> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some((
                p.packet_id.map(PacketId::get),
                p.dup,
                String::from_utf8(p.payload.to_vec()).unwrap(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn connect_sends_configured_connect() {
    let mut o = Options::new(Protocol::V5, "dev-1");
    o.keep_alive = 30;
    o.session_expiry = 3600;
    o.topic_alias_maximum = 10;
    o.username = Some("u".into());
    o.password = Some(Bytes::from_static(b"p"));
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(c.client_id, "dev-1");
    assert_eq!(c.keep_alive, 30);
    assert!(c.clean_start);
    assert_eq!(c.properties.session_expiry_interval(), Some(3600));
    assert_eq!(c.properties.topic_alias_maximum(), Some(10));
    assert_eq!(c.username.as_deref(), Some("u"));
}

#[test]
fn keepalive_sends_pingreq_and_ping_timeout_ends_connection() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.keep_alive = 10;
    o.ping_timeout = Duration::from_secs(5);
    let mut h = Harness::new(o);
    h.up(Properties::new());
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    h.advance(Duration::from_secs(9));
    assert!(h.sent().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.sent(), [Packet::PingReq]);
    // PINGRESP in time: the connection lives on and the next ping is 10 s after the last.
    h.recv(Packet::PingResp);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.sent(), [Packet::PingReq]);
    // No answer this time.
    h.advance(Duration::from_secs(5));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::PingTimeout)]
    );
    assert!(!h.s.is_connected());
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn server_keep_alive_overrides_ours() {
    let mut h = Harness::v5();
    let mut p = Properties::new();
    p.push(Property::ServerKeepAlive(5));
    h.up(p);
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(5)));
}

#[test]
fn connack_timeout() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    h.advance(Duration::from_secs(30));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ConnectTimeout)]
    );
}

#[test]
fn qos1_and_qos2_outgoing_flows() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let a =
        h.s.publish("a", "1", QoS::AtLeastOnce, false, h.now)
            .unwrap()
            .unwrap();
    let b =
        h.s.publish("b", "2", QoS::ExactlyOnce, false, h.now)
            .unwrap()
            .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        publishes(&h.sent()),
        [
            (Some(a.get()), false, "1".into()),
            (Some(b.get()), false, "2".into())
        ]
    );
    h.recv(Packet::PubAck(PubResponse::new(a)));
    h.recv(Packet::PubRec(PubResponse::new(b)));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(b))]);
    h.recv(Packet::PubComp(PubResponse::new(b)));
    let ev = h.events();
    assert!(
        matches!(&ev[..], [Event::Published { packet_id: x, .. }, Event::Published { packet_id: y, .. }] if *x == a && *y == b)
    );
    assert_eq!(h.s.pending(), (0, 0));
}

#[test]
fn redelivery_in_order_with_dup_after_reconnect() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let ids: Vec<_> = (0..4)
        .map(|i| {
            h.s.publish(
                "t",
                format!("m{i}"),
                if i % 2 == 0 {
                    QoS::AtLeastOnce
                } else {
                    QoS::ExactlyOnce
                },
                false,
                h.now,
            )
            .unwrap()
            .unwrap()
        })
        .collect();
    let _ = h.sent();
    // m1 (QoS 2) got PUBREC, so after reconnect it needs PUBREL, not PUBLISH.
    h.recv(Packet::PubRec(PubResponse::new(ids[1])));
    let _ = h.sent();
    h.s.connection_lost(h.now);
    // Published while offline: queued behind the in-flight ones.
    let late =
        h.s.publish("t", "m4", QoS::AtLeastOnce, false, h.now)
            .unwrap()
            .unwrap();
    let _ = h.events();
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert!(!c.clean_start, "a reconnect resumes the session");
    h.connack(true, Properties::new());
    let sent = h.sent();
    assert_eq!(
        publishes(&sent),
        [
            (Some(ids[0].get()), true, "m0".into()),
            (Some(ids[2].get()), true, "m2".into()),
            (Some(ids[3].get()), true, "m3".into()),
            (Some(late.get()), false, "m4".into()),
        ]
    );
    assert!(sent.contains(&Packet::PubRel(PubResponse::new(ids[1]))));
}

#[test]
fn lost_session_republishes_and_resubscribes() {
    let mut h = Harness::new(Options::new(Protocol::V3_1_1, "t"));
    h.up(Properties::new());
    let sub =
        h.s.subscribe(vec![Subscription::new("a/#", QoS::AtLeastOnce)], h.now)
            .unwrap();
    let _ = h.sent();
    h.recv(Packet::SubAck(SubAck {
        packet_id: sub,
        properties: Properties::new(),
        codes: vec![ReasonCode::new(1)],
    }));
    let m =
        h.s.publish("a/1", "x", QoS::AtLeastOnce, false, h.now)
            .unwrap()
            .unwrap();
    let _ = h.sent();
    let _ = h.events();
    h.s.connection_lost(h.now);
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(false, Properties::new());
    let sent = h.sent();
    assert_eq!(
        publishes(&sent),
        [(Some(m.get()), false, "x".into())],
        "sent again as new"
    );
    let Some(Packet::Subscribe(s)) = sent.iter().find(|p| matches!(p, Packet::Subscribe(_))) else {
        panic!("no resubscribe")
    };
    assert_eq!(
        s.subscriptions,
        [Subscription::new("a/#", QoS::AtLeastOnce)]
    );
    h.recv(Packet::SubAck(SubAck {
        packet_id: s.packet_id,
        properties: Properties::new(),
        codes: vec![ReasonCode::new(1)],
    }));
    assert!(h.events().iter().any(|e| matches!(
        e,
        Event::Subscribed {
            resubscribe: true,
            ..
        }
    )));
}

#[test]
fn incoming_qos2_duplicates_are_suppressed() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut p = Publish::new("x", "once");
    p.qos = QoS::ExactlyOnce;
    p.packet_id = Some(id(7));
    h.recv(Packet::Publish(p.clone()));
    assert_eq!(h.sent(), [Packet::PubRec(PubResponse::new(id(7)))]);
    // The broker did not see our PUBREC and sends it again with DUP.
    p.dup = true;
    h.recv(Packet::Publish(p.clone()));
    assert_eq!(h.sent(), [Packet::PubRec(PubResponse::new(id(7)))]);
    h.recv(Packet::PubRel(PubResponse::new(id(7))));
    assert_eq!(h.sent(), [Packet::PubComp(PubResponse::new(id(7)))]);
    let messages = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Message { .. }))
        .count();
    assert_eq!(messages, 1);
}

#[test]
fn receive_maximum_2_holds_back_the_third_publish() {
    let mut h = Harness::v5();
    let mut p = Properties::new();
    p.push(Property::ReceiveMaximum(2));
    h.up(p);
    let ids: Vec<_> = (0..3)
        .map(|i| {
            h.s.publish("t", format!("{i}"), QoS::AtLeastOnce, false, h.now)
                .unwrap()
                .unwrap()
        })
        .collect();
    assert_eq!(publishes(&h.sent()).len(), 2);
    assert_eq!(h.s.pending(), (1, 2));
    h.recv(Packet::PubAck(PubResponse::new(ids[0])));
    assert_eq!(
        publishes(&h.sent()),
        [(Some(ids[2].get()), false, "2".into())]
    );
}

#[test]
fn outgoing_topic_aliases_capped_at_server_maximum() {
    let mut h = Harness::v5();
    let mut p = Properties::new();
    p.push(Property::TopicAliasMaximum(2));
    h.up(p);
    for t in ["a", "b", "c", "a", "b", "c"] {
        h.s.publish(t, "x", QoS::AtMostOnce, false, h.now).unwrap();
    }
    let sent: Vec<(String, Option<u16>)> = h
        .sent()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.topic.to_string(), p.properties.topic_alias()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("a".into(), Some(1)),
            ("b".into(), Some(2)),
            ("c".into(), None),
            ("".into(), Some(1)),
            ("".into(), Some(2)),
            ("c".into(), None),
        ]
    );
    // Aliases belong to one connection: after a reconnect they start again.
    h.s.connection_lost(h.now);
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(false, {
        let mut p = Properties::new();
        p.push(Property::TopicAliasMaximum(2));
        p
    });
    h.s.publish("a", "x", QoS::AtMostOnce, false, h.now)
        .unwrap();
    let Packet::Publish(p) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(
        (p.topic.as_str(), p.properties.topic_alias()),
        ("a", Some(1))
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
    let topics: Vec<String> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Message { publish, .. } => Some(publish.topic.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(topics, ["long/topic", "long/topic"]);
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
    let Packet::Disconnect(d) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(d.code, ReasonCode::PROTOCOL_ERROR);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ProtocolError { .. })]
    ));
}

#[test]
fn malformed_connack_disconnects_with_0x81() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    // CONNACK with reserved flag bits set.
    h.s.handle_bytes(&[0x20, 0x03, 0x02, 0x00, 0x00], h.now);
    let Packet::Disconnect(d) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(d.code, ReasonCode::MALFORMED_PACKET);
    let ev = h.events();
    let [Event::Disconnected(DisconnectReason::ProtocolError {
        code,
        decode_error: Some(e),
        ..
    })] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*code, ReasonCode::MALFORMED_PACKET);
    assert_eq!(*e, DecodeError::InvalidConnAckFlags);
}

#[test]
fn refused_connack_surfaces_reason_and_redirect() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    let mut p = Properties::new();
    p.push(Property::ServerReference("other:1883".into()));
    h.recv(Packet::ConnAck(ConnAck {
        session_present: false,
        code: ReasonCode::USE_ANOTHER_SERVER,
        properties: p,
    }));
    let ev = h.events();
    let [Event::Disconnected(r)] = &ev[..] else {
        panic!()
    };
    assert_eq!(r.server_reference().map(|s| s.as_str()), Some("other:1883"));
}

#[test]
fn packet_too_large_from_server_is_0x95() {
    let mut o = Options::new(Protocol::V5, "t");
    o.maximum_packet_size = Some(64);
    let mut h = Harness::new(o);
    h.up(Properties::new());
    h.recv(Packet::Publish(Publish::new("t", vec![0u8; 100])));
    let Packet::Disconnect(d) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(d.code, ReasonCode::PACKET_TOO_LARGE);
}

#[test]
fn publish_over_server_maximum_packet_size_is_refused() {
    let mut h = Harness::v5();
    let mut p = Properties::new();
    p.push(Property::MaximumPacketSize(50));
    h.up(p);
    let e =
        h.s.publish("t", vec![0u8; 100], QoS::AtLeastOnce, false, h.now)
            .unwrap_err();
    assert!(matches!(e, SessionError::PacketTooLarge { max: 50, .. }));
    assert!(h.sent().is_empty());
}

#[test]
fn subscription_identifiers_map_back_to_filters() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let sid =
        h.s.subscribe(vec![Subscription::new("dev/+/t", QoS::AtMostOnce)], h.now)
            .unwrap();
    let Packet::Subscribe(s) = &h.sent()[0] else {
        panic!()
    };
    let ident = s.properties.subscription_identifiers().next().unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: sid,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    let mut p = Publish::new("dev/1/t", "x");
    p.properties.push(Property::SubscriptionIdentifier(ident));
    h.recv(Packet::Publish(p));
    let ev = h.events();
    let Some(Event::Message { subscriptions, .. }) =
        ev.iter().find(|e| matches!(e, Event::Message { .. }))
    else {
        panic!()
    };
    assert_eq!(subscriptions, &[ByteStr::from("dev/+/t")]);
}

#[test]
fn offline_queue_policy() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.queue_limit = 2;
    let mut h = Harness::new(o);
    h.s.publish("t", "q0", QoS::AtMostOnce, false, h.now)
        .unwrap();
    h.s.publish("t", "q1", QoS::AtLeastOnce, false, h.now)
        .unwrap();
    // Full: the QoS 0 message makes room.
    h.s.publish("t", "q1b", QoS::AtLeastOnce, false, h.now)
        .unwrap();
    assert!(matches!(&h.events()[..], [Event::Dropped { .. }]));
    // Full of QoS 1: refused, nothing dropped.
    assert_eq!(
        h.s.publish("t", "x", QoS::AtLeastOnce, false, h.now),
        Err(SessionError::QueueFull)
    );
    h.up(Properties::new());
    assert_eq!(
        publishes(&h.sent())
            .iter()
            .map(|p| p.2.clone())
            .collect::<Vec<_>>(),
        ["q1", "q1b"]
    );
}

#[test]
fn invalid_user_input_is_refused_clearly() {
    let mut h = Harness::v5();
    assert!(matches!(
        h.s.publish("a/+", "x", QoS::AtMostOnce, false, h.now),
        Err(SessionError::InvalidTopic(_))
    ));
    assert!(matches!(
        h.s.publish("", "x", QoS::AtMostOnce, false, h.now),
        Err(SessionError::InvalidTopic(_))
    ));
    assert!(matches!(
        h.s.subscribe(vec![Subscription::new("a/#/b", QoS::AtMostOnce)], h.now),
        Err(SessionError::InvalidFilter(_))
    ));
}

#[test]
fn server_maximum_qos_enforced() {
    let mut h = Harness::v5();
    let mut p = Properties::new();
    p.push(Property::MaximumQoS(1));
    h.up(p);
    assert_eq!(
        h.s.publish("t", "x", QoS::ExactlyOnce, false, h.now),
        Err(SessionError::QoSNotSupported)
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
    let mut p = Properties::new();
    p.push(Property::AuthenticationMethod("SCRAM-SHA-1".into()));
    p.push(Property::AuthenticationData(Bytes::from_static(
        b"server-first",
    )));
    h.recv(Packet::Auth(Auth {
        code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: p,
    }));
    let ev = h.events();
    assert!(
        matches!(&ev[..], [Event::AuthChallenge { data: Some(d), .. }] if &d[..] == b"server-first")
    );
    h.s.auth(Some(Bytes::from_static(b"client-final")), false, h.now)
        .unwrap();
    let Packet::Auth(a) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(a.code, ReasonCode::CONTINUE_AUTHENTICATION);
    h.connack(false, Properties::new());
    assert!(matches!(&h.events()[..], [Event::Connected { .. }]));
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
    h.s.respond(&req, "pong", QoS::AtMostOnce, h.now).unwrap();
    let Packet::Publish(resp) = h.sent().remove(0) else {
        panic!()
    };
    assert_eq!(resp.topic, "me/resp");
    assert_eq!(
        resp.properties.correlation_data().map(|b| &b[..]),
        Some(&b"c1"[..])
    );
}

#[test]
fn snapshot_restores_in_flight_state() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o.clone());
    h.up(Properties::new());
    let a =
        h.s.publish("t", "a", QoS::AtLeastOnce, false, h.now)
            .unwrap()
            .unwrap();
    let mut p = Publish::new("in", "x");
    p.qos = QoS::ExactlyOnce;
    p.packet_id = Some(id(9));
    h.recv(Packet::Publish(p.clone()));
    let bytes = h.s.snapshot().to_bytes();
    let snap = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(snap, h.s.snapshot());
    let mut h2 = Harness {
        s: Session::restore(o, snap),
        now: h.now,
        v: Protocol::V5,
    };
    h2.s.connect(h2.now);
    let Packet::Connect(c) = &h2.sent()[0] else {
        panic!()
    };
    assert!(!c.clean_start);
    h2.connack(true, Properties::new());
    assert_eq!(publishes(&h2.sent()), [(Some(a.get()), true, "a".into())]);
    // The QoS 2 message delivered before the reload is not delivered again.
    p.dup = true;
    h2.recv(Packet::Publish(p));
    assert!(!h2
        .events()
        .iter()
        .any(|e| matches!(e, Event::Message { .. })));
    assert!(Snapshot::from_bytes(b"garbage").is_err());
}

#[test]
fn garbage_from_server_never_panics() {
    let mut seed = 0x1234_5678u32;
    for _ in 0..2000 {
        let mut h = Harness::v5();
        h.up(Properties::new());
        let len = (seed % 64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        h.s.handle_bytes(&bytes, h.now);
        let _ = h.sent();
        let _ = h.events();
    }
}
