//! The session test harness: one session, a fake clock, and the broker's view of the wire.
//! Shared by the `session*.rs` tests; each uses part of it.
#![allow(dead_code)]

use bytes::BytesMut;
use std::time::Duration;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

/// A session and the broker's view of it.
pub(crate) struct Harness {
    pub(crate) s: Session,
    pub(crate) now: Instant,
    pub(crate) v: Protocol,
}

impl Harness {
    pub(crate) fn new(opts: Options) -> Harness {
        let v = opts.protocol;
        Harness {
            s: Session::new(opts),
            // The one real instant; after this the clock only moves when a test moves it.
            now: Instant::now(),
            v,
        }
    }

    pub(crate) fn v5() -> Harness {
        Harness::new(Options::new(Protocol::V5, "t"))
    }

    pub(crate) fn v311() -> Harness {
        Harness::new(Options::new(Protocol::V3_1_1, "t"))
    }

    /// A v5 session that keeps its server session (Session Expiry 600 s).
    pub(crate) fn v5_persistent() -> Harness {
        let mut o = Options::new(Protocol::V5, "t");
        o.session_expiry = 600;
        Harness::new(o)
    }

    /// What the session sent since the last call, decoded as a server would.
    pub(crate) fn sent(&mut self) -> Vec<Packet> {
        let mut buf = BytesMut::new();
        while let Some(b) = self.s.poll_transmit() {
            buf.extend_from_slice(&b);
        }
        let mut d = Decoder::new(self.v);
        let mut out = Vec::new();
        while let Some(p) = d.decode(&mut buf).unwrap() {
            out.push(p);
        }
        assert!(buf.is_empty(), "a partial packet was queued");
        out
    }

    pub(crate) fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    /// The messages among the pending events (the others are dropped).
    pub(crate) fn messages(&mut self) -> Vec<Publish> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message { publish, .. } => Some(publish),
                _ => None,
            })
            .collect()
    }

    /// The broker sends `p`.
    pub(crate) fn recv(&mut self, p: Packet) {
        let bytes = p.to_bytes(self.v).unwrap();
        self.s.handle_bytes(&bytes, self.now);
    }

    pub(crate) fn connack(&mut self, session_present: bool, properties: Properties) {
        self.recv(Packet::ConnAck(ConnAck {
            session_present,
            code: ReasonCode::SUCCESS,
            properties,
        }));
    }

    /// Connects and accepts, discarding CONNECT and the Connected event.
    pub(crate) fn up(&mut self, properties: Properties) {
        self.s.connect(self.now);
        let sent = self.sent();
        assert!(matches!(sent[..], [Packet::Connect(_)]), "{sent:?}");
        self.connack(false, properties);
        let ev = self.events();
        assert!(matches!(ev[..], [Event::Connected { .. }]), "{ev:?}");
    }

    /// The transport dies; returns the events that produced.
    pub(crate) fn lose(&mut self) -> Vec<Event> {
        self.s.connection_lost(self.now);
        assert!(self.s.poll_transmit().is_none());
        self.events()
    }

    /// Connects again and accepts with `session_present`; returns CONNECT. The Connected
    /// event stays in the queue.
    pub(crate) fn reconnect(
        &mut self,
        session_present: bool,
        properties: Properties,
    ) -> Box<Connect> {
        self.s.connect(self.now);
        let mut sent = self.sent();
        let Some(Packet::Connect(c)) = sent.pop() else {
            panic!("no CONNECT: {sent:?}")
        };
        self.connack(session_present, properties);
        c
    }

    pub(crate) fn advance(&mut self, d: Duration) {
        self.now += d;
        self.s.handle_timeout(self.now);
    }

    /// Publishes and returns the identifier (QoS 1/2).
    pub(crate) fn publish(&mut self, topic: &str, payload: &str, qos: QoS) -> PacketId {
        self.s
            .publish(topic.to_string(), payload.to_string(), qos, false, self.now)
            .unwrap()
            .unwrap()
    }

    /// Expects exactly one DISCONNECT (5.0) and a ProtocolError event with `code`.
    pub(crate) fn expect_protocol_error(&mut self, code: u8) -> String {
        let sent = self.sent();
        if self.v.is_v5() {
            let [Packet::Disconnect(d)] = &sent[..] else {
                panic!("expected DISCONNECT, sent {sent:?}")
            };
            assert_eq!(d.code, ReasonCode::new(code), "{d:?}");
        } else {
            assert!(sent.is_empty(), "3.x sends nothing: {sent:?}");
        }
        let ev = self.events();
        let [Event::Disconnected(DisconnectReason::ProtocolError {
            code: c, message, ..
        })] = &ev[..]
        else {
            panic!("expected a protocol error, got {ev:?}")
        };
        assert_eq!(*c, ReasonCode::new(code), "{message}");
        assert!(!self.s.is_connected());
        assert_eq!(self.s.poll_timeout(), None);
        message.clone()
    }
}

pub(crate) fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

pub(crate) fn props(list: Vec<Property>) -> Properties {
    let mut p = Properties::new();
    for x in list {
        p.push(x);
    }
    p
}

/// (packet id, DUP, payload) of each PUBLISH.
pub(crate) fn publishes(packets: &[Packet]) -> Vec<(Option<u16>, bool, String)> {
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

/// Payloads of each PUBLISH.
pub(crate) fn payloads(packets: &[Packet]) -> Vec<String> {
    publishes(packets).into_iter().map(|p| p.2).collect()
}

pub(crate) fn incoming(topic: &str, payload: &str, qos: QoS, packet_id: u16) -> Publish {
    let mut p = Publish::new(topic.to_string(), payload.to_string());
    p.qos = qos;
    p.packet_id = (qos != QoS::AtMostOnce).then(|| id(packet_id));
    p
}

/// The (packet id, code) of each Published event.
pub(crate) fn published(events: &[Event]) -> Vec<(u16, u8)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Published {
                packet_id, code, ..
            } => Some((packet_id.get(), code.get())),
            _ => None,
        })
        .collect()
}
