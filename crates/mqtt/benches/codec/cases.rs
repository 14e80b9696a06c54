//! The benchmark cases: the same packets as ours and as rumqttc's, their common wire bytes,
//! and the work one iteration does on them, shared by the criterion benchmarks, the
//! interleaved timing and the instruction counter.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::{v4, QoS as Q4};
use rumqttc::v5::mqttbytes::{v5, QoS as Q5};
use std::hint::black_box;
use switchboard_mqtt::codec::{
    ByteStr, Decoder, Packet, PacketId, Protocol, PubResponse, Publish, QoS, SubAck, Subscribe,
    Subscription, UnsubAck, Unsubscribe,
};

/// rumqttc's maximum packet size argument: the protocol's largest, as ours defaults to.
pub(crate) const MAX: usize = 268_435_455 + 5;
/// Bytes per read in the stream case: one Ethernet TCP segment's payload.
pub(crate) const CHUNK: usize = 1460;
/// Packets in the stream case.
pub(crate) const STREAM_LEN: usize = 10_000;

/// A rumqttc packet of either version.
// Boxing the larger variant would add an indirection to rumqttc's side of the comparison.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Peer {
    V4(v4::Packet),
    V5(v5::Packet),
}

impl Peer {
    fn write(&self, buf: &mut BytesMut) {
        match self {
            Peer::V4(p) => p.write(buf, MAX).map(drop).unwrap(),
            Peer::V5(p) => p.write(buf, None).map(drop).unwrap(),
        }
    }
}

/// Reads one packet with rumqttc.
pub(crate) fn peer_read(v: Protocol, buf: &mut BytesMut) -> Option<Peer> {
    if v.is_v5() {
        v5::Packet::read(buf, None).ok().map(Peer::V5)
    } else {
        v4::Packet::read(buf, MAX).ok().map(Peer::V4)
    }
}

/// One benchmark case: the same packets for both codecs and their common wire bytes.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) version: Protocol,
    pub(crate) ours: Vec<Packet>,
    pub(crate) peer: Vec<Peer>,
    pub(crate) wire: Bytes,
}

impl Case {
    /// A case from rumqttc packets: we decode rumqttc's bytes and must re-encode them
    /// identically.
    fn from_peer(name: &'static str, version: Protocol, peer: Vec<Peer>) -> Case {
        let mut wire = BytesMut::new();
        for p in &peer {
            p.write(&mut wire);
        }
        let wire = wire.freeze();
        let ours = decode_all(version, &wire);
        assert_eq!(ours.len(), peer.len(), "{name}: we decode every packet");
        Case::checked(name, version, ours, peer, wire)
    }

    /// A case from our packets: rumqttc decodes our bytes and must re-encode them
    /// identically.
    fn from_ours(name: &'static str, version: Protocol, ours: Vec<Packet>) -> Case {
        let mut wire = BytesMut::new();
        for p in &ours {
            p.encode(version, &mut wire).unwrap();
        }
        let wire = wire.freeze();
        let mut buf = BytesMut::from(&wire[..]);
        let mut peer = Vec::new();
        while !buf.is_empty() {
            peer.push(peer_read(version, &mut buf).expect("rumqttc reads our bytes"));
        }
        Case::checked(name, version, ours, peer, wire)
    }

    fn checked(
        name: &'static str,
        version: Protocol,
        ours: Vec<Packet>,
        mut peer: Vec<Peer>,
        wire: Bytes,
    ) -> Case {
        // Both sides copy each payload from the same memory: where a 1 KiB copy runs
        // depends on the distance between source and destination (4 KiB aliasing), and
        // that must not differ between the two columns.
        for (o, p) in ours.iter().zip(&mut peer) {
            if let Packet::Publish(o) = o {
                match p {
                    Peer::V4(v4::Packet::Publish(p)) => p.payload = o.payload.clone(),
                    Peer::V5(v5::Packet::Publish(p)) => p.payload = o.payload.clone(),
                    _ => panic!("{name}: the same packet on both sides"),
                }
            }
        }
        let mut a = BytesMut::new();
        let mut b = BytesMut::new();
        for (o, p) in ours.iter().zip(&peer) {
            o.encode(version, &mut a).unwrap();
            p.write(&mut b);
        }
        assert_eq!(&a[..], &wire[..], "{name}: we encode the same bytes");
        assert_eq!(&b[..], &wire[..], "{name}: rumqttc encodes the same bytes");
        Case {
            name,
            version,
            ours,
            peer,
            wire,
        }
    }
}

fn decode_all(version: Protocol, wire: &[u8]) -> Vec<Packet> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    while let Some(p) = decoder.decode(&mut buf).unwrap() {
        out.push(p);
    }
    assert!(buf.is_empty(), "trailing bytes");
    out
}

fn v4_publish(topic: &str, qos: Q4, pkid: u16, payload: Vec<u8>) -> Peer {
    let mut p = v4::Publish::new(topic, qos, payload);
    p.pkid = pkid;
    Peer::V4(v4::Packet::Publish(p))
}

fn v5_publish(
    topic: &str,
    qos: Q5,
    pkid: u16,
    payload: Vec<u8>,
    properties: Option<v5::PublishProperties>,
) -> Peer {
    let mut p = v5::Publish::new(topic, qos, payload, properties);
    p.pkid = pkid;
    Peer::V5(v5::Packet::Publish(p))
}

const FILTERS: [&str; 10] = [
    "home/+/temperature",
    "home/+/humidity",
    "home/livingroom/#",
    "devices/abc123/commands",
    "devices/abc123/config",
    "$SYS/broker/uptime",
    "alerts/#",
    "sensors/+/+/battery",
    "fleet/vehicles/+/position",
    "chat/rooms/lobby",
];

fn v4_qos(i: usize) -> Q4 {
    [Q4::AtMostOnce, Q4::AtLeastOnce, Q4::ExactlyOnce][i % 3]
}

fn v5_qos(i: usize) -> Q5 {
    [Q5::AtMostOnce, Q5::AtLeastOnce, Q5::ExactlyOnce][i % 3]
}

/// The single-packet cases.
fn cases() -> Vec<Case> {
    let p16 = b"0123456789abcdef".to_vec();
    let p1k: Vec<u8> = (0..1024).map(|i| (i % 251) as u8).collect();
    let mut cases = vec![
        Case::from_peer(
            "publish_qos0_16B",
            Protocol::V3_1_1,
            vec![v4_publish(
                "sensors/temperature",
                Q4::AtMostOnce,
                0,
                p16.clone(),
            )],
        ),
        Case::from_peer(
            "publish_qos0_16B",
            Protocol::V5,
            vec![v5_publish(
                "sensors/temperature",
                Q5::AtMostOnce,
                0,
                p16,
                None,
            )],
        ),
        Case::from_peer(
            "publish_qos1_1KiB",
            Protocol::V3_1_1,
            vec![v4_publish(
                "devices/abc123/telemetry",
                Q4::AtLeastOnce,
                42,
                p1k.clone(),
            )],
        ),
        Case::from_peer(
            "publish_qos1_1KiB",
            Protocol::V5,
            vec![v5_publish(
                "devices/abc123/telemetry",
                Q5::AtLeastOnce,
                42,
                p1k,
                None,
            )],
        ),
    ];

    // Five properties, in the order rumqttc writes them (any order is valid).
    let props = v5::PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        topic_alias: None,
        response_topic: Some("replies/thermostat/42".into()),
        correlation_data: Some(Bytes::from_static(b"req-0000000000042")),
        user_properties: Vec::new(),
        subscription_identifiers: Vec::new(),
        content_type: Some("application/json".into()),
    };
    let json = br#"{"setpoint":21.5,"mode":"heat","fan":"auto","ts":1700000000}"#.to_vec();
    cases.push(Case::from_peer(
        "publish_v5_5props",
        Protocol::V5,
        vec![v5_publish(
            "home/livingroom/thermostat",
            Q5::AtLeastOnce,
            7,
            json,
            Some(props),
        )],
    ));

    let mut sub4 = v4::Subscribe::new_many(
        FILTERS
            .iter()
            .enumerate()
            .map(|(i, f)| v4::SubscribeFilter::new((*f).to_owned(), v4_qos(i))),
    );
    sub4.pkid = 10;
    cases.push(Case::from_peer(
        "subscribe_10",
        Protocol::V3_1_1,
        vec![Peer::V4(v4::Packet::Subscribe(sub4))],
    ));
    let mut sub5 = v5::Subscribe::new_many(
        FILTERS
            .iter()
            .enumerate()
            .map(|(i, f)| v5::Filter::new(*f, v5_qos(i))),
        None,
    );
    sub5.pkid = 10;
    cases.push(Case::from_peer(
        "subscribe_10",
        Protocol::V5,
        vec![Peer::V5(v5::Packet::Subscribe(sub5))],
    ));

    let connect = v5::Connect {
        keep_alive: 30,
        client_id: "switchboard-bench-0001".into(),
        clean_start: true,
        properties: Some(v5::ConnectProperties {
            session_expiry_interval: Some(3600),
            receive_maximum: Some(100),
            max_packet_size: Some(1 << 20),
            topic_alias_max: Some(16),
            request_response_info: Some(1),
            request_problem_info: Some(1),
            user_properties: vec![("app".into(), "switchboard".into())],
            authentication_method: None,
            authentication_data: None,
        }),
    };
    let will = v5::LastWill {
        topic: Bytes::from_static(b"clients/switchboard-bench-0001/status"),
        message: Bytes::from_static(b"offline"),
        qos: Q5::AtLeastOnce,
        retain: true,
        properties: Some(v5::LastWillProperties {
            delay_interval: Some(5),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(600),
            content_type: Some("text/plain".into()),
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
    };
    let login = v5::Login::new("operator", "correct horse battery staple");
    cases.push(Case::from_peer(
        "connect_v5",
        Protocol::V5,
        vec![Peer::V5(v5::Packet::Connect(
            connect,
            Some(will),
            Some(login),
        ))],
    ));
    cases
}

/// A small deterministic generator (xorshift), so every run sees the same stream.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn id(rng: &mut Rng) -> PacketId {
    PacketId::new(1 + rng.below(65_535) as u16).unwrap()
}

/// 10,000 packets of the mix a busy client or broker connection carries: mostly small
/// QoS 0 telemetry, QoS 1 messages up to 2 KiB and their acknowledgements, some QoS 2
/// handshakes, subscription changes and pings.
fn mixed(version: Protocol) -> Vec<Packet> {
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let payload: Bytes = (0..2048).map(|i| (i * 7 % 256) as u8).collect();
    let mut out = Vec::with_capacity(STREAM_LEN);
    while out.len() < STREAM_LEN {
        let roll = rng.below(100);
        let p = match roll {
            0..=49 => {
                let n = 8 + rng.below(249) as usize;
                let topic = format!("sensors/{}/temperature", rng.below(100));
                Packet::Publish(Publish::new(topic, payload.slice(..n)))
            }
            50..=64 => {
                let span = if rng.below(10) == 0 { 2033 } else { 1009 };
                let n = 16 + rng.below(span) as usize;
                let mut p = Publish::new(
                    format!("devices/{}/events", rng.below(1000)),
                    payload.slice(..n),
                );
                p.qos = QoS::AtLeastOnce;
                p.packet_id = Some(id(&mut rng));
                Packet::Publish(p)
            }
            65..=79 => Packet::PubAck(PubResponse::new(id(&mut rng))),
            80..=82 => Packet::PubRec(PubResponse::new(id(&mut rng))),
            83..=85 => Packet::PubRel(PubResponse::new(id(&mut rng))),
            86..=88 => Packet::PubComp(PubResponse::new(id(&mut rng))),
            89..=91 => Packet::Subscribe(Subscribe {
                packet_id: id(&mut rng),
                properties: Default::default(),
                subscriptions: (0..1 + rng.below(3) as usize)
                    .map(|i| {
                        Subscription::new(
                            ByteStr::from_static(FILTERS[(roll as usize + i) % 10]),
                            QoS::AtLeastOnce,
                        )
                    })
                    .collect(),
            }),
            92..=94 => Packet::SubAck(SubAck {
                packet_id: id(&mut rng),
                properties: Default::default(),
                codes: vec![
                    switchboard_mqtt::codec::ReasonCode::GRANTED_QOS_1;
                    1 + rng.below(3) as usize
                ],
            }),
            95..=96 => Packet::Unsubscribe(Unsubscribe {
                packet_id: id(&mut rng),
                properties: Default::default(),
                filters: vec![ByteStr::from_static(FILTERS[roll as usize % 10])],
            }),
            97 => Packet::UnsubAck(UnsubAck {
                packet_id: id(&mut rng),
                properties: Default::default(),
                codes: if version.is_v5() {
                    vec![switchboard_mqtt::codec::ReasonCode::SUCCESS]
                } else {
                    Vec::new()
                },
            }),
            98 => Packet::PingReq,
            _ => Packet::PingResp,
        };
        out.push(p);
    }
    out
}

pub(crate) fn label(case: &Case) -> String {
    let v = if case.version.is_v5() { "v5" } else { "v311" };
    format!("{}/{v}", case.name)
}

/// Every case, the two streams included.
pub(crate) fn all_cases() -> Vec<Case> {
    let mut cases = cases();
    for case in cases.iter().filter(|c| c.has_unchecked()) {
        assert!(
            crate::unchecked::agrees(&case.ours[0], &case.wire),
            "{}: the unchecked codec reads and writes the same packet",
            label(case)
        );
    }
    for v in [Protocol::V3_1_1, Protocol::V5] {
        let case = Case::from_ours("stream_10k", v, mixed(v));
        // Every stream decodes to the same packets however it is chunked.
        let mut decoder = Decoder::new(v);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for chunk in case.wire.chunks(CHUNK) {
            buf.extend_from_slice(chunk);
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                got.push(p);
            }
        }
        assert_eq!(got, case.ours);
        cases.push(case);
    }
    cases
}

/// Which codec does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Ours,
    Rumqttc,
    /// The codec that checks nothing (`unchecked`), in ours' place.
    Unchecked,
}

impl Side {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Rumqttc => "rumqttc",
            Side::Unchecked => "unchecked",
        }
    }
}

impl Case {
    /// Whether the unchecked codec reads this case: the single-packet MQTT 3.1.1 ones.
    pub(crate) fn has_unchecked(&self) -> bool {
        self.version == Protocol::V3_1_1 && !self.is_stream()
    }

    /// Whether this is a stream case (many packets, fed in chunks).
    pub(crate) fn is_stream(&self) -> bool {
        self.ours.len() > 1
    }

    /// Decodes the single packet `buf` holds (a fresh copy of the wire bytes) into an owned
    /// packet, which is dropped: the streaming entry points a socket reader calls.
    #[inline(always)]
    pub(crate) fn decode_one(&self, side: Side, decoder: &mut Decoder, buf: &mut BytesMut) {
        // Each side's own result type, not wrapped in `Peer`: moving rumqttc's large packet
        // enum into another would charge it for a copy of the harness's making.
        match side {
            Side::Ours => drop(black_box(decoder.decode(buf))),
            Side::Rumqttc if self.version.is_v5() => drop(black_box(v5::Packet::read(buf, None))),
            Side::Rumqttc => drop(black_box(v4::Packet::read(buf, MAX))),
            Side::Unchecked => drop(black_box(crate::unchecked::decode(buf))),
        }
    }

    /// A socket reader: appends each chunk of the stream to the read buffer, then takes every
    /// whole packet out of it. Returns the packets decoded.
    #[inline(always)]
    pub(crate) fn decode_stream(&self, side: Side) -> usize {
        let v = self.version;
        let mut decoder = Decoder::new(v);
        let mut buf = BytesMut::with_capacity(8 * 1024);
        let mut count = 0usize;
        for chunk in self.wire.chunks(CHUNK) {
            buf.extend_from_slice(chunk);
            match side {
                Side::Unchecked => panic!("the unchecked codec reads no stream"),
                Side::Ours => {
                    while let Ok(Some(p)) = decoder.decode(&mut buf) {
                        black_box(&p);
                        count += 1;
                    }
                }
                Side::Rumqttc if v.is_v5() => {
                    while let Ok(p) = v5::Packet::read(&mut buf, None) {
                        black_box(&p);
                        count += 1;
                    }
                }
                Side::Rumqttc => {
                    while let Ok(p) = v4::Packet::read(&mut buf, MAX) {
                        black_box(&p);
                        count += 1;
                    }
                }
            }
        }
        black_box(count)
    }

    /// Writes every packet of the case into `out`, cleared first.
    #[inline(always)]
    pub(crate) fn encode(&self, side: Side, out: &mut BytesMut) {
        out.clear();
        match side {
            Side::Ours => {
                for p in &self.ours {
                    let _ = black_box(p).encode(self.version, out);
                }
            }
            Side::Unchecked => {
                for p in &self.ours {
                    crate::unchecked::encode(black_box(p), out);
                }
            }
            Side::Rumqttc => {
                for p in &self.peer {
                    match black_box(p) {
                        Peer::V4(p) => drop(p.write(out, MAX)),
                        Peer::V5(p) => drop(p.write(out, None)),
                    }
                }
            }
        }
        black_box(&out);
    }
}
