//! Property tests of the session against a scripted broker driven by random operations:
//! - packet identifiers are never reused while in flight (nor while a resubscription holds
//!   one), every identifier handed out ends with exactly one event, and none leaks: once a
//!   well-behaved broker answers everything, nothing is left outstanding;
//! - random (and partly hostile) broker behaviour — stray acknowledgements, redeliveries,
//!   floods over our Receive Maximum, garbage, disconnects, resumed and lost sessions —
//!   never panics, never exceeds the server's Receive Maximum, and never delivers a QoS 2
//!   message twice.
//!
//! 256 cases per property (proptest's default); set `PROPTEST_CASES` for a longer run.

// A test reports failure by panicking (proptest shrinks it); unwrapping and indexing keep
// the checks short. The fake clock needs one real instant to start from.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common_session;

use common_session::{id, incoming, Harness};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

/// One step of a test: something the application does, or something the broker (or the
/// network) does.
#[derive(Debug, Clone)]
enum Op {
    /// The application publishes at this QoS.
    Publish(u8),
    /// The application subscribes to this many new filters.
    Subscribe(u8),
    /// The application unsubscribes from a filter it subscribed to.
    Unsubscribe(usize),
    /// The broker answers the n-th packet it has not answered yet, correctly.
    Answer(usize),
    /// The broker answers everything it owes.
    AnswerAll,
    /// An acknowledgement for an identifier nothing may be waiting on (kind, id).
    Stray(u8, u16),
    /// The broker sends a message: QoS, packet identifier, DUP.
    Deliver(u8, u16, bool),
    /// The broker releases the n-th QoS 2 message it sent.
    Release(usize),
    /// Bytes that are probably not a packet.
    Garbage(Vec<u8>),
    /// The transport dies.
    Lose,
    /// The driver connects again; the broker says whether it kept the session, and its
    /// Receive Maximum (0: none given).
    Reconnect(bool, u16),
    /// The broker disconnects with this code.
    ServerDisconnect(u8),
    /// Time passes.
    Advance(u8),
}

fn well_behaved_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..=2).prop_map(Op::Publish),
        1 => Just(Op::Publish(0)),
        1 => (1u8..=3).prop_map(Op::Subscribe),
        1 => any::<usize>().prop_map(Op::Unsubscribe),
        6 => any::<usize>().prop_map(Op::Answer),
        1 => Just(Op::AnswerAll),
        1 => Just(Op::Lose),
        2 => (any::<bool>(), 0u16..=4).prop_map(|(s, r)| Op::Reconnect(s, r)),
        1 => (0u8..=70).prop_map(Op::Advance),
    ]
}

fn hostile_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..=2).prop_map(Op::Publish),
        1 => Just(Op::Publish(0)),
        1 => (1u8..=3).prop_map(Op::Subscribe),
        1 => any::<usize>().prop_map(Op::Unsubscribe),
        4 => any::<usize>().prop_map(Op::Answer),
        1 => Just(Op::AnswerAll),
        2 => (0u8..5, 1u16..=12).prop_map(|(k, i)| Op::Stray(k, i)),
        5 => (0u8..=2, 1u16..=6, any::<bool>()).prop_map(|(q, i, d)| Op::Deliver(q, i, d)),
        3 => any::<usize>().prop_map(Op::Release),
        1 => vec(any::<u8>(), 0..12).prop_map(Op::Garbage),
        1 => Just(Op::Lose),
        3 => (any::<bool>(), 0u16..=4).prop_map(|(s, r)| Op::Reconnect(s, r)),
        1 => prop_oneof![Just(0x00u8), Just(0x8B), Just(0x9C), Just(0x8E)]
            .prop_map(Op::ServerDisconnect),
        1 => (0u8..=70).prop_map(Op::Advance),
    ]
}

/// What the broker owes an answer for, on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owed {
    PubAck,
    PubRec,
    PubComp,
    SubAck(usize),
    UnsubAck(usize),
}

/// The session, the broker's view, and the model the checks compare against.
struct World {
    h: Harness,
    /// Identifiers in use, with what they carry (a payload or a filter list): handed out
    /// by publish/subscribe/unsubscribe, or seen on the wire for a resubscription.
    in_use: HashMap<u16, String>,
    /// Filters the application subscribed to (in some order).
    filters: Vec<String>,
    next_payload: u64,
    next_filter: u64,
    /// The broker: what it owes on this connection, by identifier.
    owed: BTreeMap<u16, Owed>,
    /// The broker's QoS 2 messages to us not yet released: identifier → message number.
    unreleased: BTreeMap<u16, u64>,
    next_message: u64,
    /// Our QoS 2 messages delivered to the application.
    delivered: BTreeSet<u64>,
    /// QoS 1/2 PUBLISHes sent on this connection and not yet acknowledged to the session.
    wire_in_flight: BTreeSet<u16>,
    receive_maximum: usize,
    connected: bool,
    sent_clean_start: bool,
}

impl World {
    fn new() -> World {
        let mut o = Options::new(Protocol::V5, "prop");
        o.session_expiry = 3600;
        o.receive_maximum = 3;
        o.keep_alive = 30;
        o.queue_limit = 50;
        World {
            h: Harness::new(o),
            in_use: HashMap::new(),
            filters: Vec::new(),
            next_payload: 0,
            next_filter: 0,
            owed: BTreeMap::new(),
            unreleased: BTreeMap::new(),
            next_message: 0,
            delivered: BTreeSet::new(),
            wire_in_flight: BTreeSet::new(),
            receive_maximum: usize::from(u16::MAX),
            connected: false,
            sent_clean_start: true,
        }
    }

    fn claim(&mut self, i: PacketId, what: String) {
        let prev = self.in_use.insert(i.get(), what.clone());
        assert!(
            prev.is_none(),
            "identifier {i} handed out for {what} while in use for {prev:?}"
        );
    }

    fn complete(&mut self, i: PacketId) {
        assert!(
            self.in_use.remove(&i.get()).is_some(),
            "an event ends identifier {i}, which nothing was using"
        );
    }

    /// Runs the session's output through the checks and the broker's bookkeeping.
    fn pump(&mut self) {
        for p in self.h.sent() {
            match p {
                Packet::Connect(c) => {
                    self.sent_clean_start = c.clean_start;
                    self.owed.clear();
                    self.wire_in_flight.clear();
                }
                Packet::Publish(p) => {
                    let Some(i) = p.packet_id else { continue };
                    let payload = String::from_utf8(p.payload.to_vec()).unwrap();
                    assert_eq!(
                        self.in_use.get(&i.get()),
                        Some(&payload),
                        "PUBLISH {i} on the wire is not the message that holds it"
                    );
                    self.wire_in_flight.insert(i.get());
                    assert!(
                        self.wire_in_flight.len() <= self.receive_maximum,
                        "more QoS 1/2 PUBLISHes in flight than Receive Maximum {}",
                        self.receive_maximum
                    );
                    let owed = if p.qos == QoS::AtLeastOnce {
                        Owed::PubAck
                    } else {
                        Owed::PubRec
                    };
                    self.owed.insert(i.get(), owed);
                }
                // The answer to a PUBREC for an identifier not in flight.
                Packet::PubRel(r) if r.code == ReasonCode::PACKET_IDENTIFIER_NOT_FOUND => {}
                Packet::PubRel(r) => {
                    assert!(
                        self.in_use.contains_key(&r.packet_id.get()),
                        "PUBREL {} for nothing in use",
                        r.packet_id
                    );
                    self.owed.insert(r.packet_id.get(), Owed::PubComp);
                }
                Packet::Subscribe(s) => {
                    let what: Vec<&str> = s.subscriptions.iter().map(|s| &*s.filter).collect();
                    let what = what.join(",");
                    match self.in_use.get(&s.packet_id.get()) {
                        Some(w) => assert_eq!(w, &what, "SUBSCRIBE {}", s.packet_id),
                        // The session's own resubscription.
                        None => self.claim(s.packet_id, what),
                    }
                    self.owed
                        .insert(s.packet_id.get(), Owed::SubAck(s.subscriptions.len()));
                }
                Packet::Unsubscribe(u) => {
                    let what = u.filters.iter().map(|f| &**f).collect::<Vec<_>>().join(",");
                    assert_eq!(self.in_use.get(&u.packet_id.get()), Some(&what));
                    self.owed
                        .insert(u.packet_id.get(), Owed::UnsubAck(u.filters.len()));
                }
                Packet::PubRec(_) | Packet::PubAck(_) | Packet::PubComp(_) => {}
                Packet::PingReq => {}
                Packet::Disconnect(_) => {}
                other => panic!("the session sent {other:?}"),
            }
        }
        for e in self.h.events() {
            match e {
                Event::Connected { .. } => self.connected = true,
                Event::Disconnected(_) => {
                    self.connected = false;
                    self.owed.clear();
                }
                Event::Published { packet_id, .. } => self.complete(packet_id),
                Event::Subscribed { packet_id, .. } => self.complete(packet_id),
                Event::Unsubscribed { packet_id, .. } => self.complete(packet_id),
                Event::Message { publish, .. } => {
                    if publish.qos == QoS::ExactlyOnce {
                        let n: u64 = std::str::from_utf8(&publish.payload)
                            .unwrap()
                            .parse()
                            .unwrap();
                        assert!(
                            self.delivered.insert(n),
                            "QoS 2 message {n} delivered twice"
                        );
                    }
                }
                Event::Dropped { .. } => {}
                other => panic!("unexpected event {other:?}"),
            }
        }
        // Whatever the session's state, its counters stay within what it holds.
        let (queued, in_flight) = self.h.s.pending();
        assert!(queued + in_flight <= self.in_use.len() + 50);
    }

    /// The broker sends `p` (and the session sees it).
    fn server(&mut self, p: Packet) {
        match &p {
            Packet::PubAck(a) | Packet::PubComp(a) => {
                self.wire_in_flight.remove(&a.packet_id.get());
            }
            Packet::PubRec(a) if !a.code.is_success() => {
                self.wire_in_flight.remove(&a.packet_id.get());
            }
            _ => {}
        }
        self.h.recv(p);
        self.pump();
    }

    fn answer(&mut self, i: u16) {
        let Some(owed) = self.owed.remove(&i) else {
            return;
        };
        let pid = id(i);
        let p = match owed {
            Owed::PubAck => Packet::PubAck(PubResponse::new(pid)),
            Owed::PubRec => Packet::PubRec(PubResponse::new(pid)),
            Owed::PubComp => Packet::PubComp(PubResponse::new(pid)),
            Owed::SubAck(n) => Packet::SubAck(SubAck {
                packet_id: pid,
                properties: Properties::new(),
                codes: vec![ReasonCode::GRANTED_QOS_1; n],
            }),
            Owed::UnsubAck(n) => Packet::UnsubAck(UnsubAck {
                packet_id: pid,
                properties: Properties::new(),
                codes: vec![ReasonCode::SUCCESS; n],
            }),
        };
        self.server(p);
    }

    fn reconnect(&mut self, session_present: bool, receive_maximum: u16) {
        self.h.s.connect(self.h.now);
        self.pump();
        // No session after a clean start; a broker without one forgets what it was
        // delivering.
        let session_present = session_present && !self.sent_clean_start;
        if !session_present {
            self.unreleased.clear();
        }
        let mut properties = Properties::new();
        self.receive_maximum = usize::from(u16::MAX);
        if receive_maximum > 0 {
            properties.push(Property::ReceiveMaximum(receive_maximum));
            self.receive_maximum = usize::from(receive_maximum);
        }
        self.server(Packet::ConnAck(ConnAck {
            session_present,
            code: ReasonCode::SUCCESS,
            properties,
        }));
    }

    fn apply(&mut self, op: &Op) {
        let now = self.h.now;
        match op {
            Op::Publish(q) => {
                let qos = QoS::from_u8(*q).unwrap();
                let payload = format!("p{}", self.next_payload);
                self.next_payload += 1;
                match self.h.s.publish("t", payload.clone(), qos, false, now) {
                    Ok(Some(i)) => self.claim(i, payload),
                    Ok(None) => assert_eq!(qos, QoS::AtMostOnce),
                    Err(SessionError::QueueFull) => {}
                    Err(e) => panic!("publish refused: {e}"),
                }
            }
            Op::Subscribe(n) => {
                let subs: Vec<Subscription> = (0..*n)
                    .map(|_| {
                        self.next_filter += 1;
                        Subscription::new(format!("f{}", self.next_filter), QoS::AtLeastOnce)
                    })
                    .collect();
                let what: Vec<String> = subs.iter().map(|s| s.filter.to_string()).collect();
                let i = self.h.s.subscribe(subs, now).unwrap();
                self.claim(i, what.join(","));
                self.filters.extend(what);
            }
            Op::Unsubscribe(k) => {
                if self.filters.is_empty() {
                    return;
                }
                let f = self.filters.remove(k % self.filters.len());
                let i = self.h.s.unsubscribe(vec![f.clone().into()], now).unwrap();
                self.claim(i, f);
            }
            Op::Answer(k) => {
                if self.connected && !self.owed.is_empty() {
                    let i = *self.owed.keys().nth(k % self.owed.len()).unwrap();
                    self.answer(i);
                }
            }
            Op::AnswerAll => {
                // Bounded: each answer settles one debt and may create one more (PUBREC →
                // PUBREL → PUBCOMP).
                for _ in 0..200 {
                    let Some(&i) = self.owed.keys().next() else {
                        break;
                    };
                    if !self.connected {
                        break;
                    }
                    self.answer(i);
                }
            }
            Op::Stray(kind, i) => {
                if !self.connected {
                    return;
                }
                let pid = id(*i);
                let p = match kind {
                    0 => Packet::PubAck(PubResponse::new(pid)),
                    1 => Packet::PubRec(PubResponse::new(pid)),
                    2 => Packet::PubComp(PubResponse::new(pid)),
                    3 => Packet::SubAck(SubAck {
                        packet_id: pid,
                        properties: Properties::new(),
                        codes: vec![ReasonCode::SUCCESS],
                    }),
                    _ => Packet::UnsubAck(UnsubAck {
                        packet_id: pid,
                        properties: Properties::new(),
                        codes: vec![ReasonCode::SUCCESS],
                    }),
                };
                // A stray ack that happens to fit a debt settles it.
                self.owed.remove(i);
                self.server(p);
            }
            Op::Deliver(q, i, dup) => {
                if !self.connected {
                    return;
                }
                let qos = QoS::from_u8(*q).unwrap();
                let n = match (qos, self.unreleased.get(i)) {
                    // The same message again, while it is not released.
                    (QoS::ExactlyOnce, Some(n)) => *n,
                    _ => {
                        self.next_message += 1;
                        self.next_message
                    }
                };
                if qos == QoS::ExactlyOnce {
                    self.unreleased.insert(*i, n);
                }
                let mut p = incoming("down", &n.to_string(), qos, *i);
                p.dup = *dup && qos != QoS::AtMostOnce;
                self.server(Packet::Publish(p));
            }
            Op::Release(k) => {
                if !self.connected || self.unreleased.is_empty() {
                    return;
                }
                let i = *self
                    .unreleased
                    .keys()
                    .nth(k % self.unreleased.len())
                    .unwrap();
                self.unreleased.remove(&i);
                self.server(Packet::PubRel(PubResponse::new(id(i))));
            }
            Op::Garbage(bytes) => {
                self.h.s.handle_bytes(bytes, now);
                self.pump();
            }
            Op::Lose => {
                self.h.s.connection_lost(now);
                self.pump();
            }
            Op::Reconnect(session_present, rm) => self.reconnect(*session_present, *rm),
            Op::ServerDisconnect(code) => {
                if self.connected {
                    self.server(Packet::Disconnect(Disconnect {
                        code: ReasonCode::new(*code),
                        properties: Properties::new(),
                    }));
                }
            }
            Op::Advance(secs) => {
                self.h.now += Duration::from_secs(u64::from(*secs));
                self.h.s.handle_timeout(self.h.now);
                self.pump();
                // A broker that answers pings.
                if self.connected {
                    self.server(Packet::PingResp);
                }
            }
        }
        self.pump();
    }

    /// A well-behaved broker with a kept session answers everything: afterwards nothing
    /// the application was given an identifier for is still outstanding.
    fn settle(&mut self) {
        for _ in 0..20 {
            if !self.connected {
                self.reconnect(true, 0);
            }
            self.apply(&Op::AnswerAll);
            if self.in_use.is_empty() && self.h.s.pending() == (0, 0) {
                return;
            }
            // Let the session resend what may have been lost in flight.
            self.apply(&Op::Lose);
        }
        panic!(
            "still outstanding after settling: {:?}, pending {:?}",
            self.in_use,
            self.h.s.pending()
        );
    }
}

proptest! {
    #[test]
    fn packet_ids_never_reused_while_in_flight(ops in vec(well_behaved_op(), 1..120)) {
        let mut w = World::new();
        w.reconnect(false, 0);
        for op in &ops {
            w.apply(op);
        }
        w.settle();
    }

    #[test]
    fn random_broker_behaviour_never_panics_and_never_delivers_qos2_twice(
        ops in vec(hostile_op(), 1..200)
    ) {
        let mut w = World::new();
        w.reconnect(false, 0);
        for op in &ops {
            w.apply(op);
        }
        w.settle();
    }
}
