//! Deterministic session tests of `snapshot()`/`restore()`: nothing accepted is lost or
//! duplicated across a reload, and the binary form refuses what it did not write.
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
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

/// Snapshots `h` through its binary form and restores it with `opts`.
fn reload(h: &Harness, opts: Options) -> Harness {
    let bytes = h.s.snapshot().to_bytes();
    let snap = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(snap, h.s.snapshot(), "the binary form round-trips");
    Harness {
        s: Session::restore(opts, snap),
        now: h.now,
        v: h.v,
    }
}

#[test]
fn snapshot_restores_in_flight_state() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o.clone());
    h.up(Properties::new());
    let a = h.publish("t", "a", QoS::AtLeastOnce);
    let mut p = incoming("in", "x", QoS::ExactlyOnce, 9);
    h.recv(Packet::Publish(p.clone()));
    let mut h2 = reload(&h, o);
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
    assert!(h2.messages().is_empty());
    assert!(Snapshot::from_bytes(b"garbage").is_err());
}

#[test]
fn restore_keeps_order_dup_and_receive_maximum() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o.clone());
    h.up(props(vec![Property::ReceiveMaximum(2)]));
    let q2 = h.publish("t", "released", QoS::ExactlyOnce);
    let sent1 = h.publish("t", "sent", QoS::AtLeastOnce);
    let waiting = h.publish("t", "waiting", QoS::AtLeastOnce);
    h.s.publish("t", "qos0", QoS::AtMostOnce, false, h.now)
        .unwrap();
    let _ = h.sent();
    h.recv(Packet::PubRec(PubResponse::new(q2)));
    let _ = h.sent();
    assert_eq!(h.s.pending(), (2, 2));
    let mut h2 = reload(&h, o);
    h2.s.connect(h2.now);
    let _ = h2.sent();
    h2.connack(true, props(vec![Property::ReceiveMaximum(2)]));
    let sent = h2.sent();
    // PUBREL again; then only one PUBLISH fits beside the released message.
    assert_eq!(sent[0], Packet::PubRel(PubResponse::new(q2)));
    assert_eq!(publishes(&sent), [(Some(sent1.get()), true, "sent".into())]);
    h2.recv(Packet::PubComp(PubResponse::new(q2)));
    // Never sent before the reload: no DUP. QoS 0 keeps its place behind it.
    assert_eq!(
        publishes(&h2.sent()),
        [
            (Some(waiting.get()), false, "waiting".into()),
            (None, false, "qos0".into())
        ]
    );
    // Identifiers in the snapshot stay reserved.
    let fresh = h2.publish("t", "new", QoS::AtLeastOnce);
    assert!(![q2, sent1, waiting].contains(&fresh));
}

#[test]
fn restore_after_lost_session_sends_everything_as_new() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o.clone());
    h.up(Properties::new());
    let a = h.publish("t", "a", QoS::AtLeastOnce);
    let _ = h.sent();
    let mut h2 = reload(&h, o);
    h2.s.connect(h2.now);
    let _ = h2.sent();
    h2.connack(false, Properties::new());
    assert_eq!(publishes(&h2.sent()), [(Some(a.get()), false, "a".into())]);
}

#[test]
fn snapshot_keeps_subscriptions_and_pending_requests() {
    let mut o = Options::new(Protocol::V5, "t");
    o.session_expiry = 600;
    let mut h = Harness::new(o.clone());
    h.up(Properties::new());
    let s =
        h.s.subscribe(vec![Subscription::new("held/#", QoS::AtLeastOnce)], h.now)
            .unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::GRANTED_QOS_1],
    }));
    let pending_sub =
        h.s.subscribe(vec![Subscription::new("pending", QoS::AtMostOnce)], h.now)
            .unwrap();
    let pending_unsub = h.s.unsubscribe(vec!["old".into()], h.now).unwrap();
    let _ = h.sent();
    let _ = h.events();
    let mut h2 = reload(&h, o);
    assert_eq!(h2.s.subscriptions().count(), 1);
    // Resumed: the requests the server never answered go again.
    h2.s.connect(h2.now);
    let _ = h2.sent();
    h2.connack(true, Properties::new());
    let sent = h2.sent();
    assert!(
        matches!(&sent[..], [Packet::Subscribe(a), Packet::Unsubscribe(b)] if a.packet_id == pending_sub && b.packet_id == pending_unsub),
        "{sent:?}"
    );
    // Their identifiers stay reserved, and their answers complete them.
    let p = h2.publish("t", "x", QoS::AtLeastOnce);
    assert!(p != pending_sub && p != pending_unsub);
    h2.recv(Packet::SubAck(SubAck {
        packet_id: pending_sub,
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    }));
    assert_eq!(h2.s.subscriptions().count(), 2);
    // A lost session: the held subscription is made again too.
    let mut h3 = reload(&h, Options::new(Protocol::V5, "t"));
    h3.s.connect(h3.now);
    let _ = h3.sent();
    h3.connack(false, Properties::new());
    let filters: Vec<String> = h3
        .sent()
        .iter()
        .flat_map(|p| match p {
            Packet::Subscribe(s) => s
                .subscriptions
                .iter()
                .map(|s| s.filter.to_string())
                .collect(),
            Packet::Unsubscribe(u) => u.filters.iter().map(|f| f.to_string()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(filters, ["pending", "old", "held/#"]);
}

#[test]
fn snapshot_bytes_refused_unless_whole() {
    let mut h = Harness::v5();
    h.up(Properties::new());
    h.publish("t", "a", QoS::AtLeastOnce);
    h.s.subscribe(vec![Subscription::new("x", QoS::AtMostOnce)], h.now)
        .unwrap();
    h.recv(Packet::Publish(incoming("in", "x", QoS::ExactlyOnce, 2)));
    let bytes = h.s.snapshot().to_bytes();
    for cut in 0..bytes.len() {
        assert!(Snapshot::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(Snapshot::from_bytes(&longer).is_err());
    // Any single corrupted byte: an error or some snapshot, never a panic; restoring
    // whatever it gives never panics either.
    for i in 0..bytes.len() {
        let mut b = bytes.to_vec();
        b[i] ^= 0xff;
        if let Ok(s) = Snapshot::from_bytes(&b) {
            let mut r = Session::restore(Options::new(Protocol::V5, "t"), s);
            r.connect(h.now);
        }
    }
}

#[test]
fn restore_repairs_a_hand_made_snapshot() {
    // Duplicate identifiers, a QoS 1 message without one, a QoS 0 message with one.
    let mut a = Publish::new("t", "a");
    a.qos = QoS::AtLeastOnce;
    a.packet_id = Some(id(5));
    let b = a.clone();
    let mut c = Publish::new("t", "c");
    c.qos = QoS::AtLeastOnce;
    let mut d = Publish::new("t", "d");
    d.packet_id = Some(id(6));
    let snap = Snapshot {
        client_id: "t".into(),
        established: true,
        next_packet_id: 1,
        outgoing: vec![(a, false), (b, false), (c, false), (d, false)],
        next_subscription_id: 1,
        ..Snapshot::default()
    };
    let mut h = Harness {
        s: Session::restore(Options::new(Protocol::V5, "t"), snap),
        now: Instant::now(),
        v: Protocol::V5,
    };
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(true, Properties::new());
    let sent = publishes(&h.sent());
    let ids: Vec<Option<u16>> = sent.iter().map(|p| p.0).collect();
    assert_eq!(sent.len(), 4);
    assert_eq!(ids[0], Some(5));
    assert!(ids[1].is_some() && ids[1] != Some(5));
    assert!(ids[2].is_some() && ids[2] != ids[1] && ids[2] != Some(5));
    assert_eq!(ids[3], None);
}
