//! Property tests of the codec (generators in `common/gen.rs`):
//! - encode → decode is the identity for arbitrary valid packets of every type, under each
//!   version (3.1, 3.1.1 and 5.0 with arbitrary valid properties);
//! - decoding arbitrary bytes, or valid packets with bytes changed, never panics, and
//!   whatever the decoder accepts the encoder writes back to the same packet;
//! - any split of a valid stream of packets decodes to the same packets.
//!
//! 256 cases per property (proptest's default); set `PROPTEST_CASES` for a longer run.

// A test reports failure by panicking; unwrapping and indexing keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use bytes::BytesMut;
use common::gen::{packet, protocol, versioned_packet, versioned_stream};
use common::{decode_chunks, to_hex};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use switchboard_mqtt::codec::{
    DecodeError, Decoder, EncodeError, Packet, PacketType, Protocol, Status,
};

/// Encodes, checks the size is what `encoded_len` promised, decodes with both APIs, and
/// checks the packet came back unchanged.
fn round_trip(version: Protocol, p: &Packet) -> Result<(), TestCaseError> {
    let bytes = p
        .to_bytes(version)
        .map_err(|e| TestCaseError::fail(format!("encode refused a valid packet: {e}")))?;
    prop_assert_eq!(p.encoded_len(version), Ok(bytes.len()));
    let decoded = Packet::decode(&bytes, version)
        .map_err(|e| TestCaseError::fail(format!("decode of {}: {e}", to_hex(&bytes))))?;
    prop_assert_eq!(&decoded, p);
    let mut buf = BytesMut::from(&bytes[..]);
    prop_assert_eq!(
        Decoder::new(version).poll(&mut buf),
        Ok(Status::Packet(p.clone()))
    );
    prop_assert!(buf.is_empty());
    // The JSON view (feature `serde`) describes every packet.
    #[cfg(feature = "serde")]
    {
        let described = switchboard_mqtt::codec::Described { packet: p, version };
        let json =
            serde_json::to_value(described).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&json["type"], p.packet_type().name());
    }
    Ok(())
}

/// Runs every decoder entry point over `bytes`; none may panic. Returns the packets the
/// streaming decoder found before it stopped, each with the version it was read under (a
/// CONNECT switches the decoder to its own).
fn decode_everything(version: Protocol, bytes: &[u8]) -> Vec<(Protocol, Packet)> {
    let _ = Packet::decode(bytes, version);
    let mut decoder = Decoder::new(version).with_max_packet_size(1 << 16);
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    loop {
        let v = decoder.version();
        match decoder.poll(&mut buf) {
            Ok(Status::Packet(p)) => out.push((v, p)),
            _ => return out,
        }
    }
}

/// Whatever the decoder accepts, the encoder writes, and the bytes decode to the same packet.
/// The decoder is more lenient than the encoder in two places, on purpose: it reads a 3.1 or
/// 3.1.1 CONNECT with an empty client identifier (the server answers with return code 2,
/// MQTT-3.1.3-8), and a 5.0 client reads a CONNACK without properties as a 3.1.1 server's
/// answer (whose return code may not be a 5.0 reason code).
fn re_encodes(version: Protocol, p: &Packet) -> Result<(), TestCaseError> {
    let version = match p {
        Packet::Connect(c) => c.protocol,
        _ => version,
    };
    match p.to_bytes(version) {
        Ok(bytes) => {
            let again = Packet::decode(&bytes, version);
            prop_assert_eq!(again.as_ref(), Ok(p), "re-encoded as {}", to_hex(&bytes));
        }
        Err(EncodeError::EmptyClientId) => {}
        Err(EncodeError::InvalidReasonCode(_)) if matches!(p, Packet::ConnAck(_)) => {}
        Err(e) => prop_assert!(false, "decoded {p:?} but cannot encode it: {e}"),
    }
    Ok(())
}

proptest! {
    #[test]
    fn encode_decode_identity_v3_1(p in packet(Protocol::V3_1)) {
        round_trip(Protocol::V3_1, &p)?;
    }

    #[test]
    fn encode_decode_identity_v3_1_1(p in packet(Protocol::V3_1_1)) {
        round_trip(Protocol::V3_1_1, &p)?;
    }

    #[test]
    fn encode_decode_identity_v5(p in packet(Protocol::V5)) {
        round_trip(Protocol::V5, &p)?;
    }

    /// Every type gets its share: the generator is a uniform choice over packet types, so
    /// the cases of each version cover each type many times. This checks the choice is wide.
    #[test]
    fn generators_cover_every_packet_type(ps in vec(packet(Protocol::V5), 200)) {
        let mut seen: Vec<PacketType> = ps.iter().map(Packet::packet_type).collect();
        seen.sort_by_key(|t| *t as u8);
        seen.dedup();
        prop_assert!(seen.len() >= 13, "only {seen:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic(version in protocol(), bytes in vec(any::<u8>(), 0..256)) {
        for (v, p) in decode_everything(version, &bytes) {
            re_encodes(v, &p)?;
        }
    }

    /// Arbitrary bytes rarely get past the fixed header; a valid packet with a few bytes
    /// changed, or cut short, reaches every field parser.
    #[test]
    fn mutated_packets_never_panic(
        (version, p) in versioned_packet(),
        changes in vec((any::<Index>(), any::<u8>()), 1..4),
        cut in any::<Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = p.to_bytes(version).unwrap().to_vec();
        for (at, byte) in changes {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        for (v, p) in decode_everything(version, &bytes) {
            re_encodes(v, &p)?;
        }
    }

    /// Every prefix of a valid packet is "need more" to the streaming decoder, and a
    /// truncation error (never a panic, never a packet) to `Packet::decode`.
    #[test]
    fn prefixes_need_more((version, p) in versioned_packet(), cut in any::<Index>()) {
        let bytes = p.to_bytes(version).unwrap();
        let n = cut.index(bytes.len());
        let mut buf = BytesMut::from(&bytes[..n]);
        let status = Decoder::new(version).poll(&mut buf);
        prop_assert!(matches!(status, Ok(Status::NeedMore { .. })), "{status:?}");
        prop_assert!(
            matches!(Packet::decode(&bytes[..n], version), Err(DecodeError::Truncated { .. })),
            "prefix of {n} bytes"
        );
    }

    #[test]
    fn any_split_of_a_stream_decodes_the_same(
        (version, packets) in versioned_stream(),
        cuts in vec(any::<Index>(), 0..12),
    ) {
        let stream: Vec<u8> = packets
            .iter()
            .flat_map(|p| p.to_bytes(version).unwrap().to_vec())
            .collect();
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        at.push(0);
        at.push(stream.len());
        at.sort_unstable();
        at.dedup();
        let chunks: Vec<&[u8]> = at.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
        let got = decode_chunks(version, chunks.iter().copied()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&got, &packets);
        // And byte by byte.
        let got = decode_chunks(version, stream.chunks(1)).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, packets);
    }
}
