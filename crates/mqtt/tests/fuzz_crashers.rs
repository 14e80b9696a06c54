//! Replays every input the fuzzers (`fuzz/`, `cargo +nightly fuzz run …`) ever failed on,
//! kept in `tests/fuzz-crashers/`, with the property the decode targets check: under every
//! version, decoding never panics; `Packet::decode` and the streaming `Decoder` (fed at once
//! and byte by byte) agree; and every packet that decodes re-encodes and decodes to itself.
//! `tests/fuzz-crashers/README.md` says what each input found. The `roundtrip` target's
//! findings (packets the encoder accepted but the decoder refuses) are also replayed from the
//! packet side, at the end.

// A test reports failure by panicking; unwrapping and indexing keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::BytesMut;
use std::path::PathBuf;
use switchboard_mqtt::codec::{
    ByteStr, ConnAck, DecodeError, Decoder, EncodeError, Packet, PacketType, Properties, Protocol,
    Publish, QoS, ReasonCode, Status, Subscribe, Subscription, SubscriptionOptions,
};

const VERSIONS: [Protocol; 3] = [Protocol::V3_1, Protocol::V3_1_1, Protocol::V5];

fn crashers() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-crashers");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The packets (with the version each was decoded under) and the first error of a stream
/// fed in chunks of `chunk` bytes.
fn stream(
    data: &[u8],
    version: Protocol,
    chunk: usize,
) -> (Vec<(Packet, Protocol)>, Option<DecodeError>) {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            let v = decoder.version();
            match decoder.poll(&mut buf) {
                Ok(Status::Packet(p)) => {
                    let v = match &p {
                        Packet::Connect(c) => c.protocol,
                        _ => v,
                    };
                    packets.push((p, v));
                }
                Ok(Status::NeedMore { .. }) => break,
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

/// Re-encodes a decoded packet and decodes it back, allowing the two documented asymmetries.
fn check_reencode(name: &str, p: &Packet, v: Protocol) {
    // A 5.0 CONNACK without properties is read as the 3.1.1 CONNACK a server that does not
    // speak 5.0 answers with; its return codes 1–5 are not 5.0 reason codes, so it
    // re-encodes as 3.1.1.
    let v = match p {
        Packet::ConnAck(c)
            if v.is_v5()
                && c.properties.is_empty()
                && !c.code.is_valid_for(PacketType::ConnAck, v) =>
        {
            Protocol::V3_1_1
        }
        _ => v,
    };
    let bytes = match p.to_bytes(v) {
        Ok(b) => b,
        // A CONNECT with an empty client identifier where the version needs one: a server must
        // read it to refuse it [MQTT-3.1.3-8], a client must not send it [MQTT-3.1.3-7].
        Err(EncodeError::EmptyClientId) if matches!(p, Packet::Connect(c) if c.client_id.is_empty()) =>
        {
            return;
        }
        Err(e) => panic!("{name}: decoded packet does not re-encode as {v}: {e:?}\n{p:#?}"),
    };
    assert_eq!(
        p.encoded_len(v).ok(),
        Some(bytes.len()),
        "{name}: encoded_len"
    );
    let q = Packet::decode(&bytes, v)
        .unwrap_or_else(|e| panic!("{name}: re-encoded {bytes:02x?} does not decode: {e:?}"));
    assert_eq!(&q, p, "{name}: re-decoded packet differs");
}

#[test]
fn every_fuzz_crasher_decodes_without_panic_and_round_trips() {
    let crashers = crashers();
    assert!(crashers.len() >= 6, "the crasher inputs are missing");
    for (name, data) in &crashers {
        for v in VERSIONS {
            let single = Packet::decode(data, v);
            if let Ok(p) = &single {
                let pv = match p {
                    Packet::Connect(c) => c.protocol,
                    _ => v,
                };
                check_reencode(name, p, pv);
            }
            let whole = stream(data, v, data.len());
            assert_eq!(
                stream(data, v, 1),
                whole,
                "{name} as {v}: byte-wise stream differs"
            );
            for (p, pv) in &whole.0 {
                check_reencode(name, p, *pv);
            }
            if single.is_ok() {
                assert!(
                    whole.1.is_none() && whole.0.len() == 1,
                    "{name} as {v}: decoders disagree"
                );
                assert_eq!(single.as_ref().ok(), whole.0.first().map(|(p, _)| p));
            }
        }
    }
}

/// The inputs that the encoder used to write, from packets breaking a rule: each is refused
/// by the decoder, and the packet is now refused by the encoder.
#[test]
fn encoder_refuses_what_the_decoder_refuses() {
    let refused = |file: &str, v: Protocol, packet: Packet, want: EncodeError| {
        let data = crashers().into_iter().find(|(n, _)| n == file).unwrap().1;
        assert!(Packet::decode(&data, v).is_err(), "{file} decodes as {v}");
        let mut buf = BytesMut::new();
        assert_eq!(packet.encode(v, &mut buf), Err(want), "{file}");
        assert!(buf.is_empty(), "{file}: a refused packet wrote bytes");
    };

    let mut publish = Publish::new("t", "");
    publish.dup = true;
    publish.retain = true;
    refused(
        "roundtrip-publish-dup-at-qos-0.bin",
        Protocol::V5,
        Packet::Publish(publish),
        EncodeError::DupOnQoS0,
    );

    refused(
        "roundtrip-connack-session-present-with-refusal.bin",
        Protocol::V3_1_1,
        Packet::ConnAck(ConnAck {
            session_present: true,
            code: ReasonCode::new(1),
            properties: Properties::new(),
        }),
        EncodeError::SessionPresentOnRefusal,
    );

    refused(
        "roundtrip-subscribe-no-local-on-shared.bin",
        Protocol::V5,
        Packet::Subscribe(Subscribe {
            packet_id: switchboard_mqtt::codec::PacketId::new(1).unwrap(),
            properties: Properties::new(),
            subscriptions: vec![Subscription {
                filter: ByteStr::from_static("$share/HHHHHHH/+/#"),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: true,
                    ..SubscriptionOptions::default()
                },
            }],
        }),
        EncodeError::NoLocalOnSharedSubscription,
    );
}
