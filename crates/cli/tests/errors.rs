//! Exit codes and error messages of `switchboard pub` and `sub`: a bad URL, a refused
//! connection, bad credentials (against a private mosquitto with a password file), a malformed
//! CONNACK or none at all (from a scripted TCP peer: no real broker sends those), an invalid
//! topic, MQTT 5.0 options on 3.1.1. Each must exit 1 at once with one line on stderr, never a
//! panic; good credentials must work.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::process::Command;
use std::time::Duration;
use support::{free_port, run, shared_broker, Mosquitto, Outcome};

/// How long a failure may take: it must be immediate, not a retry loop.
const FAST: Duration = Duration::from_secs(10);

/// Requires exit code 1 and exactly one stderr line `error: …` containing every `needle`.
fn fails_with(args: &[&str], needles: &[&str]) -> Outcome {
    let out = run(args, FAST);
    let cmd = format!("switchboard {}", args.join(" "));
    assert_eq!(
        out.code,
        Some(1),
        "{cmd}: exit code; stderr: {}",
        out.stderr
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{cmd}: one stderr line expected, got {lines:?}"
    );
    assert!(lines[0].starts_with("error: "), "{cmd}: {:?}", lines[0]);
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "{cmd}: stderr {:?} does not mention {needle:?}",
            lines[0]
        );
    }
    assert!(!out.stderr.contains("panicked"), "{cmd}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{cmd}: stdout {:?}", out.stdout);
    out
}

#[test]
fn a_bad_url_exits_1() {
    for cmd in ["pub", "sub"] {
        let what = if cmd == "pub" { "-m" } else { "-q" };
        let value = if cmd == "pub" { "x" } else { "0" };
        for (url, needle) in [
            ("http://127.0.0.1:1883", "unsupported scheme"),
            ("mqtt://", "invalid broker URL"),
            ("mqtt://127.0.0.1:99999", "invalid broker URL"),
            ("ws://[::1", "invalid broker URL"),
        ] {
            fails_with(&[cmd, "-L", url, "-t", "a/b", what, value], &[needle]);
        }
    }
}

#[test]
fn a_refused_connection_exits_1_at_once() {
    // A port nobody listens on: the first connection fails, and that is not retried.
    let port = free_port();
    for scheme in ["mqtt", "ws"] {
        let url = format!("{scheme}://127.0.0.1:{port}");
        for version in ["311", "5"] {
            fails_with(
                &["pub", "-L", &url, "-V", version, "-t", "a/b", "-m", "x"],
                &["cannot connect to", "refused"],
            );
            fails_with(
                &[
                    "sub", "-L", &url, "-V", version, "-t", "a/b", "-c", "-i", "x",
                ],
                &["cannot connect to", "refused"],
            );
        }
    }
}

/// A peer that answers every connection by reading the CONNECT and writing `reply` (then
/// closing), for `connections` connections.
fn scripted_peer(reply: &'static [u8], connections: usize) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut connect = [0u8; 256];
            let _ = stream.read(&mut connect);
            let _ = stream.write_all(reply);
            let _ = stream.flush();
            // Let the client read the reply before the connection closes.
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    (port, peer)
}

#[test]
fn a_malformed_connack_or_none_exits_1_at_once() {
    for (reply, version, needles) in [
        // Return code 9 does not exist.
        (
            &[0x20, 0x02, 0x00, 0x09][..],
            "311",
            &["protocol error", "0x09"][..],
        ),
        // Reserved flag bits set.
        (
            &[0x20, 0x02, 0x02, 0x00][..],
            "311",
            &["protocol error"][..],
        ),
        // A Remaining Length too short for the 5.0 properties.
        (
            &[0x20, 0x03, 0x00, 0x00, 0x05][..],
            "5",
            &["protocol error"][..],
        ),
        // A PUBLISH instead of CONNACK.
        (
            &[0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69][..],
            "311",
            &["protocol error", "CONNACK"][..],
        ),
        // Nothing: the connection closes.
        (
            &[][..],
            "311",
            &["closed the connection before CONNACK"][..],
        ),
    ] {
        for cmd in ["pub", "sub"] {
            let (port, peer) = scripted_peer(reply, 1);
            let url = format!("mqtt://127.0.0.1:{port}");
            let what = if cmd == "pub" { "-m" } else { "-q" };
            let value = if cmd == "pub" { "x" } else { "1" };
            fails_with(
                &[cmd, "-L", &url, "-V", version, "-t", "a/b", what, value],
                needles,
            );
            peer.join().unwrap();
        }
    }
}

#[test]
fn bad_credentials_exit_1_with_the_reason_code() {
    let mut broker = Mosquitto::start("auth", "allow_anonymous false");
    let passwords = broker.dir.join("passwords");
    let made = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwords)
        .args(["alice", "s3cret"])
        .output()
        .expect("mosquitto_passwd is installed (it comes with mosquitto)");
    assert!(made.status.success(), "mosquitto_passwd: {made:?}");
    // Restart with the password file in the configuration.
    let conf = broker.dir.join("mosquitto.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace(
            "allow_anonymous false",
            &format!(
                "allow_anonymous false\npassword_file {}",
                passwords.display()
            ),
        ),
    )
    .unwrap();
    broker.restart();

    for url in [broker.mqtt_url(), broker.ws_url()] {
        // 5.0 reason codes and 3.1.1 return codes, each named in its own version's words.
        for (version, bad_password, not_authorized) in [
            ("5", "0x86 Bad user name or password", "0x87 Not authorized"),
            (
                "311",
                "0x04 Connection Refused, bad user name or password",
                "0x05 Connection Refused, not authorized",
            ),
        ] {
            let base = ["-L", url.as_str(), "-V", version, "-t", "auth/test"];
            let with = |extra: &[&'static str]| -> Vec<&str> {
                let mut args = vec!["pub"];
                args.extend_from_slice(&base);
                args.extend_from_slice(&["-m", "x"]);
                args.extend_from_slice(extra);
                args
            };
            let out = fails_with(
                &with(&["-u", "alice", "-P", "wrong"]),
                &["connection refused"],
            );
            println!("[{url} v{version}] wrong password: {}", out.stderr.trim());
            // mosquitto answers a wrong password with "not authorized" rather than "bad user
            // name or password": accept either, named.
            assert!(
                out.stderr.contains(bad_password) || out.stderr.contains(not_authorized),
                "{}",
                out.stderr
            );
            let out = fails_with(&with(&[]), &["connection refused", not_authorized]);
            println!("[{url} v{version}] anonymous: {}", out.stderr.trim());
            // sub refuses the same way, also with -c (no retry loop for a first connection).
            let mut args = vec!["sub"];
            args.extend_from_slice(&base);
            args.extend_from_slice(&["-u", "alice", "-P", "wrong", "-c", "-i", "auth-sub"]);
            fails_with(&args, &["connection refused"]);

            // The right password works, given as options or in the URL.
            let out = run(&with(&["-u", "alice", "-P", "s3cret", "-q", "1"]), FAST);
            assert_eq!(out.code, Some(0), "good credentials: {}", out.stderr);
            let in_url = url.replace("://", "://alice:s3cret@");
            let out = run(
                &[
                    "pub",
                    "-L",
                    &in_url,
                    "-V",
                    version,
                    "-t",
                    "auth/test",
                    "-m",
                    "x",
                ],
                FAST,
            );
            assert_eq!(out.code, Some(0), "credentials in the URL: {}", out.stderr);
        }
    }
}

#[test]
fn invalid_topics_exit_1() {
    let broker = shared_broker();
    let url = broker.mqtt.as_str();
    for topic in ["a/#", "a/+/b", ""] {
        fails_with(
            &["pub", "-L", url, "-t", topic, "-m", "x"],
            &["invalid topic"],
        );
    }
    for filter in ["a/#/b", "a/b#", "a+/b", ""] {
        fails_with(&["sub", "-L", url, "-t", filter], &["invalid topic filter"]);
    }
    fails_with(
        &[
            "pub",
            "-L",
            url,
            "-t",
            "a",
            "-m",
            "x",
            "--will-topic",
            "w/#",
        ],
        &["invalid will topic"],
    );
}

#[test]
fn mqtt5_options_on_3_1_1_exit_1() {
    let broker = shared_broker();
    let url = broker.mqtt.as_str();
    for version in ["311", "31"] {
        fails_with(
            &[
                "pub",
                "-L",
                url,
                "-V",
                version,
                "-t",
                "a",
                "-m",
                "x",
                "-D",
                "publish",
                "content-type",
                "text/plain",
            ],
            &["-D", "MQTT 5.0"],
        );
        fails_with(
            &[
                "sub",
                "-L",
                url,
                "-V",
                version,
                "-t",
                "a",
                "-D",
                "subscribe",
                "subscription-identifier",
                "3",
            ],
            &["-D", "MQTT 5.0"],
        );
        for flag in [
            &["--no-local"][..],
            &["--retain-as-published"],
            &["--retain-handling", "2"],
        ] {
            let mut args = vec!["sub", "-L", url, "-V", version, "-t", "a"];
            args.extend_from_slice(flag);
            fails_with(&args, &["MQTT 5.0"]);
        }
    }
    // And a -D that 5.0 itself does not allow.
    fails_with(
        &[
            "pub",
            "-L",
            url,
            "-V",
            "5",
            "-t",
            "a",
            "-m",
            "x",
            "-D",
            "publish",
            "topic-alias",
            "3",
        ],
        &["topic-alias"],
    );
}
