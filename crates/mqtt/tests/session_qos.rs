//! Deterministic session tests of QoS 1 and 2 in both directions: identifiers,
//! acknowledgements (expected and not), redelivery, Receive Maximum, the offline queue and
//! message expiry.
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

use common_session::*;
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

#[test]
fn qos1_and_qos2_outgoing_flows() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let a = h.publish("a", "1", QoS::AtLeastOnce);
    let b = h.publish("b", "2", QoS::ExactlyOnce);
    assert_ne!(a, b);
    assert_eq!(
        publishes(&h.sent()),
        [
            (Some(a.get()), false, "1".into()),
            (Some(b.get()), false, "2".into())
        ]
    );
    assert_eq!(h.s.pending(), (0, 2));
    h.recv(Packet::PubAck(PubResponse::new(a)));
    h.recv(Packet::PubRec(PubResponse::new(b)));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(b))]);
    assert_eq!(
        h.s.pending(),
        (0, 1),
        "a released QoS 2 message still counts"
    );
    h.recv(Packet::PubComp(PubResponse::new(b)));
    assert_eq!(published(&h.events()), [(a.get(), 0), (b.get(), 0)]);
    assert_eq!(h.s.pending(), (0, 0));
}

#[test]
fn qos0_is_sent_at_once_without_identifier() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    assert_eq!(
        h.s.publish("t", "x", QoS::AtMostOnce, true, h.now),
        Ok(None)
    );
    let sent = h.sent();
    let [Packet::Publish(p)] = &sent[..] else {
        panic!()
    };
    assert!(p.retain && p.packet_id.is_none() && !p.dup);
    assert!(h.events().is_empty());
}

#[test]
fn incoming_qos1_delivered_and_acknowledged() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::Publish(incoming("t", "x", QoS::AtLeastOnce, 5)));
    assert_eq!(h.sent(), [Packet::PubAck(PubResponse::new(id(5)))]);
    assert_eq!(h.messages().len(), 1);
    // A redelivery of QoS 1 is delivered again: at least once.
    let mut p = incoming("t", "x", QoS::AtLeastOnce, 5);
    p.dup = true;
    h.recv(Packet::Publish(p));
    assert_eq!(h.sent(), [Packet::PubAck(PubResponse::new(id(5)))]);
    assert_eq!(h.messages().len(), 1);
}

#[test]
fn incoming_qos2_duplicates_are_suppressed() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let mut p = incoming("x", "once", QoS::ExactlyOnce, 7);
    h.recv(Packet::Publish(p.clone()));
    assert_eq!(h.sent(), [Packet::PubRec(PubResponse::new(id(7)))]);
    // The broker did not see our PUBREC and sends it again with DUP.
    p.dup = true;
    h.recv(Packet::Publish(p.clone()));
    assert_eq!(h.sent(), [Packet::PubRec(PubResponse::new(id(7)))]);
    h.recv(Packet::PubRel(PubResponse::new(id(7))));
    assert_eq!(h.sent(), [Packet::PubComp(PubResponse::new(id(7)))]);
    assert_eq!(h.messages().len(), 1);
}

#[test]
fn incoming_qos2_not_redelivered_across_a_resumed_session() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let mut p = incoming("x", "once", QoS::ExactlyOnce, 3);
    h.recv(Packet::Publish(p.clone()));
    assert_eq!(h.messages().len(), 1);
    let _ = h.sent();
    // Our PUBREC is lost with the connection; the server sends the PUBLISH again.
    let _ = h.lose();
    h.reconnect(true, Properties::new());
    let _ = h.events();
    p.dup = true;
    h.recv(Packet::Publish(p));
    assert!(h.messages().is_empty());
    assert_eq!(h.sent(), [Packet::PubRec(PubResponse::new(id(3)))]);
    // Or its PUBCOMP is lost: the server sends PUBREL again, and we answer again.
    h.recv(Packet::PubRel(PubResponse::new(id(3))));
    assert_eq!(h.sent(), [Packet::PubComp(PubResponse::new(id(3)))]);
    let _ = h.lose();
    h.reconnect(true, Properties::new());
    let _ = h.events();
    h.recv(Packet::PubRel(PubResponse::new(id(3))));
    let mut comp = PubResponse::new(id(3));
    comp.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
    assert_eq!(h.sent(), [Packet::PubComp(comp)]);
    assert!(h.messages().is_empty());
}

#[test]
fn incoming_qos2_identifier_reusable_after_pubrel() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    for n in 0..3 {
        h.recv(Packet::Publish(incoming(
            "x",
            &format!("m{n}"),
            QoS::ExactlyOnce,
            9,
        )));
        h.recv(Packet::PubRel(PubResponse::new(id(9))));
    }
    let got: Vec<_> = h.messages().into_iter().map(|p| p.payload).collect();
    assert_eq!(got, ["m0", "m1", "m2"]);
}

#[test]
fn pubrel_for_unknown_id_answers_0x92() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::PubRel(PubResponse::new(id(44))));
    let mut comp = PubResponse::new(id(44));
    comp.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
    assert_eq!(h.sent(), [Packet::PubComp(comp)]);
    assert!(h.s.is_connected());
}

#[test]
fn puback_for_unknown_id_ignored() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let a = h.publish("t", "a", QoS::AtLeastOnce);
    let _ = h.sent();
    // Acknowledgements nothing waits for change nothing and send nothing.
    h.recv(Packet::PubAck(PubResponse::new(id(999))));
    h.recv(Packet::PubComp(PubResponse::new(id(999))));
    h.recv(Packet::SubAck(SubAck {
        packet_id: id(999),
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    h.recv(Packet::UnsubAck(UnsubAck {
        packet_id: id(999),
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    assert!(h.sent().is_empty());
    assert!(h.events().is_empty());
    assert!(h.s.is_connected());
    assert_eq!(h.s.pending(), (0, 1));
    // A duplicate PUBACK after the real one: still one Published.
    h.recv(Packet::PubAck(PubResponse::new(a)));
    h.recv(Packet::PubAck(PubResponse::new(a)));
    assert_eq!(published(&h.events()), [(a.get(), 0)]);
}

#[test]
fn pubrec_for_unknown_id_answers_pubrel_0x92() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.recv(Packet::PubRec(PubResponse::new(id(12))));
    let mut rel = PubResponse::new(id(12));
    rel.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
    assert_eq!(h.sent(), [Packet::PubRel(rel)]);
    assert!(h.events().is_empty());
}

#[test]
fn acknowledgement_of_the_wrong_kind_changes_nothing() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let q1 = h.publish("t", "a", QoS::AtLeastOnce);
    let q2 = h.publish("t", "b", QoS::ExactlyOnce);
    let _ = h.sent();
    // PUBACK for the QoS 2 message and PUBCOMP before PUBREC: ignored.
    h.recv(Packet::PubAck(PubResponse::new(q2)));
    h.recv(Packet::PubComp(PubResponse::new(q2)));
    assert!(h.events().is_empty());
    assert_eq!(h.s.pending(), (0, 2));
    // PUBREC for the QoS 1 message: it is not a QoS 2 exchange.
    h.recv(Packet::PubRec(PubResponse::new(q1)));
    assert!(h.events().is_empty());
    h.recv(Packet::PubAck(PubResponse::new(q1)));
    h.recv(Packet::PubRec(PubResponse::new(q2)));
    h.recv(Packet::PubComp(PubResponse::new(q2)));
    assert_eq!(published(&h.events()), [(q1.get(), 0), (q2.get(), 0)]);
}

#[test]
fn qos2_pubrec_error_code_completes_without_pubrel() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let b = h.publish("t", "x", QoS::ExactlyOnce);
    let _ = h.sent();
    let mut rec = PubResponse::new(b);
    rec.code = ReasonCode::NOT_AUTHORIZED;
    rec.properties = props(vec![Property::ReasonString("no".into())]);
    h.recv(Packet::PubRec(rec));
    assert!(h.sent().is_empty(), "no PUBREL after a refusal");
    let ev = h.events();
    let [Event::Published {
        packet_id,
        code,
        properties,
    }] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*packet_id, *code), (b, ReasonCode::NOT_AUTHORIZED));
    assert_eq!(properties.reason_string().map(|s| s.as_str()), Some("no"));
    assert_eq!(h.s.pending(), (0, 0));
}

#[test]
fn puback_error_code_surfaced() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let a = h.publish("t", "x", QoS::AtLeastOnce);
    let mut ack = PubResponse::new(a);
    ack.code = ReasonCode::NO_MATCHING_SUBSCRIBERS;
    h.recv(Packet::PubAck(ack));
    assert_eq!(published(&h.events()), [(a.get(), 0x10)]);
}

#[test]
fn duplicate_pubrec_answered_with_pubrel_again() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let b = h.publish("t", "x", QoS::ExactlyOnce);
    let _ = h.sent();
    h.recv(Packet::PubRec(PubResponse::new(b)));
    h.recv(Packet::PubRec(PubResponse::new(b)));
    assert_eq!(
        h.sent(),
        [
            Packet::PubRel(PubResponse::new(b)),
            Packet::PubRel(PubResponse::new(b))
        ]
    );
    h.recv(Packet::PubComp(PubResponse::new(b)));
    h.recv(Packet::PubComp(PubResponse::new(b)));
    assert_eq!(published(&h.events()), [(b.get(), 0)]);
}

#[test]
fn packet_ids_cycle_and_skip_ids_in_use() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    let first = h.publish("t", "held", QoS::AtLeastOnce);
    let mut last = first;
    // Cycle through every other identifier, acknowledging each at once.
    for _ in 0..(u16::MAX as usize + 5) {
        let i = h.publish("t", "x", QoS::AtLeastOnce);
        assert_ne!(i, first, "an identifier in use was handed out again");
        assert_ne!(i, last, "identifiers cycle, they are not reused at once");
        h.recv(Packet::PubAck(PubResponse::new(i)));
        last = i;
    }
    let _ = h.sent();
    let _ = h.events();
    assert_eq!(h.s.pending(), (0, 1));
}

#[test]
fn all_identifiers_in_use_refuses_with_no_packet_ids() {
    let mut o = Options::new(Protocol::V5, "t");
    o.queue_limit = usize::MAX;
    let mut h = Harness::new(o);
    for _ in 0..u16::MAX {
        h.s.publish("t", "x", QoS::AtLeastOnce, false, h.now)
            .unwrap();
    }
    assert_eq!(
        h.s.publish("t", "x", QoS::AtLeastOnce, false, h.now),
        Err(SessionError::NoPacketIds)
    );
    assert_eq!(
        h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now),
        Err(SessionError::NoPacketIds)
    );
    // QoS 0 needs no identifier.
    assert_eq!(
        h.s.publish("t", "x", QoS::AtMostOnce, false, h.now),
        Ok(None)
    );
}

#[test]
fn redelivery_in_order_with_dup_after_reconnect() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let ids: Vec<_> = (0..4)
        .map(|i| {
            let qos = if i % 2 == 0 {
                QoS::AtLeastOnce
            } else {
                QoS::ExactlyOnce
            };
            h.publish("t", &format!("m{i}"), qos)
        })
        .collect();
    let _ = h.sent();
    // m1 (QoS 2) got PUBREC, so after reconnect it needs PUBREL, not PUBLISH.
    h.recv(Packet::PubRec(PubResponse::new(ids[1])));
    let _ = h.sent();
    let _ = h.lose();
    // Published while offline: queued behind the in-flight ones.
    let late = h.publish("t", "m4", QoS::AtLeastOnce);
    h.s.publish("t", "m5", QoS::AtMostOnce, false, h.now)
        .unwrap();
    let c = h.reconnect(true, Properties::new());
    assert!(!c.clean_start, "a reconnect resumes the session");
    let sent = h.sent();
    assert_eq!(sent[0], Packet::PubRel(PubResponse::new(ids[1])));
    assert_eq!(
        publishes(&sent),
        [
            (Some(ids[0].get()), true, "m0".into()),
            (Some(ids[2].get()), true, "m2".into()),
            (Some(ids[3].get()), true, "m3".into()),
            (Some(late.get()), false, "m4".into()),
            (None, false, "m5".into()),
        ]
    );
    assert!(matches!(
        &h.events()[..],
        [Event::Connected {
            session_present: true,
            ..
        }]
    ));
}

#[test]
fn pubrels_resent_in_pubrec_order() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let a = h.publish("t", "a", QoS::ExactlyOnce);
    let b = h.publish("t", "b", QoS::ExactlyOnce);
    let c = h.publish("t", "c", QoS::ExactlyOnce);
    let _ = h.sent();
    for i in [c, a, b] {
        h.recv(Packet::PubRec(PubResponse::new(i)));
    }
    let _ = h.sent();
    let _ = h.lose();
    h.reconnect(true, Properties::new());
    assert_eq!(
        h.sent(),
        [c, a, b].map(|i| Packet::PubRel(PubResponse::new(i)))
    );
}

#[test]
fn redelivery_respects_the_new_receive_maximum() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let ids: Vec<_> = (0..5)
        .map(|i| h.publish("t", &format!("m{i}"), QoS::AtLeastOnce))
        .collect();
    assert_eq!(publishes(&h.sent()).len(), 5);
    let _ = h.lose();
    h.reconnect(true, props(vec![Property::ReceiveMaximum(2)]));
    assert_eq!(
        publishes(&h.sent()),
        [
            (Some(ids[0].get()), true, "m0".into()),
            (Some(ids[1].get()), true, "m1".into())
        ]
    );
    assert_eq!(h.s.pending(), (3, 2));
    h.recv(Packet::PubAck(PubResponse::new(ids[0])));
    // Still a redelivery, so still DUP.
    assert_eq!(
        publishes(&h.sent()),
        [(Some(ids[2].get()), true, "m2".into())]
    );
}

#[test]
fn lost_session_republishes_and_resubscribes() {
    let mut h = Harness::v311();
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
    let m = h.publish("a/1", "x", QoS::AtLeastOnce);
    let _ = h.sent();
    let _ = h.events();
    let _ = h.lose();
    h.reconnect(false, Properties::new());
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
    // The SUBSCRIBE goes before the messages.
    assert!(matches!(sent[0], Packet::Subscribe(_)));
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
fn lost_session_completes_released_qos2_and_forgets_incoming_qos2() {
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let out = h.publish("t", "x", QoS::ExactlyOnce);
    let _ = h.sent();
    h.recv(Packet::PubRec(PubResponse::new(out)));
    h.recv(Packet::Publish(incoming(
        "in",
        "first",
        QoS::ExactlyOnce,
        4,
    )));
    let _ = h.sent();
    assert_eq!(h.messages().len(), 1);
    let _ = h.lose();
    h.reconnect(false, Properties::new());
    // PUBREC said the server had our message: done. No PUBREL to a session that is gone.
    let ev = h.events();
    assert_eq!(published(&ev), [(out.get(), 0)]);
    assert!(h.sent().is_empty());
    assert_eq!(h.s.pending(), (0, 0));
    // The new session's messages may reuse identifier 4: it is a new message.
    h.recv(Packet::Publish(incoming(
        "in",
        "second",
        QoS::ExactlyOnce,
        4,
    )));
    assert_eq!(h.messages()[0].payload, "second");
}

#[test]
fn receive_maximum_2_holds_back_the_third_publish() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::ReceiveMaximum(2)]));
    let ids: Vec<_> = (0..3)
        .map(|i| h.publish("t", &format!("{i}"), QoS::AtLeastOnce))
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
fn receive_maximum_counts_released_qos2_until_pubcomp() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::ReceiveMaximum(1)]));
    let a = h.publish("t", "a", QoS::ExactlyOnce);
    h.publish("t", "b", QoS::AtLeastOnce);
    assert_eq!(payloads(&h.sent()), ["a"]);
    h.recv(Packet::PubRec(PubResponse::new(a)));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(a))]);
    h.recv(Packet::PubComp(PubResponse::new(a)));
    assert_eq!(payloads(&h.sent()), ["b"]);
}

#[test]
fn qos0_waits_behind_held_back_qos1_to_keep_order() {
    let mut h = Harness::v5();
    h.up(props(vec![Property::ReceiveMaximum(1)]));
    let a = h.publish("t", "1", QoS::AtLeastOnce);
    h.publish("t", "2", QoS::AtLeastOnce);
    h.s.publish("t", "3", QoS::AtMostOnce, false, h.now)
        .unwrap();
    assert_eq!(payloads(&h.sent()), ["1"]);
    h.recv(Packet::PubAck(PubResponse::new(a)));
    assert_eq!(payloads(&h.sent()), ["2", "3"]);
}

#[test]
fn receive_maximum_exceeded_by_server_is_0x93() {
    let mut o = Options::new(Protocol::V5, "t");
    o.receive_maximum = 2;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    for n in 1..=2 {
        h.recv(Packet::Publish(incoming("t", "x", QoS::ExactlyOnce, n)));
    }
    // A duplicate of one in flight is not a new one.
    let mut dup = incoming("t", "x", QoS::ExactlyOnce, 2);
    dup.dup = true;
    h.recv(Packet::Publish(dup));
    // QoS 1 is acknowledged at once, so it never piles up.
    h.recv(Packet::Publish(incoming("t", "x", QoS::AtLeastOnce, 7)));
    assert_eq!(h.messages().len(), 3);
    let _ = h.sent();
    h.recv(Packet::Publish(incoming("t", "x", QoS::ExactlyOnce, 3)));
    h.expect_protocol_error(0x93);
}

#[test]
fn receive_maximum_counts_this_connection_only() {
    // Two QoS 2 messages unreleased from the last connection do not use up the new
    // connection's quota: the server starts counting again [MQTT-4.9.0-1].
    let mut o = Options::new(Protocol::V5, "t");
    o.receive_maximum = 2;
    o.session_expiry = 60;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    for n in 1..=2 {
        h.recv(Packet::Publish(incoming("t", "old", QoS::ExactlyOnce, n)));
    }
    assert_eq!(h.messages().len(), 2);
    let _ = h.lose();
    h.reconnect(true, Properties::new());
    for n in 3..=4 {
        h.recv(Packet::Publish(incoming("t", "new", QoS::ExactlyOnce, n)));
    }
    assert!(h.s.is_connected());
    assert_eq!(h.messages().len(), 2);
    let _ = h.sent();
    // The server resending an old one counts it again: now 3 in flight.
    let mut dup = incoming("t", "old", QoS::ExactlyOnce, 1);
    dup.dup = true;
    h.recv(Packet::Publish(dup));
    h.expect_protocol_error(0x93);
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
    let ev = h.events();
    assert!(
        matches!(&ev[..], [Event::Dropped { publish }] if publish.payload == "q0"),
        "{ev:?}"
    );
    // Full of QoS 1: refused, nothing dropped, whatever the new message's QoS.
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        assert_eq!(
            h.s.publish("t", "x", qos, false, h.now),
            Err(SessionError::QueueFull)
        );
    }
    assert!(h.events().is_empty());
    h.up(Properties::new());
    assert_eq!(payloads(&h.sent()), ["q1", "q1b"]);
}

#[test]
fn queue_limit_counts_waiting_messages_not_in_flight() {
    let mut o = Options::new(Protocol::V5, "t");
    o.queue_limit = 1;
    let mut h = Harness::new(o);
    h.up(props(vec![Property::ReceiveMaximum(1)]));
    h.publish("t", "in flight", QoS::AtLeastOnce);
    h.publish("t", "waiting", QoS::AtLeastOnce);
    assert_eq!(
        h.s.publish("t", "x", QoS::AtLeastOnce, false, h.now),
        Err(SessionError::QueueFull)
    );
    assert_eq!(h.s.pending(), (1, 1));
}

#[test]
fn message_expiry_ages_while_queued() {
    let mut h = Harness::v5();
    let mut p = Publish::new("t", "x");
    p.qos = QoS::AtLeastOnce;
    p.properties.push(Property::MessageExpiryInterval(100));
    h.s.publish_packet(p, h.now).unwrap();
    h.now += Duration::from_secs(30);
    h.up(Properties::new());
    let sent = h.sent();
    let [Packet::Publish(p)] = &sent[..] else {
        panic!()
    };
    assert_eq!(p.properties.message_expiry_interval(), Some(70));
}

#[test]
fn message_expiry_passed_while_queued_gives_up() {
    let mut h = Harness::v5();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        let mut p = Publish::new("t", "stale");
        p.qos = qos;
        p.properties.push(Property::MessageExpiryInterval(10));
        h.s.publish_packet(p, h.now).unwrap();
    }
    h.s.publish("t", "fresh", QoS::AtLeastOnce, false, h.now)
        .unwrap();
    h.now += Duration::from_secs(10);
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(false, Properties::new());
    assert_eq!(payloads(&h.sent()), ["fresh"]);
    let ev = h.events();
    assert!(matches!(&ev[1], Event::Dropped { publish } if publish.payload == "stale"));
    let Event::Published {
        code, properties, ..
    } = &ev[2]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*code, ReasonCode::UNSPECIFIED_ERROR);
    assert!(properties.reason_string().unwrap().contains("Expiry"));
    assert_eq!(h.s.pending(), (0, 1));
}

#[test]
fn redelivery_is_the_same_packet_with_dup() {
    // A message already sent goes again unchanged (but for DUP), its expiry not aged: it
    // is the same PUBLISH.
    let mut h = Harness::v5_persistent();
    h.up(Properties::new());
    let mut p = Publish::new("t", "x");
    p.qos = QoS::ExactlyOnce;
    p.properties.push(Property::MessageExpiryInterval(100));
    h.s.publish_packet(p, h.now).unwrap();
    let Packet::Publish(first) = h.sent().remove(0) else {
        panic!()
    };
    let _ = h.lose();
    h.now += Duration::from_secs(50);
    h.reconnect(true, Properties::new());
    let Packet::Publish(again) = h.sent().remove(0) else {
        panic!()
    };
    assert!(again.dup && !first.dup);
    assert_eq!(
        Publish {
            dup: false,
            ..again
        },
        first
    );
}

#[test]
fn queued_messages_checked_against_the_server_they_meet() {
    let mut h = Harness::v5();
    let q2 = h.publish("t", "qos2", QoS::ExactlyOnce);
    let big = h.publish("t", &"x".repeat(200), QoS::AtLeastOnce);
    let retained =
        h.s.publish("t", "r", QoS::AtLeastOnce, true, h.now)
            .unwrap()
            .unwrap();
    h.s.publish("t", "ok", QoS::AtMostOnce, false, h.now)
        .unwrap();
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(
        false,
        props(vec![
            Property::MaximumQoS(1),
            Property::MaximumPacketSize(100),
            Property::RetainAvailable(0),
        ]),
    );
    assert_eq!(payloads(&h.sent()), ["ok"]);
    assert_eq!(
        published(&h.events()),
        [(q2.get(), 0x9B), (big.get(), 0x95), (retained.get(), 0x9A)]
    );
    assert_eq!(h.s.pending(), (0, 0));
}
