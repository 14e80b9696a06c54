//! Example packets for the inspector: every packet type of MQTT 3.1.1 and 5.0 (and a 3.1
//! CONNECT), streams of several packets, and malformed packets that each break one rule.
//!
//! The valid ones were encoded by the codec itself; the tests below decode every sample and
//! check that it gives the outcome its [`Expect`] promises.

use super::hex::{format_hex, parse_input};
use switchboard_mqtt::codec::{DecodeError, Protocol};

/// What decoding a sample is meant to show.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// Every byte decodes: this many packets.
    Packets(usize),
    /// The bytes end inside a packet, after this many whole packets.
    Incomplete(usize),
    /// Decoding stops with an error this test accepts, after this many whole packets. (The
    /// kind of error, not its rule text: the codec may cite a rule more precisely later.)
    Breaks(fn(&DecodeError) -> bool, usize),
}

/// One example buffer.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// A stable identifier (the value of the sample picker's option).
    pub id: &'static str,
    /// The name shown in the picker.
    pub title: &'static str,
    /// The protocol version to decode it with.
    pub version: Protocol,
    /// The bytes, as compact hex.
    pub hex: &'static str,
    /// The outcome it demonstrates.
    pub expect: Expect,
}

impl Sample {
    /// The sample's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        parse_input(self.hex).map(|p| p.bytes).unwrap_or_default()
    }

    /// The sample as the input box shows it: spaced hex, 16 bytes a line.
    pub fn text(&self) -> String {
        format_hex(&self.bytes(), 16)
    }
}

/// A group of samples under one heading in the picker.
#[derive(Debug, Clone, Copy)]
pub struct SampleGroup {
    /// The heading.
    pub label: &'static str,
    /// Its samples.
    pub samples: &'static [Sample],
}

const fn s(
    id: &'static str,
    title: &'static str,
    version: Protocol,
    hex: &'static str,
    expect: Expect,
) -> Sample {
    Sample {
        id,
        title,
        version,
        hex,
        expect,
    }
}

use DecodeError as E;
use Expect::{Breaks, Incomplete, Packets};
use Protocol::{V3_1, V3_1_1, V5};

/// The sample the inspector opens with.
pub const DEFAULT_SAMPLE: &str = "v5-publish";

/// Every sample, grouped as the picker shows them.
pub const GROUPS: &[SampleGroup] = &[
    SampleGroup {
        label: "MQTT 5.0",
        samples: &[
            s("v5-connect", "CONNECT with will, credentials and properties", V5,
              "108b0100044d51545405ee001e251100000e10210014270010000022000a1701260003617070000b737769746368626f617264000e64617368626f6172642d376633611918000000050101020001518003000a746578742f706c61696e0013646576696365732f376633612f73746174757300076f66666c696e6500086f70657261746f72000768756e74657232",
              Packets(1)),
            s("v5-connack", "CONNACK with server properties", V5,
              "202200001f12000b6175746f2d33463941314313003c2100642200102401250128012a00",
              Packets(1)),
            s("v5-connack-refused", "CONNACK refused: Not authorized", V5,
              "20260087231f002041434c2064656e69657320636c69656e742064617368626f6172642d37663361",
              Packets(1)),
            s("v5-publish", "PUBLISH QoS 1 with properties", V5,
              "328101000a636861742f6c6f6262790007540101020000012c2300030300106170706c69636174696f6e2f6a736f6e080012636861742f6c6f6262792f7265706c696573090004cafe000126000673656e6465720003616e612600046c616e670002656e0b2a7b2266726f6d223a22616e61222c2274657874223a22686920616c6c227d",
              Packets(1)),
            s("v5-puback", "PUBACK: No matching subscribers", V5,
              "4024000710201f001d6e6f20737562736372696265727320666f7220636861742f6c6f626279",
              Packets(1)),
            s("v5-qos2", "QoS 2 flow: PUBREC, PUBREL (id not found), PUBCOMP", V5,
              "5002000862040008920070020008",
              Packets(3)),
            s("v5-subscribe", "SUBSCRIBE with options and a shared subscription", V5,
              "82470003160b2a2600066f726967696e0009696e73706563746f720013646576696365732f2b2f74656c656d657472791d00152473686172652f776f726b6572732f6a6f62732f2322",
              Packets(1)),
            s("v5-suback", "SUBACK with a refusal", V5, "9005000300019e", Packets(1)),
            s("v5-unsubscribe", "UNSUBSCRIBE two filters", V5,
              "a2220004000013646576696365732f2b2f74656c656d657472790008616c657274732f23",
              Packets(1)),
            s("v5-unsuback", "UNSUBACK with reason codes", V5, "b0050004000011", Packets(1)),
            s("v5-ping", "PINGREQ and PINGRESP", V5, "c000d000", Packets(2)),
            s("v5-disconnect", "DISCONNECT with Will Message", V5,
              "e027042511000000001f001d7368757474696e6720646f776e20666f72206d61696e74656e616e6365",
              Packets(1)),
            s("v5-disconnect-moved", "DISCONNECT: Server moved", V5,
              "e01e9d1c1c001962726f6b65722d322e6578616d706c652e6e65743a38383833",
              Packets(1)),
            s("v5-auth", "AUTH: Continue authentication (SCRAM)", V5,
              "f035183315000d534352414d2d5348412d3235361600206e2c2c6e3d757365722c723d724f70724e476677456265525767624e456b714f",
              Packets(1)),
        ],
    },
    SampleGroup {
        label: "MQTT 3.1.1",
        samples: &[
            s("v311-connect", "CONNECT with user name and password", V3_1_1,
              "102400044d51545404c2003c000973656e736f722d34320005616c6963650006733363726574",
              Packets(1)),
            s("v311-connack", "CONNACK accepted, session present", V3_1_1, "20020100", Packets(1)),
            s("v311-connack-refused", "CONNACK refused: not authorized", V3_1_1, "20020005",
              Packets(1)),
            s("v311-publish-qos0", "PUBLISH QoS 0", V3_1_1,
              "301a001473656e736f72732f6b69746368656e2f74656d7032312e35",
              Packets(1)),
            s("v311-publish-retained", "PUBLISH QoS 1, retained JSON", V3_1_1,
              "33230010646576696365732f372f737461747573000a7b226f6e6c696e65223a747275657d",
              Packets(1)),
            s("v311-publish-binary", "PUBLISH QoS 2, DUP, binary payload", V3_1_1,
              "3c1b000b63616d2f312f6672616d65109289504e470d0a1a0a0000000d",
              Packets(1)),
            s("v311-puback", "PUBACK", V3_1_1, "4002000a", Packets(1)),
            s("v311-qos2", "QoS 2 flow: PUBREC, PUBREL, PUBCOMP", V3_1_1,
              "500210926202109270021092", Packets(3)),
            s("v311-subscribe", "SUBSCRIBE two filters", V3_1_1,
              "821e0001000e73656e736f72732f2b2f74656d70010008616c657274732f2302",
              Packets(1)),
            s("v311-suback", "SUBACK granted and failure", V3_1_1, "900400010180", Packets(1)),
            s("v311-unsubscribe", "UNSUBSCRIBE", V3_1_1, "a20c00020008616c657274732f23",
              Packets(1)),
            s("v311-unsuback", "UNSUBACK", V3_1_1, "b0020002", Packets(1)),
            s("v311-ping", "PINGREQ and PINGRESP", V3_1_1, "c000d000", Packets(2)),
            s("v311-disconnect", "DISCONNECT", V3_1_1, "e000", Packets(1)),
            s("v311-stream", "A stream: CONNACK, PUBLISH, PINGRESP", V3_1_1,
              "2002010033230010646576696365732f372f737461747573000a7b226f6e6c696e65223a747275657dd000",
              Packets(3)),
            s("v311-incomplete", "Incomplete: PUBLISH cut short", V3_1_1,
              "33230010646576696365732f372f737461747573000a7b22",
              Incomplete(0)),
        ],
    },
    SampleGroup {
        label: "MQTT 3.1",
        samples: &[
            s("v31-connect", "CONNECT (MQIsdp) with a will", V3_1,
              "103b00064d5149736470032e001e000d6c65676163792d636c69656e740015636c69656e74732f6c65676163792f73746174757300076f66666c696e65",
              Packets(1)),
        ],
    },
    SampleGroup {
        label: "Malformed",
        samples: &[
            s("bad-qos3", "PUBLISH with QoS 3", V3_1_1, "3605000161 0001", Breaks(|e| matches!(e, E::InvalidQoS), 0)),
            s("bad-wildcard", "PUBLISH to a topic with a wildcard", V3_1_1,
              "300c000873656e736f722f2b6869", Breaks(|e| matches!(e, E::WildcardInTopicName), 0)),
            s("bad-flags", "SUBSCRIBE with reserved flags 0000", V3_1_1, "8006000100016100",
              Breaks(|e| matches!(e, E::InvalidHeaderFlags { .. }), 0)),
            s("bad-stream", "A stream that breaks after one packet", V3_1_1,
              "301a001473656e736f72732f6b69746368656e2f74656d7032312e358006000100016100c000",
              Breaks(|e| matches!(e, E::InvalidHeaderFlags { .. }), 1)),
            s("bad-packet-id", "PUBACK with packet identifier 0", V3_1_1, "40020000",
              Breaks(|e| matches!(e, E::ZeroPacketId), 0)),
            s("bad-utf8", "Topic with a UTF-16 surrogate", V3_1_1, "30070003eda0806869",
              Breaks(|e| matches!(e, E::InvalidUtf8 { .. }), 0)),
            s("bad-null", "Topic containing U+0000", V3_1_1, "3006000261006869",
              Breaks(|e| matches!(e, E::NullCharacter { .. }), 0)),
            s("bad-length", "Remaining Length longer than 4 bytes", V3_1_1, "30ffffffff01",
              Breaks(|e| matches!(e, E::MalformedVariableByteInteger), 0)),
            s("bad-connect-flag", "CONNECT with the reserved flag set", V3_1_1,
              "102400044d51545404c3003c000973656e736f722d34320005616c6963650006733363726574",
              Breaks(|e| matches!(e, E::ConnectReservedFlag), 0)),
            s("bad-empty-subscribe", "SUBSCRIBE without topic filters", V3_1_1, "82020001",
              Breaks(|e| matches!(e, E::NoTopicFilters(_)), 0)),
            s("bad-auth-311", "AUTH in MQTT 3.1.1", V3_1_1, "f000",
              Breaks(|e| matches!(e, E::UnsupportedPacket(_)), 0)),
            s("bad-topic-alias", "5.0 PUBLISH with Topic Alias 0", V5, "30090001610323000068 69",
              Breaks(|e| matches!(e, E::InvalidPropertyValue { .. }), 0)),
            s("bad-duplicate-property", "5.0 PUBLISH with a duplicated property", V5,
              "30100001610a020000000a020000003c6869",
              Breaks(|e| matches!(e, E::DuplicateProperty(_)), 0)),
            s("bad-misplaced-property", "5.0 PUBLISH with Session Expiry Interval", V5,
              "30090001610511 0000003c",
              Breaks(|e| matches!(e, E::PropertyNotAllowed { .. }), 0)),
            s("bad-retain-handling", "5.0 SUBSCRIBE with Retain Handling 3", V5,
              "820800010000 02612f30", Breaks(|e| matches!(e, E::InvalidRetainHandling), 0)),
        ],
    },
];

/// Every sample, in picker order.
pub fn all() -> impl Iterator<Item = &'static Sample> {
    GROUPS.iter().flat_map(|g| g.samples.iter())
}

/// The sample with this id.
pub fn find(id: &str) -> Option<&'static Sample> {
    all().find(|s| s.id == id)
}

#[cfg(test)]
// Tests may unwrap: a panic is a test failure.
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::inspect::model::{inspect, Stop};
    use bytes::BytesMut;
    use std::collections::HashSet;
    use switchboard_mqtt::codec::Decoder;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn every_sample_decodes_as_promised() {
        for sample in all() {
            let bytes = parse_input(sample.hex).unwrap().bytes;
            assert_eq!(
                parse_input(&sample.text()).unwrap().bytes,
                bytes,
                "{}",
                sample.id
            );
            let view = inspect(&bytes, sample.version);
            let n = view.packets.len();
            match (sample.expect, &view.stop) {
                (Expect::Packets(want), Stop::End) => assert_eq!(n, want, "{}", sample.id),
                (Expect::Incomplete(want), Stop::Incomplete(_)) => {
                    assert_eq!(n, want, "{}", sample.id)
                }
                (Expect::Breaks(accepts, want), Stop::Error(e)) => {
                    assert_eq!(n, want, "{}", sample.id);
                    // Decode the failing packet alone to get the codec's error itself.
                    let bad = &bytes[e.offset..e.offset + e.bytes.len()];
                    let err = Decoder::new(sample.version)
                        .poll(&mut BytesMut::from(bad))
                        .unwrap_err();
                    assert!(accepts(&err), "{}: {err}", sample.id);
                    assert_eq!(e.rule, err.rule());
                }
                (want, got) => panic!("{}: expected {want:?}, got {got:?}", sample.id),
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn ids_are_unique_and_the_default_exists() {
        let ids: HashSet<_> = all().map(|s| s.id).collect();
        assert_eq!(ids.len(), all().count());
        assert!(find(DEFAULT_SAMPLE).is_some());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn every_packet_type_has_a_sample_in_311_and_50() {
        for version in [Protocol::V3_1_1, Protocol::V5] {
            let mut names = HashSet::new();
            for sample in all().filter(|s| s.version == version) {
                let bytes = parse_input(sample.hex).unwrap().bytes;
                for p in inspect(&bytes, version).packets {
                    names.insert(p.name);
                }
            }
            let mut want = vec![
                "CONNECT",
                "CONNACK",
                "PUBLISH",
                "PUBACK",
                "PUBREC",
                "PUBREL",
                "PUBCOMP",
                "SUBSCRIBE",
                "SUBACK",
                "UNSUBSCRIBE",
                "UNSUBACK",
                "PINGREQ",
                "DISCONNECT",
            ];
            want.push("PINGRESP");
            if version == Protocol::V5 {
                want.push("AUTH");
            }
            for name in want {
                assert!(names.contains(name), "{version}: no sample for {name}");
            }
        }
    }
}
