//! Deterministic tests of the session: connection lifecycle, keepalive, and how the server's
//! protocol violations end a connection. A fake clock and a scripted broker (see
//! `common_session`). QoS flows are in `session_qos.rs`, 5.0 features in `session_v5.rs`,
//! 3.x in `session_v3.rs`, snapshots in `session_snapshot.rs`, property tests in
//! `session_prop.rs`, and a lossy-link simulation in `session_loss.rs`.
// Tests may panic on a failed expectation; that is how they report it. The fake clock needs
// one real instant to start from; after that it only moves when a test advances it.
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

#[test]
fn connect_sends_configured_connect() {
    let mut o = Options::new(Protocol::V5, "dev-1");
    o.keep_alive = 30;
    o.session_expiry = 3600;
    o.topic_alias_maximum = 10;
    o.receive_maximum = 20;
    o.maximum_packet_size = Some(4096);
    o.request_response_information = true;
    o.request_problem_information = Some(false);
    o.user_properties = vec![("k".into(), "v".into())];
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
    let p = &c.properties;
    assert_eq!(p.session_expiry_interval(), Some(3600));
    assert_eq!(p.topic_alias_maximum(), Some(10));
    assert_eq!(p.receive_maximum(), Some(20));
    assert_eq!(p.maximum_packet_size(), Some(4096));
    assert_eq!(
        p.get(PropertyId::RequestResponseInformation),
        Some(&Property::RequestResponseInformation(1))
    );
    assert_eq!(
        p.get(PropertyId::RequestProblemInformation),
        Some(&Property::RequestProblemInformation(0))
    );
    assert_eq!(p.user_properties().count(), 1);
    assert_eq!(c.username.as_deref(), Some("u"));
    assert_eq!(c.password.as_deref(), Some(&b"p"[..]));
}

#[test]
fn defaults_leave_optional_connect_properties_out() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert!(c.properties.is_empty(), "{:?}", c.properties);
    assert!(c.will.is_none() && c.username.is_none() && c.password.is_none());
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
fn ping_timeout_not_postponed_by_a_shorter_keep_alive() {
    // Keep alive 2 s, ping timeout 5 s: PINGREQs go every 2 s, but the deadline runs from
    // the first unanswered one.
    let mut o = Options::new(Protocol::V5, "t");
    o.keep_alive = 2;
    o.ping_timeout = Duration::from_secs(5);
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let mut pings = 0;
    for _ in 0..10 {
        let next = h.s.poll_timeout().expect("a timer while connected");
        h.now = next;
        h.s.handle_timeout(h.now);
        pings += h.sent().len();
        if !h.s.is_connected() {
            break;
        }
    }
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::PingTimeout)]
    );
    assert_eq!(pings, 3, "PINGREQ at 2, 4 and 6 s; timeout at 7 s");
}

#[test]
fn keep_alive_restarts_after_any_write() {
    let mut o = Options::new(Protocol::V5, "t");
    o.keep_alive = 10;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    h.advance(Duration::from_secs(6));
    h.s.publish("t", "x", QoS::AtMostOnce, false, h.now)
        .unwrap();
    let _ = h.sent();
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    h.advance(Duration::from_secs(9));
    assert!(h.sent().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.sent(), [Packet::PingReq]);
}

#[test]
fn any_packet_from_the_server_answers_a_ping() {
    let mut o = Options::new(Protocol::V5, "t");
    o.keep_alive = 10;
    o.ping_timeout = Duration::from_secs(5);
    let mut h = Harness::new(o);
    h.up(Properties::new());
    h.advance(Duration::from_secs(10));
    assert_eq!(h.sent(), [Packet::PingReq]);
    h.recv(Packet::Publish(Publish::new("t", "x")));
    h.advance(Duration::from_secs(5));
    assert!(h.s.is_connected());
}

#[test]
fn server_keep_alive_overrides_ours() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::ServerKeepAlive(5)]));
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(5)));
    h.advance(Duration::from_secs(5));
    assert_eq!(h.sent(), [Packet::PingReq]);
}

#[test]
fn server_keep_alive_zero_turns_pings_off() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::ServerKeepAlive(0)]));
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn keep_alive_zero_sends_no_pings() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.keep_alive = 0;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn connack_timeout() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(30)));
    h.advance(Duration::from_secs(30));
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::ConnectTimeout)]
    );
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn second_connack_is_protocol_error() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.connack(false, Properties::new());
    let msg = h.expect_protocol_error(0x82);
    assert!(msg.contains("CONNACK"), "{msg}");
}

#[test]
fn publish_before_connack_is_protocol_error() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::Publish(Publish::new("t", "early")));
    let msg = h.expect_protocol_error(0x82);
    assert!(msg.contains("before CONNACK"), "{msg}");
}

#[test]
fn packets_only_a_client_sends_are_protocol_errors() {
    let subscribe = Packet::Subscribe(Subscribe {
        packet_id: id(1),
        properties: Properties::new(),
        subscriptions: vec![Subscription::new("a", QoS::AtMostOnce)],
    });
    let connect = Packet::Connect(Box::new(Connect::new(Protocol::V5, "x")));
    for p in [Packet::PingReq, subscribe, connect] {
        let mut h = Harness::v5();
        h.up(Properties::new());
        h.recv(p);
        h.expect_protocol_error(0x82);
    }
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
fn connack_with_protocol_error_property_is_0x82() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    // CONNACK with Receive Maximum 0: a Protocol Error [3.2.2.3.3].
    h.s.handle_bytes(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00], h.now);
    h.expect_protocol_error(0x82);
}

#[test]
fn refused_connack_surfaces_reason_and_redirect() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::ConnAck(ConnAck {
        session_present: false,
        code: ReasonCode::USE_ANOTHER_SERVER,
        properties: props(vec![Property::ServerReference("other:1883".into())]),
    }));
    let ev = h.events();
    let [Event::Disconnected(r)] = &ev[..] else {
        panic!()
    };
    assert!(matches!(r, DisconnectReason::Refused { code, .. } if code.get() == 0x9C));
    assert_eq!(r.server_reference().map(|s| s.as_str()), Some("other:1883"));
    assert!(h.sent().is_empty(), "nothing is sent after a refusal");
}

#[test]
fn server_disconnect_with_server_moved_surfaces_reference() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::Disconnect(Disconnect {
        code: ReasonCode::SERVER_MOVED,
        properties: props(vec![
            Property::ServerReference("new.example:8883".into()),
            Property::ReasonString("moving".into()),
        ]),
    }));
    let ev = h.events();
    let [Event::Disconnected(r @ DisconnectReason::ByServer { properties, .. })] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        r.server_reference().map(|s| s.as_str()),
        Some("new.example:8883")
    );
    assert_eq!(
        properties.reason_string().map(|s| s.as_str()),
        Some("moving")
    );
    assert!(!h.s.is_connected());
    assert!(h.sent().is_empty(), "no DISCONNECT in answer to one");
}

#[test]
fn every_server_disconnect_reason_surfaced() {
    let mut seen = 0;
    for code in 0..=255u8 {
        let code = ReasonCode::new(code);
        if !code.is_valid_for(PacketType::Disconnect, Protocol::V5) {
            continue;
        }
        seen += 1;
        let mut h = Harness::v5();
        h.up(Properties::new());
        h.recv(Packet::Disconnect(Disconnect {
            code,
            properties: Properties::new(),
        }));
        let ev = h.events();
        assert!(
            matches!(&ev[..], [Event::Disconnected(DisconnectReason::ByServer { code: c, .. })] if *c == code),
            "{code:?}: {ev:?}"
        );
        // A redirect without a Server Reference has nowhere to point.
        if let [Event::Disconnected(r)] = &ev[..] {
            assert_eq!(r.server_reference(), None);
        }
    }
    assert!(seen >= 28, "{seen} DISCONNECT codes");
}

#[test]
fn server_disconnect_during_connect_surfaces_reason() {
    let mut h = Harness::v5();
    h.s.connect(h.now);
    let _ = h.sent();
    h.recv(Packet::Disconnect(Disconnect {
        code: ReasonCode::SERVER_BUSY,
        properties: Properties::new(),
    }));
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ByServer { code, .. })] if *code == ReasonCode::SERVER_BUSY
    ));
}

#[test]
fn bytes_split_anywhere_decode_the_same() {
    let mut stream = Vec::new();
    for p in [
        Packet::ConnAck(ConnAck::default()),
        Packet::Publish(incoming("a/b", "one", QoS::AtLeastOnce, 1)),
        Packet::Publish(incoming("a/c", "two", QoS::AtMostOnce, 0)),
        Packet::PingResp,
    ] {
        stream.extend_from_slice(&p.to_bytes(Protocol::V5).unwrap());
    }
    // Both ways in: a slice the session copies, and room the transport writes into.
    for written_in_place in [false, true] {
        for chunk in 1..=stream.len() {
            let mut h = Harness::v5();
            h.s.connect(h.now);
            let _ = h.sent();
            for piece in stream.chunks(chunk) {
                if written_in_place {
                    h.s.handle_bytes_with(piece.len(), |dst| dst.copy_from_slice(piece), h.now);
                } else {
                    h.s.handle_bytes(piece, h.now);
                }
            }
            let ev = h.events();
            assert_eq!(
                ev.len(),
                3,
                "chunk {chunk}, in place {written_in_place}: {ev:?}"
            );
            assert_eq!(h.sent(), [Packet::PubAck(PubResponse::new(id(1)))]);
        }
    }
}

#[test]
fn bytes_without_a_connection_are_not_asked_for() {
    let mut h = Harness::v5();
    let mut asked = false;
    h.s.handle_bytes_with(2, |_| asked = true, h.now);
    assert!(!asked);
    // Nothing was kept: the connection that follows starts from an empty buffer.
    h.up(Properties::new());
    h.s.handle_bytes_with(2, |dst| dst.copy_from_slice(&[0xd0, 0x00]), h.now);
    assert_eq!(h.events(), []);
    assert!(h.s.is_connected());
}

#[test]
fn connect_while_connected_ends_the_old_connection_first() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.s.connect(h.now);
    assert_eq!(
        h.events(),
        [Event::Disconnected(DisconnectReason::TransportLost)]
    );
    assert!(matches!(h.sent()[..], [Packet::Connect(_)]));
    h.connack(false, Properties::new());
    assert!(matches!(h.events()[..], [Event::Connected { .. }]));
}

#[test]
fn every_connection_ends_with_exactly_one_disconnected() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    assert_eq!(
        h.lose(),
        [Event::Disconnected(DisconnectReason::TransportLost)]
    );
    // Losing it again, timeouts and disconnect() do nothing more.
    assert!(h.lose().is_empty());
    h.advance(Duration::from_secs(1000));
    h.s.disconnect(ReasonCode::SUCCESS, None, h.now);
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
    // After a protocol error, the driver's connection_lost adds nothing.
    h.up(Properties::new());
    h.recv(Packet::PingReq);
    let _ = h.expect_protocol_error(0x82);
    assert!(h.lose().is_empty());
}

#[test]
fn bytes_after_the_connection_ended_are_ignored() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::Disconnect(Disconnect::default()));
    let _ = h.events();
    h.recv(Packet::Publish(Publish::new("t", "late")));
    h.s.handle_bytes(&[0xff, 0xff, 0xff], h.now);
    assert!(h.events().is_empty());
    assert!(h.sent().is_empty());
}

#[test]
fn trailing_bytes_after_a_disconnect_in_the_same_read_are_ignored() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut bytes = Packet::Disconnect(Disconnect::default())
        .to_bytes(Protocol::V5)
        .unwrap()
        .to_vec();
    bytes.extend_from_slice(
        &Packet::Publish(Publish::new("t", "x"))
            .to_bytes(Protocol::V5)
            .unwrap(),
    );
    h.s.handle_bytes(&bytes, h.now);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ByServer { .. })]
    ));
}

#[test]
fn invalid_options_end_connect_at_once() {
    // 3.1 needs a client identifier.
    let mut h = Harness::new(Options::new(Protocol::V3_1, ""));
    h.s.connect(h.now);
    assert!(h.sent().is_empty());
    let ev = h.events();
    assert!(
        matches!(
            &ev[..],
            [Event::Disconnected(DisconnectReason::InvalidOptions {
                error: EncodeError::EmptyClientId
            })]
        ),
        "{ev:?}"
    );
    assert_eq!(h.s.poll_timeout(), None);
    // Will properties need 5.0.
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.will = Some(Will {
        topic: "w".into(),
        properties: props(vec![Property::WillDelayInterval(5)]),
        ..Will::default()
    });
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    assert!(h.sent().is_empty());
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::InvalidOptions { .. })]
    ));
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
    assert!(matches!(
        h.s.subscribe(vec![], h.now),
        Err(SessionError::InvalidFilter(_))
    ));
    assert!(matches!(
        h.s.unsubscribe(vec![], h.now),
        Err(SessionError::InvalidFilter(_))
    ));
    assert!(matches!(
        h.s.auth(None, false, h.now),
        Err(SessionError::NotAllowed(_))
    ));
    assert_eq!(h.s.pending(), (0, 0));
}

#[test]
fn garbage_from_server_never_panics() {
    let mut seed = 0x1234_5678u32;
    for round in 0..2000 {
        let mut h = if round % 2 == 0 {
            Harness::v5()
        } else {
            Harness::v311()
        };
        if round % 3 == 0 {
            h.s.connect(h.now);
            let _ = h.sent();
        } else {
            h.up(Properties::new());
        }
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
        let ev = h.events();
        let ends = ev
            .iter()
            .filter(|e| matches!(e, Event::Disconnected(_)))
            .count();
        assert!(ends <= 1, "{ev:?}");
    }
}
