//! A lossy-network simulation in the style of quinn-proto's `Pair`: the session talks to a
//! small broker written here (it decodes the client's packets with the codec, answers them,
//! and keeps its own session store), over a link that moves a random number of bytes each
//! step and drops the connection at random points — mid-packet included — losing whatever
//! was in transit. Time jumps to the next wakeup when nothing else happens.
//!
//! Across many reconnects, every QoS 1 message arrives at least once and every QoS 2
//! message exactly once, in order per QoS, in both directions; the client never exceeds
//! the broker's Receive Maximum; and identifiers are never reused while in flight. All
//! loops are bounded.

// A test reports failure by panicking; unwrapping and indexing keep the checks short. The
// fake clock needs one real instant to start from.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

/// xorshift64*: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

const BROKER_RECEIVE_MAXIMUM: u16 = 4;
const CLIENT_RECEIVE_MAXIMUM: u16 = 3;

/// A QoS 1/2 message the broker is delivering to the client.
#[derive(Debug, Clone)]
struct Delivery {
    publish: Publish,
    /// PUBREC arrived and PUBREL was sent (QoS 2).
    released: bool,
    /// Sent on the current connection.
    sent: bool,
}

/// What the broker keeps for the client between connections.
#[derive(Debug, Default)]
struct BrokerSession {
    /// QoS 2 identifiers received from the client and not yet released (method B of the
    /// spec: deliver on PUBLISH, remember the identifier until PUBREL).
    qos2_in: BTreeSet<u16>,
    /// Messages to the client not yet acknowledged, by identifier, and the order they
    /// were first sent in.
    deliveries: BTreeMap<u16, Delivery>,
    delivery_order: VecDeque<u16>,
    /// Messages for the client not yet sent.
    pending: VecDeque<Publish>,
    next_id: u16,
}

/// A broker for one client.
struct Broker {
    v: Protocol,
    decoder: Decoder,
    rx: BytesMut,
    tx: Vec<u8>,
    connected: bool,
    session: Option<BrokerSession>,
    /// Topic aliases the client set up on this connection.
    aliases: HashMap<u16, ByteStr>,
    /// Application messages from the client, in the order the broker accepted them.
    log: Vec<(QoS, u64)>,
    /// QoS 1/2 PUBLISHes from the client on this connection whose acknowledgement the
    /// client has not received yet (kept up to date by the link).
    client_in_flight: BTreeSet<u16>,
}

impl Broker {
    fn new(v: Protocol) -> Broker {
        Broker {
            v,
            decoder: Decoder::new(v),
            rx: BytesMut::new(),
            tx: Vec::new(),
            connected: false,
            // The client's persistent session exists from the start (as for a subscriber
            // that connected before), so messages for it are kept before it first connects.
            session: Some(BrokerSession {
                next_id: 1,
                ..BrokerSession::default()
            }),
            aliases: HashMap::new(),
            log: Vec::new(),
            client_in_flight: BTreeSet::new(),
        }
    }

    fn send(&mut self, p: Packet) {
        self.tx.extend_from_slice(&p.to_bytes(self.v).unwrap());
    }

    /// The connection is gone: forget it, keep the session.
    fn drop_connection(&mut self) {
        self.connected = false;
        self.rx.clear();
        self.tx.clear();
        self.aliases.clear();
        self.client_in_flight.clear();
        if let Some(s) = &mut self.session {
            for d in s.deliveries.values_mut() {
                d.sent = false;
            }
        }
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
        while let Some(p) = self.decoder.decode(&mut self.rx).unwrap() {
            self.handle(p);
        }
    }

    fn handle(&mut self, p: Packet) {
        match p {
            Packet::Connect(c) => {
                assert!(!self.connected, "CONNECT on a live connection");
                if c.clean_start {
                    self.session = None;
                }
                let present = self.session.is_some();
                if !present {
                    self.session = Some(BrokerSession {
                        next_id: 1,
                        ..BrokerSession::default()
                    });
                }
                let mut properties = Properties::new();
                if self.v.is_v5() {
                    properties.push(Property::ReceiveMaximum(BROKER_RECEIVE_MAXIMUM));
                    properties.push(Property::TopicAliasMaximum(2));
                }
                self.connected = true;
                self.send(Packet::ConnAck(ConnAck {
                    session_present: present,
                    code: ReasonCode::SUCCESS,
                    properties,
                }));
                // Resume: PUBREL what was released, PUBLISH (DUP) what was not.
                self.redeliver();
            }
            Packet::Publish(mut p) => {
                if let Some(alias) = p.properties.topic_alias() {
                    if p.topic.is_empty() {
                        p.topic = self.aliases.get(&alias).expect("unknown alias").clone();
                    } else {
                        self.aliases.insert(alias, p.topic.clone());
                    }
                }
                let n: u64 = std::str::from_utf8(&p.payload).unwrap().parse().unwrap();
                let session = self.session.as_mut().unwrap();
                match (p.qos, p.packet_id) {
                    (QoS::AtMostOnce, _) => self.log.push((p.qos, n)),
                    (QoS::AtLeastOnce, Some(i)) => {
                        self.log.push((p.qos, n));
                        self.client_publish_in_flight(i);
                        self.send(Packet::PubAck(PubResponse::new(i)));
                    }
                    (QoS::ExactlyOnce, Some(i)) => {
                        if session.qos2_in.insert(i.get()) {
                            self.log.push((p.qos, n));
                        }
                        self.client_publish_in_flight(i);
                        self.send(Packet::PubRec(PubResponse::new(i)));
                    }
                    _ => unreachable!(),
                }
            }
            Packet::PubRel(r) => {
                let session = self.session.as_mut().unwrap();
                session.qos2_in.remove(&r.packet_id.get());
                self.send(Packet::PubComp(PubResponse::new(r.packet_id)));
            }
            Packet::PubAck(a) | Packet::PubComp(a) => {
                let session = self.session.as_mut().unwrap();
                session.deliveries.remove(&a.packet_id.get());
                session.delivery_order.retain(|i| *i != a.packet_id.get());
                self.pump_deliveries();
            }
            Packet::PubRec(a) => {
                let session = self.session.as_mut().unwrap();
                if let Some(d) = session.deliveries.get_mut(&a.packet_id.get()) {
                    d.released = true;
                    d.publish.payload = Bytes::new();
                }
                self.send(Packet::PubRel(PubResponse::new(a.packet_id)));
            }
            Packet::Subscribe(s) => {
                let codes = s
                    .subscriptions
                    .iter()
                    .map(|s| ReasonCode::new(s.options.qos as u8))
                    .collect();
                self.send(Packet::SubAck(SubAck {
                    packet_id: s.packet_id,
                    properties: Properties::new(),
                    codes,
                }));
            }
            Packet::PingReq => self.send(Packet::PingResp),
            Packet::Disconnect(_) => self.drop_connection(),
            other => panic!("the broker got {other:?}"),
        }
    }

    fn client_publish_in_flight(&mut self, i: PacketId) {
        if !self.v.is_v5() {
            return;
        }
        self.client_in_flight.insert(i.get());
        assert!(
            self.client_in_flight.len() <= usize::from(BROKER_RECEIVE_MAXIMUM),
            "the client exceeded Receive Maximum: {:?}",
            self.client_in_flight
        );
    }

    /// On a resumed session: everything unacknowledged again, in the original order.
    fn redeliver(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        let order: Vec<u16> = session.delivery_order.iter().copied().collect();
        let mut out = Vec::new();
        for i in order {
            if let Some(d) = session.deliveries.get_mut(&i) {
                d.sent = true;
                out.push(if d.released {
                    Packet::PubRel(PubResponse::new(PacketId::new(i).unwrap()))
                } else {
                    let mut p = d.publish.clone();
                    p.dup = true;
                    Packet::Publish(p)
                });
            }
        }
        for p in out {
            self.send(p);
        }
        self.pump_deliveries();
    }

    /// Sends waiting messages while the client's Receive Maximum allows.
    fn pump_deliveries(&mut self) {
        if !self.connected {
            return;
        }
        let Some(session) = &mut self.session else {
            return;
        };
        let mut out = Vec::new();
        while session.deliveries.len() < usize::from(CLIENT_RECEIVE_MAXIMUM) {
            let Some(mut p) = session.pending.pop_front() else {
                break;
            };
            let i = session.next_id;
            session.next_id = if i == u16::MAX { 1 } else { i + 1 };
            p.packet_id = PacketId::new(i);
            session.deliveries.insert(
                i,
                Delivery {
                    publish: p.clone(),
                    released: false,
                    sent: true,
                },
            );
            session.delivery_order.push_back(i);
            out.push(Packet::Publish(p));
        }
        for p in out {
            self.send(p);
        }
    }

    /// A message for the client.
    fn publish_to_client(&mut self, qos: QoS, n: u64) {
        let Some(session) = &mut self.session else {
            return;
        };
        let mut p = Publish::new(format!("down/{}", qos as u8), n.to_string());
        p.qos = qos;
        session.pending.push_back(p);
        self.pump_deliveries();
    }
}

/// The client, the broker, the bytes between them, and the clock.
struct Pair {
    client: Session,
    broker: Broker,
    now: Instant,
    /// Bytes on their way, each direction.
    up: VecDeque<u8>,
    down: VecDeque<u8>,
    /// Whether the transport is up (a CONNECT has been sent on it).
    linked: bool,
    /// Decodes what actually reaches the client, to tell the broker which acks arrived.
    tap: Decoder,
    tap_buf: BytesMut,
    rng: Rng,
    /// What the client application received, per QoS.
    received: BTreeMap<u8, Vec<u64>>,
    /// The client's identifiers in flight, to check none is reused.
    client_ids: BTreeSet<u16>,
    reconnects: usize,
}

impl Pair {
    fn new(v: Protocol, seed: u64) -> Pair {
        let mut o = Options::new(v, "sim");
        o.clean_start = false;
        o.session_expiry = u32::MAX;
        o.keep_alive = 5;
        o.ping_timeout = Duration::from_secs(3);
        o.receive_maximum = CLIENT_RECEIVE_MAXIMUM;
        o.queue_limit = 100_000;
        Pair {
            client: Session::new(o),
            broker: Broker::new(v),
            now: Instant::now(),
            up: VecDeque::new(),
            down: VecDeque::new(),
            linked: false,
            tap: Decoder::new(v),
            tap_buf: BytesMut::new(),
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            received: BTreeMap::new(),
            client_ids: BTreeSet::new(),
            reconnects: 0,
        }
    }

    fn connect(&mut self) {
        self.up.clear();
        self.down.clear();
        self.tap_buf.clear();
        self.broker.drop_connection();
        self.client.connect(self.now);
        self.linked = true;
        self.reconnects += 1;
    }

    /// The transport fails: what is in transit is lost, both ends notice.
    fn cut(&mut self) {
        self.linked = false;
        self.up.clear();
        self.down.clear();
        self.tap_buf.clear();
        self.client.connection_lost(self.now);
        self.broker.drop_connection();
    }

    fn publish(&mut self, qos: QoS, n: u64) {
        match self.client.publish(
            format!("up/{}", qos as u8),
            n.to_string(),
            qos,
            false,
            self.now,
        ) {
            Ok(Some(i)) => assert!(self.client_ids.insert(i.get()), "identifier {i} reused"),
            Ok(None) => {}
            Err(e) => panic!("publish refused: {e}"),
        }
    }

    /// Moves the session's output to the link and its events to the application.
    fn drain_client(&mut self) {
        while let Some(b) = self.client.poll_transmit() {
            if self.linked {
                self.up.extend(b.iter());
            }
        }
        while let Some(e) = self.client.poll_event() {
            match e {
                Event::Message { publish, .. } => {
                    let n = std::str::from_utf8(&publish.payload)
                        .unwrap()
                        .parse()
                        .unwrap();
                    self.received.entry(publish.qos as u8).or_default().push(n);
                }
                Event::Published {
                    packet_id, code, ..
                } => {
                    assert!(code.is_success(), "{code:?}");
                    assert!(self.client_ids.remove(&packet_id.get()));
                }
                Event::Disconnected(_) => {
                    // The session ended the connection itself (ping timeout): the driver
                    // closes the transport.
                    self.linked = false;
                    self.up.clear();
                    self.down.clear();
                    self.broker.drop_connection();
                }
                _ => {}
            }
        }
    }

    /// Delivers up to `n` bytes to the client, telling the broker which of its
    /// acknowledgements arrived.
    fn deliver_down(&mut self, n: usize) {
        let chunk: Vec<u8> = (0..n).map_while(|_| self.down.pop_front()).collect();
        if chunk.is_empty() {
            return;
        }
        self.tap_buf.extend_from_slice(&chunk);
        while let Ok(Some(p)) = self.tap.decode(&mut self.tap_buf) {
            match p {
                Packet::PubAck(a) | Packet::PubComp(a) => {
                    self.broker.client_in_flight.remove(&a.packet_id.get());
                }
                Packet::ConnAck(_) => self.broker.client_in_flight.clear(),
                _ => {}
            }
        }
        self.client.handle_bytes(&chunk, self.now);
    }

    /// One step: maybe cut or reconnect, move some bytes each way, run due timers.
    fn step(&mut self, drop_per_mille: u64) {
        if self.linked && self.rng.chance(drop_per_mille) {
            self.cut();
        }
        if !self.linked && !self.client.is_connected() && self.rng.chance(300) {
            self.connect();
        }
        self.drain_client();
        if self.linked {
            let n = self.rng.below(64) as usize + 1;
            let chunk: Vec<u8> = (0..n).map_while(|_| self.up.pop_front()).collect();
            self.broker.receive(&chunk);
            self.down.extend(self.broker.tx.drain(..));
            let n = self.rng.below(64) as usize + 1;
            self.deliver_down(n);
        }
        // Nothing moving: jump to the next wakeup, as quinn's Pair does.
        if self.up.is_empty() && self.down.is_empty() {
            if let Some(at) = self.client.poll_timeout() {
                if at > self.now {
                    self.now = at;
                }
            }
        } else {
            self.now += Duration::from_millis(10);
        }
        self.client.handle_timeout(self.now);
        self.drain_client();
    }
}

/// First occurrences must be 0, 1, 2, … (in order, none missing); with `exactly_once`
/// there may be no repeats at all.
fn check_stream(what: &str, got: &[u64], total: u64, exactly_once: bool) {
    let mut seen = BTreeSet::new();
    let mut firsts = Vec::new();
    for &n in got {
        if seen.insert(n) {
            firsts.push(n);
        } else {
            assert!(!exactly_once, "{what}: {n} arrived twice");
        }
    }
    let want: Vec<u64> = (0..total).collect();
    assert_eq!(firsts, want, "{what}: out of order or missing");
}

fn simulate(v: Protocol, seed: u64) -> usize {
    const MESSAGES: u64 = 120;
    let mut pair = Pair::new(v, seed);
    pair.connect();
    let (mut up1, mut up2, mut down1, mut down2) = (0u64, 0u64, 0u64, 0u64);
    // Traffic while the network misbehaves.
    for _ in 0..6000 {
        if up1 < MESSAGES && pair.rng.chance(80) {
            pair.publish(QoS::AtLeastOnce, up1);
            up1 += 1;
        }
        if up2 < MESSAGES && pair.rng.chance(80) {
            pair.publish(QoS::ExactlyOnce, up2);
            up2 += 1;
        }
        if down1 < MESSAGES && pair.rng.chance(80) {
            pair.broker.publish_to_client(QoS::AtLeastOnce, down1);
            down1 += 1;
        }
        if down2 < MESSAGES && pair.rng.chance(80) {
            pair.broker.publish_to_client(QoS::ExactlyOnce, down2);
            down2 += 1;
        }
        pair.step(15);
    }
    // Whatever is left, on a network that no longer drops.
    for n in up1..MESSAGES {
        pair.publish(QoS::AtLeastOnce, n);
    }
    for n in up2..MESSAGES {
        pair.publish(QoS::ExactlyOnce, n);
    }
    while down1 < MESSAGES {
        pair.broker.publish_to_client(QoS::AtLeastOnce, down1);
        down1 += 1;
    }
    while down2 < MESSAGES {
        pair.broker.publish_to_client(QoS::ExactlyOnce, down2);
        down2 += 1;
    }
    for _ in 0..20_000 {
        pair.step(0);
        let done = pair.client_ids.is_empty()
            && pair.client.pending() == (0, 0)
            && pair
                .broker
                .session
                .as_ref()
                .is_some_and(|s| s.deliveries.is_empty() && s.pending.is_empty());
        if done && pair.client.is_connected() {
            break;
        }
    }
    let up = |q: QoS| -> Vec<u64> {
        pair.broker
            .log
            .iter()
            .filter(|(qos, _)| *qos == q)
            .map(|(_, n)| *n)
            .collect()
    };
    let tag = format!("{v} seed {seed}");
    check_stream(
        &format!("{tag} up QoS 1"),
        &up(QoS::AtLeastOnce),
        MESSAGES,
        false,
    );
    check_stream(
        &format!("{tag} up QoS 2"),
        &up(QoS::ExactlyOnce),
        MESSAGES,
        true,
    );
    let down = |q: u8| pair.received.get(&q).cloned().unwrap_or_default();
    check_stream(&format!("{tag} down QoS 1"), &down(1), MESSAGES, false);
    check_stream(&format!("{tag} down QoS 2"), &down(2), MESSAGES, true);
    assert!(
        pair.client_ids.is_empty(),
        "{tag}: unacknowledged {:?}",
        pair.client_ids
    );
    pair.reconnects
}

#[test]
fn lossy_link_delivers_qos1_at_least_once_and_qos2_exactly_once_in_order_v5() {
    let mut reconnects = 0;
    for seed in 1..=12 {
        reconnects += simulate(Protocol::V5, seed);
    }
    assert!(
        reconnects > 12 * 20,
        "only {reconnects} reconnects: the test is too gentle"
    );
}

#[test]
fn lossy_link_delivers_qos1_at_least_once_and_qos2_exactly_once_in_order_v311() {
    let mut reconnects = 0;
    for seed in 100..=111 {
        reconnects += simulate(Protocol::V3_1_1, seed);
    }
    assert!(
        reconnects > 12 * 20,
        "only {reconnects} reconnects: the test is too gentle"
    );
}
