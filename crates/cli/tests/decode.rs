//! `switchboard decode`, run as the real binary: valid packets of each version, several packets,
//! stdin, `--binary`, every error path (exit 1 with the rule on stderr), and random input that
//! must never make it panic.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `switchboard decode ARGS` with `stdin` piped in.
fn decode(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the switchboard binary starts");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Write from another thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        // The command may exit before reading everything (bad arguments): that is fine.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// The JSON objects printed on stdout, one per line.
fn packets(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Asserts success and returns the packets.
fn ok(out: Output) -> Vec<Value> {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "");
    packets(&out)
}

/// Asserts exit code 1 with one `error: …` line containing `needle`; returns the packets
/// printed before the error.
fn fails(out: Output, needle: &str) -> Vec<Value> {
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    packets(&out)
}

// ---- valid packets, per version ---------------------------------------------------------

#[test]
fn mqtt_3_1_connect_and_publish() {
    let hex = "\
        10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 61 62 63
        32 09 00 03 61 2f 62 00 0a 68 69";
    // CONNECT: protocol name "MQIsdp", level 3, clean session, keepalive 60, client id "abc".
    // PUBLISH: QoS 1, topic "a/b", packet id 10, payload "hi".
    let p = ok(decode(&["-V", "31", hex], b""));
    assert_eq!(p.len(), 2);
    assert_eq!(p[0]["type"], "CONNECT");
    assert_eq!(p[0]["protocol_name"], "MQIsdp");
    assert_eq!(p[0]["protocol_version"], "3.1");
    assert_eq!(p[0]["client_id"], "abc");
    assert_eq!(p[0]["keep_alive"], 60);
    assert_eq!(p[0]["clean_start"], true);
    assert_eq!(
        p[1],
        json!({"type": "PUBLISH", "dup": false, "qos": 1, "retain": false, "topic": "a/b",
               "packet_id": 10, "payload": "6869", "payload_len": 2})
    );
}

#[test]
fn mqtt_3_1_1_is_the_default() {
    let hex = "\
        10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61
        82 08 00 01 00 03 61 2f 23 01
        90 04 00 01 01 80
        40 02 00 0a";
    let p = ok(decode(&[hex], b""));
    let types: Vec<_> = p.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["CONNECT", "SUBSCRIBE", "SUBACK", "PUBACK"]);
    assert_eq!(p[0]["protocol_version"], "3.1.1");
    assert_eq!(p[1]["subscriptions"], json!([{"filter": "a/#", "qos": 1}]));
    assert_eq!(p[2]["packet_id"], 1);
    assert_eq!(p[2]["reasons"][0]["code"], 1);
    assert_eq!(p[2]["reasons"][1]["code"], 0x80);
    assert_eq!(p[3], json!({"type": "PUBACK", "packet_id": 10}));
}

#[test]
fn mqtt_5_publish_with_properties() {
    // PUBLISH "a/b", properties: Payload Format Indicator 1, User Property ("k", "v"); "hi".
    let hex = "30 11 00 03 61 2f 62 09 01 01 26 00 01 6b 00 01 76 68 69";
    for v in ["5", "mqttv5", "5.0"] {
        let p = ok(decode(&["-V", v, hex], b""));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0]["topic"], "a/b");
        assert_eq!(p[0]["payload"], "6869");
        assert_eq!(
            p[0]["properties"],
            json!({"payload_format_indicator": 1, "user_properties": [["k", "v"]]})
        );
    }
}

#[test]
fn mqtt_5_reason_codes_are_named() {
    let p = ok(decode(&["-V", "mqttv5", "e0 01 8e f0 00"], b""));
    assert_eq!(p[0]["type"], "DISCONNECT");
    assert_eq!(p[0]["reason"]["code"], 0x8e);
    assert!(
        p[0]["reason"]["name"].as_str().unwrap().contains("ession"),
        "{}",
        p[0]
    );
    assert_eq!(p[1]["type"], "AUTH");
}

#[test]
fn every_version_spelling_is_accepted() {
    for v in [
        "31", "mqttv31", "3.1", "311", "mqttv311", "3.1.1", "5", "mqttv5",
    ] {
        assert_eq!(ok(decode(&["-V", v, "c0 00"], b"")).len(), 1, "{v}");
    }
}

#[test]
fn a_connect_switches_the_version_for_what_follows() {
    // A 5.0 CONNECT (empty properties, client id "a") read with the default 3.1.1, then a
    // DISCONNECT that only 5.0 allows to carry a reason code.
    let hex = "10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 61  e0 01 8e";
    let p = ok(decode(&[hex], b""));
    assert_eq!(p[0]["protocol_version"], "5.0");
    assert_eq!(p[1]["reason"]["code"], 0x8e);
}

// ---- input forms ------------------------------------------------------------------------

#[test]
fn hex_is_read_in_every_common_layout() {
    for args in [
        vec!["c000d000"],
        vec!["c0 00 d0 00"],
        vec!["c0", "00", "d0", "00"],
        vec!["0xc0, 0x00, 0xd0, 0x00"],
        vec!["0XC0,0x0,0xD0,0x0"],
        vec!["C0 00\n\nd0\r\n00\n"],
    ] {
        let p = ok(decode(&args, b""));
        assert_eq!(
            p,
            [json!({"type": "PINGREQ"}), json!({"type": "PINGRESP"})],
            "{args:?}"
        );
    }
}

#[test]
fn hex_from_stdin() {
    let p = ok(decode(&[], b"c0 00\nd0 00\n"));
    assert_eq!(p.len(), 2);
    let p = ok(decode(
        &["-V", "5"],
        b"0x30, 0x08,\n0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x68, 0x69\n",
    ));
    assert_eq!(p[0]["topic"], "a/b");
}

#[test]
fn binary_from_stdin() {
    let p = ok(decode(
        &["--binary"],
        &[0xc0, 0x00, 0x30, 0x03, 0x00, 0x01, b'x'],
    ));
    assert_eq!(p[0]["type"], "PINGREQ");
    assert_eq!(p[1]["topic"], "x");
    let p = ok(decode(&["--binary", "-"], &[0xd0, 0x00]));
    assert_eq!(p[0]["type"], "PINGRESP");
}

#[test]
fn binary_from_a_file() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("decode-binary.bin");
    std::fs::write(&path, [0xe0, 0x00, 0xc0, 0x00]).unwrap();
    let p = ok(decode(&["--binary", path.to_str().unwrap()], b""));
    assert_eq!(
        p,
        [json!({"type": "DISCONNECT"}), json!({"type": "PINGREQ"})]
    );
}

#[test]
fn large_input_streams_through() {
    let hex = "c0 00 ".repeat(20_000);
    let p = ok(decode(&[], hex.as_bytes()));
    assert_eq!(p.len(), 20_000);
}

// ---- errors: exit 1, `error: …` on stderr ------------------------------------------------

#[test]
fn malformed_packets_name_the_rule() {
    for (version, hex, rule) in [
        ("311", "30 03 00 01 23", "[MQTT-3.3.2-2]"), // topic name "#"
        ("311", "36 03 00 01 61", "[MQTT-3.3.1-4]"), // PUBLISH QoS 3
        ("311", "40 02 00 00", "[MQTT-2.2.1-3]"),    // PUBACK packet id 0
        ("311", "41 02 00 01", "[MQTT-2.1.3-1]"),    // PUBACK with flags 0001
        ("311", "30 ff ff ff ff 01", "[MQTT-1.5.5-1]"), // 5-byte remaining length
        ("311", "f0 00", "AUTH"),                    // AUTH before 5.0
        ("311", "00 00", "reserved packet type 0"),
        ("5", "30 0a 00 01 61 04 01 01 01 01 68 69", "more than once"), // duplicate property
        ("5", "30 07 00 01 61 03 23 00 00", "Topic Alias"),             // Topic Alias 0
    ] {
        let out = decode(&["-V", version, hex], b"");
        let printed = fails(out, rule);
        assert!(printed.is_empty(), "{hex}");
    }
}

#[test]
fn packets_before_an_error_are_printed() {
    let out = decode(&["c0 00 d0 00 30 03 00 01 23 c0 00"], b"");
    let printed = fails(out, "packet 3 (at byte 4)");
    assert_eq!(printed.len(), 2);
}

#[test]
fn a_truncated_packet_says_how_much_is_missing() {
    let printed = fails(
        decode(&["30 08 00 03"], b""),
        "truncated: 6 more bytes needed",
    );
    assert!(printed.is_empty());
    // A trailing partial packet after good ones.
    let printed = fails(
        decode(&["c0 00 c0 00 30 03 00"], b""),
        "truncated: 2 more bytes needed",
    );
    assert_eq!(printed.len(), 2);
    // A header that claims the largest size is reported at once, not buffered.
    fails(
        decode(&["30 ff ff ff 7f"], b""),
        "truncated: 268435455 more bytes needed",
    );
    // Only the first byte of a fixed header.
    fails(
        decode(&["c0"], b""),
        "truncated: the fixed header is incomplete",
    );
    fails(
        decode(&["30 80"], b""),
        "truncated: the fixed header is incomplete",
    );
}

#[test]
fn bad_hex_is_refused_with_its_position() {
    fails(
        decode(&["c0 0g"], b""),
        "invalid hex at argument 1, column 5: 'g' is not a hex digit",
    );
    fails(
        decode(&["c0 00", "d0 0"], b""),
        "argument 2, column 4: odd number of hex digits",
    );
    fails(
        decode(&[], b"c0 00\n0x\n"),
        "line 2, column 1: `0x` is not followed by any hex digit",
    );
    fails(decode(&[], b"c0 00\n\x01"), "for raw bytes, use --binary");
    fails(
        decode(&[], &[0xc0, 0x00, 0xff]),
        "standard input is not hex text",
    );
}

#[test]
fn no_input_is_an_error() {
    fails(decode(&[], b""), "no bytes to decode");
    fails(decode(&[], b" \n , \n"), "no bytes to decode");
    fails(decode(&["--binary"], b""), "no bytes to decode");
}

#[test]
fn binary_file_errors() {
    fails(
        decode(&["--binary", "/nonexistent/packet.bin"], b""),
        "cannot read /nonexistent/packet.bin",
    );
    fails(decode(&["--binary", "a", "b"], b""), "one file");
}

#[test]
fn an_unknown_version_is_a_usage_error() {
    let out = decode(&["-V", "6", "c0 00"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected 31, 311 or 5"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_stdout_is_not_a_failure() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["decode", "--binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `switchboard decode … | head -0`: the reader is gone before the first write.
    drop(child.stdout.take());
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(&[0xc0, 0x00].repeat(100_000)).unwrap();
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---- never panics -----------------------------------------------------------------------

/// Exit 0 or 1, never a panic (101) or a signal; stderr is empty or one `error:` line.
fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{err}");
    if out.status.code() == Some(1) {
        assert!(err.starts_with("error: "), "{err}");
    }
}

fn version() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("31"), Just("311"), Just("5")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic(v in version(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        assert_no_panic(&decode(&["--binary", "-V", v], &bytes));
    }

    /// Packets with a plausible fixed header and a random body reach deep into every decoder.
    #[test]
    fn random_bodies_never_panic(
        v in version(),
        frames in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..100)), 1..4),
    ) {
        let mut bytes = Vec::new();
        for (first, body) in frames {
            bytes.push(first);
            bytes.push(u8::try_from(body.len()).unwrap());
            bytes.extend(body);
        }
        assert_no_panic(&decode(&["--binary", "-V", v], &bytes));
    }

    /// Mostly-hex text (to get past the hex parser) and arbitrary Unicode.
    #[test]
    fn random_text_never_panics(
        v in version(),
        text in prop_oneof!["[0-9a-fA-FxX, \n]{0,200}", any::<String>()],
    ) {
        assert_no_panic(&decode(&["-V", v], text.as_bytes()));
    }
}
