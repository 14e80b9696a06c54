//! `switchboard pub` and `sub` against a real mosquitto (the shared broker of ./scripts/test,
//! found through SWITCHBOARD_MQTT_URL and SWITCHBOARD_WS_URL), over TCP and WebSocket, MQTT
//! 3.1.1 and 5.0: retained messages, Last Will, offline messages in a persistent session,
//! overlapping subscriptions, `$` topics, unsubscribe, shared subscriptions, no-local, retain
//! handling, subscription identifiers, request/response and a 1 MiB payload.
//!
//! A command connection never both subscribes and publishes: unsubscribing on a live
//! connection, and no-local on one connection, drive the session directly over a socket
//! (module `direct`), with `switchboard pub` as the other client. `sub -U` (unsubscribe at
//! start) is tested with a persistent session, its use.
//!
//! Every test uses topics and client identifiers of its own (`unique`), so the tests run in
//! parallel on one broker. Waits are bounded and wait for output lines, not for time: a
//! subscriber is ready once a probe message published after it started comes out.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use support::{
    await_subscribed, json, publish, shared_broker, subscribe, targets, targets_v5, unique, Proc,
    Target, WAIT,
};

/// The payload of a `--json` line, as text.
fn payload(v: &Value) -> &str {
    v["payload"].as_str().unwrap_or_default()
}

/// Whether a line (`--json` or `-v`) is one of `await_subscribed`'s probes.
fn is_probe(line: &str) -> bool {
    line.contains("probe-")
}

/// Stops a `sub` the way a user does (Ctrl-C): it sends DISCONNECT and exits 0.
fn interrupt(sub: &mut Proc) {
    sub.signal("INT");
    sub.wait_success(WAIT);
}

/// Ends a persistent session so the shared broker does not keep it: connects with a clean
/// session (3.1.1) / clean start and no expiry (5.0), then disconnects.
fn end_session(t: &Target, client_id: &str) {
    let topic = format!("sbt/{}/end-session", unique("x"));
    let out = support::run(
        &[
            "sub", "-L", &t.url, "-V", t.version, "-i", client_id, "-t", &topic, "-W", "0.1",
        ],
        WAIT,
    );
    assert_eq!(
        out.code,
        Some(0),
        "ending session {client_id}: {}",
        out.stderr
    );
}

/// Hex of `s`, as `--json` shows binary properties (correlation data).
fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn retained_messages_are_set_and_cleared() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let topic = format!("sbt/{}/retained", unique(&t.label));
        publish(&t, &topic, &["-r", "-q", "1", "-m", "kept"]);

        // A subscriber that arrives later gets it at once, flagged as retained.
        let mut sub = subscribe(&t, "late subscriber", &["-t", &topic, "-q", "1", "--json"]);
        let first = json(&sub.expect_line("the retained message", WAIT, |_| true));
        assert_eq!(payload(&first), "kept", "[{}] {first}", t.label);
        assert_eq!(first["retain"], true, "[{}] {first}", t.label);
        assert_eq!(first["qos"], 1, "[{}] {first}", t.label);
        interrupt(&mut sub);

        // An empty retained message clears it: the next subscriber gets nothing retained,
        // so the first thing it prints is a live probe.
        publish(&t, &topic, &["-r", "-n", "-q", "1"]);
        let mut sub = subscribe(&t, "subscriber after clear", &["-t", &topic, "--json"]);
        await_subscribed(&mut sub, &t, &topic);
        let first = json(&sub.history[0]);
        assert!(
            payload(&first).starts_with("probe-") && first["retain"] == false,
            "[{}] the retained message was not cleared: {first}",
            t.label
        );
        interrupt(&mut sub);
    }
}

#[test]
fn last_will_is_published_on_abnormal_disconnect_only() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let base = format!("sbt/{}/will", unique(&t.label));
        let mut watcher = subscribe(
            &t,
            "watcher",
            &["-t", &format!("{base}/#"), "-q", "1", "-v"],
        );
        await_subscribed(&mut watcher, &t, &format!("{base}/probe"));

        // Killed (SIGKILL: no DISCONNECT): the broker publishes the Will.
        let will_topic = format!("{base}/status");
        let mut doomed = subscribe(
            &t,
            "client with a will",
            &[
                "-t",
                &format!("{base}/doomed"),
                "--will-topic",
                &will_topic,
                "--will-payload",
                "gone",
                "--will-qos",
                "1",
            ],
        );
        await_subscribed(&mut doomed, &t, &format!("{base}/doomed"));
        doomed.kill();
        let expected = format!("{will_topic} gone");
        watcher.expect_line("the Last Will after SIGKILL", WAIT, |l| l == expected);

        // Stopped with Ctrl-C, it says DISCONNECT: no Will. A marker published afterwards
        // arrives with no Will before it.
        let mut polite = subscribe(
            &t,
            "client with a will, interrupted",
            &[
                "-t",
                &format!("{base}/polite"),
                "--will-topic",
                &will_topic,
                "--will-payload",
                "must-not-arrive",
            ],
        );
        await_subscribed(&mut polite, &t, &format!("{base}/polite"));
        interrupt(&mut polite);
        publish(&t, &format!("{base}/end"), &["-q", "1", "-m", "end"]);
        let marker = format!("{base}/end end");
        watcher.expect_line("the end marker", WAIT, |l| l == marker);
        assert!(
            !watcher
                .history
                .iter()
                .any(|l| l.contains("must-not-arrive")),
            "[{}] a clean disconnect published the Will: {:?}",
            t.label,
            watcher.history
        );
        interrupt(&mut watcher);
    }
}

#[test]
fn persistent_session_receives_messages_published_while_away() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let topic = format!("sbt/{}/offline", unique(&t.label));
        let id = unique("offline");
        let args = ["-t", &topic, "-q", "1", "-c", "-i", &id, "-v"];
        let mut sub = subscribe(&t, "persistent subscriber", &args);
        await_subscribed(&mut sub, &t, &topic);
        interrupt(&mut sub);

        for i in 1..=5 {
            publish(&t, &topic, &["-q", "1", "-m", &format!("offline-{i}")]);
        }

        let mut sub = subscribe(&t, "persistent subscriber, back", &args);
        let got = sub.collect_until(WAIT, |lines| {
            lines.iter().filter(|l| l.contains("offline-")).count() >= 5
        });
        let offline: Vec<&String> = sub
            .history
            .iter()
            .filter(|l| l.contains("offline-"))
            .collect();
        assert!(
            got,
            "[{}] only {offline:?} of 5 queued messages arrived; stderr: {}",
            t.label,
            sub.stderr()
        );
        let expected: Vec<String> = (1..=5).map(|i| format!("{topic} offline-{i}")).collect();
        assert_eq!(
            offline,
            expected.iter().collect::<Vec<_>>(),
            "[{}]",
            t.label
        );
        interrupt(&mut sub);
        end_session(&t, &id);
    }
}

#[test]
fn overlapping_subscriptions_deliver_every_matching_message() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let base = format!("sbt/{}/overlap", unique(&t.label));
        let filters = [
            format!("{base}/a/#"),
            format!("{base}/a/+"),
            format!("{base}/+/b"),
        ];
        let mut sub = subscribe(
            &t,
            "overlapping subscriber",
            &[
                "-t",
                &filters[0],
                "-t",
                &filters[1],
                "-t",
                &filters[2],
                "-q",
                "1",
                "--json",
            ],
        );
        await_subscribed(&mut sub, &t, &format!("{base}/a/probe"));
        // (topic, how many of the filters match it)
        let cases = [
            ("a/b", 3usize),
            ("a/c", 2),
            ("x/b", 1),
            ("a/b/c", 1),
            ("x/y", 0),
        ];
        for (suffix, _) in cases {
            publish(&t, &format!("{base}/{suffix}"), &["-q", "1", "-m", suffix]);
        }
        publish(&t, &format!("{base}/a/end"), &["-q", "1", "-m", "a/end"]);
        sub.expect_line("the end marker", WAIT, |l| payload(&json(l)) == "a/end");

        let mut copies: BTreeMap<String, usize> = BTreeMap::new();
        for line in sub.history.iter().filter(|l| !is_probe(l)) {
            let v = json(line);
            *copies.entry(payload(&v).to_string()).or_default() += 1;
            assert_eq!(v["qos"], 1, "[{}] {v}", t.label);
            assert_eq!(
                v["topic"].as_str().unwrap(),
                format!("{base}/{}", payload(&v)),
                "[{}]",
                t.label
            );
            if t.v5() {
                // One SUBSCRIBE, one Subscription Identifier: it names all three filters.
                assert_eq!(
                    v["subscriptions"],
                    serde_json::json!(filters),
                    "[{}]",
                    t.label
                );
            }
        }
        println!("[{}] copies per topic: {copies:?}", t.label);
        for (suffix, matching) in cases {
            let n = copies.get(suffix).copied().unwrap_or(0);
            if matching == 0 {
                assert_eq!(n, 0, "[{}] {suffix} matches no filter but arrived", t.label);
            } else {
                // The server may send one copy, or one per matching subscription.
                assert!(
                    (1..=matching).contains(&n),
                    "[{}] {suffix}: {n} copies, expected 1..={matching}",
                    t.label
                );
            }
        }
        interrupt(&mut sub);
    }
}

#[test]
fn dollar_topics_are_not_matched_by_wildcards() {
    let broker = shared_broker();
    for t in targets(&broker) {
        // mosquitto keeps its $SYS/broker/… topics retained: a `$SYS/#` subscriber gets them
        // at once.
        let mut sys = subscribe(
            &t,
            "$SYS subscriber",
            &["-t", "$SYS/#", "--json", "-C", "1"],
        );
        let line = json(&sys.expect_line("a $SYS message", WAIT, |_| true));
        assert!(
            line["topic"].as_str().unwrap().starts_with("$SYS/broker/"),
            "[{}] {line}",
            t.label
        );
        sys.wait_success(WAIT);

        // `#` and `+/broker/#` would get the same retained messages right after SUBACK if they
        // matched `$` topics; a probe published later marks the end of that burst.
        let mut all = subscribe(
            &t,
            "# subscriber",
            &["-t", "#", "-t", "+/broker/#", "--json"],
        );
        let probe_topic = format!("sbt/{}/dollar", unique(&t.label));
        await_subscribed(&mut all, &t, &probe_topic);
        for l in &all.history {
            let topic = json(l)["topic"].as_str().unwrap().to_string();
            assert!(
                !topic.starts_with('$'),
                "[{}] a wildcard matched {topic}",
                t.label
            );
        }
        interrupt(&mut all);
    }
}

#[test]
fn shared_subscriptions_deliver_each_message_to_one_member() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let topic = format!("sbt/{}/shared", unique(&t.label));
        let filter = format!("$share/{}/{topic}", unique("group"));
        let member_args = ["-t", filter.as_str(), "-q", "1", "-v"];
        let mut members = [
            subscribe(&t, "member a", &member_args),
            subscribe(&t, "member b", &member_args),
        ];
        // Both are in the group once each has received a probe (the broker alternates).
        let mut ready = [false, false];
        let deadline = std::time::Instant::now() + WAIT;
        let mut n = 0;
        while !ready.iter().all(|r| *r) {
            assert!(
                std::time::Instant::now() < deadline,
                "[{}] the shared subscription did not form: ready {ready:?}",
                t.label
            );
            publish(&t, &topic, &["-m", &format!("probe-{n}")]);
            n += 1;
            for (m, r) in members.iter_mut().zip(ready.iter_mut()) {
                if m.line_where(Duration::from_millis(100), is_probe).is_some() {
                    *r = true;
                }
            }
        }

        let total = 40;
        let mut publisher = Proc::switchboard_piped(
            &format!("[{}] pub -l", t.label),
            &[
                "pub", "-L", &t.url, "-V", t.version, "-t", &topic, "-q", "1", "-l",
            ],
        );
        for i in 1..=total {
            publisher.write_line(&format!("msg-{i}"));
        }
        publisher.close_stdin();
        publisher.wait_success(WAIT);

        // Each message reaches exactly one member.
        let numbers = |p: &Proc| -> Vec<u32> {
            p.history
                .iter()
                .filter_map(|l| l.rsplit_once(" msg-"))
                .map(|(_, n)| n.parse().unwrap())
                .collect()
        };
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            for m in members.iter_mut() {
                m.line(Duration::from_millis(50));
            }
            let count = numbers(&members[0]).len() + numbers(&members[1]).len();
            if count >= total {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "[{}] only {count} of {total} messages arrived",
                t.label
            );
        }
        let (a, b) = (numbers(&members[0]), numbers(&members[1]));
        let mut all: Vec<u32> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            (1..=total as u32).collect::<Vec<_>>(),
            "[{}] each message exactly once across the group (a {a:?}, b {b:?})",
            t.label
        );
        assert!(
            !a.is_empty() && !b.is_empty(),
            "[{}] one member got everything: a {a:?}, b {b:?}",
            t.label
        );
        println!("[{}] shared: a got {}, b got {}", t.label, a.len(), b.len());
        for m in members.iter_mut() {
            interrupt(m);
        }
    }
}

#[test]
fn no_local_keeps_our_own_messages_from_our_session() {
    // The `sub`/`pub` pair sharing one client identifier and a persistent session (a device
    // that publishes and subscribes under one identity): with --no-local, what the session's
    // own connection publishes is not queued back to it.
    let broker = shared_broker();
    for t in targets_v5(&broker) {
        let topic = format!("sbt/{}/nolocal", unique(&t.label));
        let id = unique("nolocal");
        let args = ["-t", &topic, "-q", "1", "-c", "-i", &id, "--no-local", "-v"];
        let mut sub = subscribe(&t, "no-local subscriber", &args);
        await_subscribed(&mut sub, &t, &topic);
        interrupt(&mut sub);

        publish(&t, &topic, &["-c", "-i", &id, "-q", "1", "-m", "from-self"]);
        publish(&t, &topic, &["-q", "1", "-m", "from-other"]);

        let mut sub = subscribe(&t, "no-local subscriber, back", &args);
        let other = format!("{topic} from-other");
        sub.expect_line("the message from another client", WAIT, |l| l == other);
        assert!(
            !sub.history.iter().any(|l| l.contains("from-self")),
            "[{}] no-local delivered our own message: {:?}",
            t.label,
            sub.history
        );
        interrupt(&mut sub);
        end_session(&t, &id);
    }
}

#[test]
fn retain_handling_0_1_2() {
    let broker = shared_broker();
    for t in targets_v5(&broker) {
        let topic = format!("sbt/{}/rh", unique(&t.label));
        publish(&t, &topic, &["-r", "-q", "1", "-m", "kept"]);
        let first_line = |args: &[&str], what: &str| -> Value {
            let mut all = vec!["-t", topic.as_str(), "-q", "1", "--json"];
            all.extend_from_slice(args);
            let mut sub = subscribe(&t, what, &all);
            await_subscribed(&mut sub, &t, &topic);
            let first = json(&sub.history[0]);
            interrupt(&mut sub);
            first
        };

        // 0: retained messages at every subscribe.
        let v = first_line(&["--retain-handling", "0"], "retain handling 0");
        assert_eq!((payload(&v), &v["retain"]), ("kept", &Value::Bool(true)));
        // 2: never.
        let v = first_line(&["--retain-handling", "2"], "retain handling 2");
        assert!(
            payload(&v).starts_with("probe-"),
            "[{}] rh 2 got {v}",
            t.label
        );
        // 1: only when the subscription is new — not when a persistent session already has it.
        let id = unique("rh1");
        let persistent = ["--retain-handling", "1", "-c", "-i", id.as_str()];
        let v = first_line(&persistent, "retain handling 1, new subscription");
        assert_eq!(payload(&v), "kept", "[{}] rh 1 (new) got {v}", t.label);
        let v = first_line(&persistent, "retain handling 1, existing subscription");
        assert!(
            payload(&v).starts_with("probe-"),
            "[{}] rh 1 on an existing subscription got {v}",
            t.label
        );
        end_session(&t, &id);
        publish(&t, &topic, &["-r", "-n"]);
    }
}

#[test]
fn subscription_identifiers_name_the_subscriptions() {
    let broker = shared_broker();
    for t in targets_v5(&broker) {
        let base = format!("sbt/{}/subid", unique(&t.label));
        let filters = [format!("{base}/a/#"), format!("{base}/b")];
        // Given with -D, and assigned by the session when not given.
        for (props, id) in [
            (
                &["-D", "subscribe", "subscription-identifier", "42"][..],
                Some(42),
            ),
            (&[][..], None),
        ] {
            let mut args = vec!["-t", &filters[0], "-t", &filters[1], "--json"];
            args.extend_from_slice(props);
            let mut sub = subscribe(&t, "subscriber", &args);
            await_subscribed(&mut sub, &t, &format!("{base}/b"));
            publish(&t, &format!("{base}/a/x"), &["-q", "1", "-m", "to-a"]);
            let line = sub.expect_line("the message to a/x", WAIT, |l| l.contains("to-a"));
            let v = json(&line);
            let ids = v["properties"]["subscription_identifiers"].clone();
            match id {
                Some(id) => assert_eq!(ids, serde_json::json!([id]), "[{}] {v}", t.label),
                None => assert!(
                    ids.as_array()
                        .is_some_and(|a| a.len() == 1 && a[0].as_u64() > Some(0)),
                    "[{}] no assigned identifier: {v}",
                    t.label
                ),
            }
            assert_eq!(
                v["subscriptions"],
                serde_json::json!(filters),
                "[{}]",
                t.label
            );
            interrupt(&mut sub);
        }
    }
}

#[test]
fn request_response_properties_travel() {
    let broker = shared_broker();
    for t in targets_v5(&broker) {
        let base = format!("sbt/{}/rr", unique(&t.label));
        let request_topic = format!("{base}/request");
        let response_topic = format!("{base}/response/{}", unique("client"));
        let mut responder = subscribe(
            &t,
            "responder",
            &["-t", &request_topic, "-q", "1", "--json"],
        );
        await_subscribed(&mut responder, &t, &request_topic);
        let mut requester = subscribe(
            &t,
            "requester",
            &["-t", &response_topic, "-q", "1", "--json"],
        );
        await_subscribed(&mut requester, &t, &response_topic);

        publish(
            &t,
            &request_topic,
            &[
                "-q",
                "1",
                "-m",
                "what time is it?",
                "-D",
                "publish",
                "response-topic",
                &response_topic,
                "-D",
                "publish",
                "correlation-data",
                "req-42",
            ],
        );
        let request =
            json(&responder.expect_line("the request", WAIT, |l| l.contains("what time is it?")));
        let props = &request["properties"];
        assert_eq!(
            props["response_topic"],
            response_topic.as_str(),
            "[{}]",
            t.label
        );
        assert_eq!(props["correlation_data"], hex("req-42"), "[{}]", t.label);

        // Answer as a responder does: to the Response Topic, echoing the Correlation Data.
        publish(
            &t,
            props["response_topic"].as_str().unwrap(),
            &[
                "-q",
                "1",
                "-m",
                "noon",
                "-D",
                "publish",
                "correlation-data",
                "req-42",
            ],
        );
        let response = json(&requester.expect_line("the response", WAIT, |l| l.contains("noon")));
        assert_eq!(
            response["properties"]["correlation_data"],
            hex("req-42"),
            "[{}]",
            t.label
        );
        interrupt(&mut responder);
        interrupt(&mut requester);
    }
}

#[test]
fn publishing_stdin_lines_delivers_every_line_once() {
    // `pub -l` sends as fast as it reads. A 3.1.1 broker cannot announce how many
    // unacknowledged messages it takes (mosquitto: 20, then it drops QoS 2 messages yet
    // answers PUBREC), so the session keeps at most 20 in flight there.
    let broker = shared_broker();
    let count = 500;
    for t in targets(&broker) {
        for qos in ["1", "2"] {
            let topic = format!("sbt/{}/lines-q{qos}", unique(&t.label));
            let mut sub = subscribe(&t, "subscriber", &["-t", &topic, "-q", "2", "-v"]);
            await_subscribed(&mut sub, &t, &topic);
            let mut publisher = Proc::switchboard_piped(
                &format!("[{}] pub -l -q {qos}", t.label),
                &[
                    "pub", "-L", &t.url, "-V", t.version, "-t", &topic, "-q", qos, "-l",
                ],
            );
            for i in 1..=count {
                publisher.write_line(&i.to_string());
            }
            publisher.close_stdin();
            publisher.wait_success(WAIT);
            let prefix = format!("{topic} ");
            let numbered = |lines: &[String]| -> Vec<u32> {
                lines
                    .iter()
                    .filter_map(|l| l.strip_prefix(&prefix)?.parse().ok())
                    .collect()
            };
            let all = sub.collect_until(WAIT, |lines| numbered(lines).len() >= count as usize);
            let got = numbered(&sub.history);
            assert!(
                all,
                "[{}] QoS {qos}: {} of {count} lines arrived",
                t.label,
                got.len()
            );
            // One publisher, one subscriber: in order, each once.
            assert_eq!(
                got,
                (1..=count).collect::<Vec<u32>>(),
                "[{}] QoS {qos}",
                t.label
            );
            interrupt(&mut sub);
        }
    }
}

#[test]
fn a_one_mebibyte_payload_arrives_intact() {
    let broker = shared_broker();
    // Not UTF-8, so `--json` carries it as base64.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let data: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let file = std::env::temp_dir().join(unique("switchboard-1mib"));
    std::fs::write(&file, &data).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    for t in targets(&broker) {
        let topic = format!("sbt/{}/big", unique(&t.label));
        let mut sub = subscribe(&t, "subscriber", &["-t", &topic, "-q", "1", "--json"]);
        await_subscribed(&mut sub, &t, &topic);
        publish(&t, &topic, &["-q", "1", "-f", &file_arg]);
        let v = json(&sub.expect_line("the 1 MiB message", WAIT, |l| !is_probe(l)));
        assert_eq!(v["payload_encoding"], "base64", "[{}]", t.label);
        assert_eq!(v["qos"], 1, "[{}]", t.label);
        let got = base64::engine::general_purpose::STANDARD
            .decode(payload(&v))
            .unwrap();
        assert!(
            got == data,
            "[{}] {} bytes arrived, different",
            t.label,
            got.len()
        );
        interrupt(&mut sub);
    }
    let _ = std::fs::remove_file(&file);
}

/// The session driven directly (no CLI) over a blocking socket: for what the command cannot
/// express — unsubscribing, and one connection that both publishes and subscribes (no-local).
mod direct {
    use super::support::{Target, WAIT};
    use std::collections::VecDeque;
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    use switchboard_mqtt::codec::Protocol;
    use switchboard_mqtt::session::{Event, Options, Session};
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, Message};

    enum Io {
        Tcp(TcpStream),
        Ws(Box<tungstenite::WebSocket<TcpStream>>),
    }

    /// A session on a real connection.
    pub(crate) struct Direct {
        pub(crate) session: Session,
        io: Io,
        events: VecDeque<Event>,
        label: String,
    }

    impl Direct {
        /// Connects (clean start) and waits for CONNACK.
        pub(crate) fn connect(t: &Target, client_id: &str) -> Direct {
            let protocol = if t.v5() {
                Protocol::V5
            } else {
                Protocol::V3_1_1
            };
            let (scheme, rest) = t.url.split_once("://").unwrap();
            let addr = rest.split('/').next().unwrap();
            let tcp = TcpStream::connect(addr).unwrap();
            tcp.set_nodelay(true).unwrap();
            let io = if scheme == "ws" {
                let mut request = format!("ws://{addr}/mqtt").into_client_request().unwrap();
                request
                    .headers_mut()
                    .insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
                let (ws, _) = tungstenite::client(request, tcp).unwrap();
                Io::Ws(Box::new(ws))
            } else {
                Io::Tcp(tcp)
            };
            let stream = match &io {
                Io::Tcp(s) => s,
                Io::Ws(ws) => ws.get_ref(),
            };
            stream
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            let mut session = Session::new(Options::new(protocol, client_id.to_string()));
            session.connect(Instant::now());
            let mut d = Direct {
                session,
                io,
                events: VecDeque::new(),
                label: format!("[{}] direct session", t.label),
            };
            d.until("CONNACK", |e| matches!(e, Event::Connected { .. }));
            d
        }

        fn flush(&mut self) {
            while let Some(bytes) = self.session.poll_transmit() {
                match &mut self.io {
                    Io::Tcp(s) => s.write_all(&bytes).unwrap(),
                    Io::Ws(ws) => ws.send(Message::Binary(bytes)).unwrap(),
                }
            }
        }

        /// Reads what arrives within the socket's short timeout into the session.
        fn read(&mut self) {
            let now = Instant::now();
            match &mut self.io {
                Io::Tcp(s) => {
                    let mut buf = [0u8; 16 * 1024];
                    match s.read(&mut buf) {
                        Ok(0) => panic!("{}: the broker closed the connection", self.label),
                        Ok(n) => self.session.handle_bytes(&buf[..n], now),
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                        Err(e) => panic!("{}: read failed: {e}", self.label),
                    }
                }
                Io::Ws(ws) => match ws.read() {
                    Ok(Message::Binary(b)) => self.session.handle_bytes(&b, now),
                    Ok(Message::Close(_)) => panic!("{}: the broker closed", self.label),
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(e) => panic!("{}: read failed: {e}", self.label),
                },
            }
            if self
                .session
                .poll_timeout()
                .is_some_and(|t| t <= Instant::now())
            {
                self.session.handle_timeout(Instant::now());
            }
        }

        /// Runs the connection until an event satisfies `pred`; returns it and every event
        /// seen before it.
        pub(crate) fn until(
            &mut self,
            what: &str,
            mut pred: impl FnMut(&Event) -> bool,
        ) -> (Event, Vec<Event>) {
            let deadline = Instant::now() + WAIT;
            let mut before = Vec::new();
            loop {
                self.flush();
                while let Some(e) = self.session.poll_event() {
                    self.events.push_back(e);
                }
                while let Some(e) = self.events.pop_front() {
                    if let Event::Disconnected(reason) = &e {
                        panic!(
                            "{}: disconnected while waiting for {what}: {reason:?}",
                            self.label
                        );
                    }
                    if pred(&e) {
                        return (e, before);
                    }
                    before.push(e);
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: timed out waiting for {what}; saw {before:?}",
                    self.label
                );
                self.read();
            }
        }
    }

    /// The topic of a message event.
    pub(crate) fn message_topic(e: &Event) -> Option<&str> {
        match e {
            Event::Message { publish, .. } => Some(publish.topic.as_str()),
            _ => None,
        }
    }
}

#[test]
fn unsubscribe_stops_delivery() {
    use direct::{message_topic, Direct};
    use std::time::Instant;
    use switchboard_mqtt::codec::{ByteStr, QoS, Subscription};
    use switchboard_mqtt::session::Event;

    let broker = shared_broker();
    for t in targets(&broker) {
        let base = format!("sbt/{}/unsub", unique(&t.label));
        let (gone, kept) = (format!("{base}/gone"), format!("{base}/kept"));
        let mut d = Direct::connect(&t, &unique("unsub"));
        let id = d
            .session
            .subscribe(
                vec![
                    Subscription::new(ByteStr::from(gone.clone()), QoS::AtLeastOnce),
                    Subscription::new(ByteStr::from(kept.clone()), QoS::AtLeastOnce),
                ],
                Instant::now(),
            )
            .unwrap();
        d.until(
            "SUBACK",
            |e| matches!(e, Event::Subscribed { packet_id, .. } if *packet_id == id),
        );
        // Both deliver (published by the CLI, so the binary takes part too).
        publish(&t, &gone, &["-q", "1", "-m", "before"]);
        d.until("the message before unsubscribing", |e| {
            message_topic(e) == Some(&gone)
        });

        let id = d
            .session
            .unsubscribe(vec![ByteStr::from(gone.clone())], Instant::now())
            .unwrap();
        d.until(
            "UNSUBACK",
            |e| matches!(e, Event::Unsubscribed { packet_id, .. } if *packet_id == id),
        );
        publish(&t, &gone, &["-q", "1", "-m", "after"]);
        publish(&t, &kept, &["-q", "1", "-m", "marker"]);
        let (_, before) = d.until("the marker on the kept subscription", |e| {
            message_topic(e) == Some(&kept)
        });
        assert!(
            !before.iter().any(|e| message_topic(e) == Some(&gone)),
            "[{}] a message arrived after UNSUBACK: {before:?}",
            t.label
        );
    }
}

#[test]
fn sub_unsubscribe_option_drops_a_subscription_the_session_kept() {
    let broker = shared_broker();
    for t in targets(&broker) {
        let base = format!("sbt/{}/unsub-option", unique(&t.label));
        let (old, new, never) = (
            format!("{base}/old"),
            format!("{base}/new"),
            format!("{base}/never"),
        );
        let id = unique("unsub-option");
        let with = |filters: &[&str]| {
            let mut args = vec!["-q", "1", "-c", "-i", &id, "-v"];
            args.extend_from_slice(filters);
            args.into_iter().map(String::from).collect::<Vec<_>>()
        };
        let start = |label: &str, args: &[String]| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            subscribe(&t, label, &args)
        };

        // A persistent session subscribed to `old`.
        let mut sub = start("first run", &with(&["-t", &old]));
        await_subscribed(&mut sub, &t, &old);
        interrupt(&mut sub);

        // Back without -U: the session still delivers `old`.
        let mut sub = start("second run", &with(&["-t", &new]));
        await_subscribed(&mut sub, &t, &new);
        publish(&t, &old, &["-q", "1", "-m", "kept"]);
        sub.expect_line("a message on the kept subscription", WAIT, |l| {
            l == format!("{old} kept")
        });
        interrupt(&mut sub);

        // Back with -U old (and, in 5.0, a filter it never had): `old` is gone. A message
        // on `old` published before the marker would have come before it.
        let mut sub = start("third run", &with(&["-t", &new, "-U", &old, "-U", &never]));
        await_subscribed(&mut sub, &t, &new);
        publish(&t, &old, &["-q", "1", "-m", "after"]);
        publish(&t, &new, &["-q", "1", "-m", "marker"]);
        sub.expect_line("the marker", WAIT, |l| l == format!("{new} marker"));
        assert!(
            !sub.history
                .iter()
                .any(|l| l.starts_with(&format!("{old} "))),
            "[{}] a message on the unsubscribed filter arrived: {:?}",
            t.label,
            sub.history
        );
        interrupt(&mut sub);
        if t.v5() {
            sub.drain();
            let stderr = sub.stderr();
            assert!(
                stderr.contains(&format!("warning: unsubscribe {never}: 0x11")),
                "[{}] no warning for a filter without a subscription: {stderr:?}",
                t.label
            );
        }
        end_session(&t, &id);
    }
}

#[test]
fn no_local_on_one_connection() {
    use direct::{message_topic, Direct};
    use std::time::Instant;
    use switchboard_mqtt::codec::{ByteStr, QoS, Subscription};
    use switchboard_mqtt::session::Event;

    let broker = shared_broker();
    for t in targets_v5(&broker) {
        let base = format!("sbt/{}/nolocal-direct", unique(&t.label));
        let (own, marker) = (format!("{base}/own"), format!("{base}/marker"));
        let mut d = Direct::connect(&t, &unique("nolocal"));
        let mut no_local = Subscription::new(ByteStr::from(own.clone()), QoS::AtLeastOnce);
        no_local.options.no_local = true;
        let id = d
            .session
            .subscribe(
                vec![
                    no_local,
                    Subscription::new(ByteStr::from(marker.clone()), QoS::AtLeastOnce),
                ],
                Instant::now(),
            )
            .unwrap();
        d.until(
            "SUBACK",
            |e| matches!(e, Event::Subscribed { packet_id, .. } if *packet_id == id),
        );
        // Our own message on the no-local filter does not come back; the marker (a plain
        // subscription) does, after it on the same connection.
        let now = Instant::now();
        d.session
            .publish(own.clone(), "mine", QoS::AtLeastOnce, false, now)
            .unwrap();
        d.session
            .publish(marker.clone(), "marker", QoS::AtLeastOnce, false, now)
            .unwrap();
        let (_, before) = d.until("our marker", |e| message_topic(e) == Some(&marker));
        assert!(
            !before.iter().any(|e| message_topic(e) == Some(&own)),
            "[{}] no-local delivered our own message: {before:?}",
            t.label
        );
        // Another client's message on the no-local filter does arrive.
        publish(&t, &own, &["-q", "1", "-m", "theirs"]);
        d.until("another client's message", |e| {
            message_topic(e) == Some(&own)
        });
    }
}
