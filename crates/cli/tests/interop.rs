//! Interoperability with MQTT.js, the reference JavaScript client: MQTT.js publishes and
//! `switchboard sub` receives, and `switchboard pub` publishes and MQTT.js receives, at QoS 0,
//! 1 and 2, MQTT 3.1.1 (protocol level 4) and 5.0, over TCP and WebSocket, through the shared
//! broker. MQTT.js runs in Node from `tests/support/mqttjs.mjs`; it must be installed in
//! `target/tools` by ./scripts/setup (see [`mqttjs_dir`]).
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use support::{
    await_subscribed, json, shared_broker, subscribe, targets, unique, Proc, Target, WAIT,
};

/// Messages per QoS in each direction.
const COUNT: usize = 5;

/// Where MQTT.js is installed: `$SWITCHBOARD_INTEROP_DIR`, else `target/tools` of the
/// workspace (./scripts/setup installs it there), else `target/interop`. A missing install
/// fails the test with the command that makes it.
fn mqttjs_dir() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let candidates = match std::env::var_os("SWITCHBOARD_INTEROP_DIR") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![target.join("tools"), target.join("interop")],
    };
    let Some(dir) = candidates
        .iter()
        .find(|d| d.join("node_modules/mqtt/package.json").is_file())
    else {
        panic!(
            "MQTT.js is not installed in any of {candidates:?}: run ./scripts/setup, or\n  \
             npm install --prefix target/tools --save-exact --no-audit --no-fund mqtt@5.16.0"
        );
    };
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "node is not installed (apt-get install nodejs, or ./scripts/setup)"
    );
    dir.clone()
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/mqttjs.mjs")
}

/// MQTT.js's protocol level for a target: 4 for 3.1.1, 5 for 5.0.
fn level(t: &Target) -> &'static str {
    if t.v5() {
        "5"
    } else {
        "4"
    }
}

/// Starts `node mqttjs.mjs DIR MODE URL LEVEL TOPIC COUNT`.
fn mqttjs(mode: &str, t: &Target, topic: &str) -> Proc {
    let dir = mqttjs_dir();
    let mut cmd = Command::new("node");
    cmd.arg(script())
        .arg(&dir)
        .arg(mode)
        .arg(&t.url)
        .arg(level(t))
        .arg(topic)
        .arg(COUNT.to_string());
    Proc::spawn(&format!("[{}] MQTT.js {mode}", t.label), &mut cmd, false)
}

/// The payloads expected on `base/q{qos}`, from `prefix` (`js` or `sb`).
fn expected(prefix: &str) -> BTreeSet<(u64, String)> {
    (0..3u64)
        .flat_map(|q| (1..=COUNT).map(move |i| (q, format!("{prefix}-q{q}-{i}"))))
        .collect()
}

#[test]
fn mqttjs_publishes_and_switchboard_receives() {
    let broker = shared_broker();
    mqttjs_dir();
    for t in targets(&broker) {
        let base = format!("sbt/{}/from-js", unique(&t.label));
        let mut sub = subscribe(
            &t,
            "sub",
            &["-t", &format!("{base}/#"), "-q", "2", "--json"],
        );
        await_subscribed(&mut sub, &t, &format!("{base}/probe"));
        let mut js = mqttjs("pub", &t, &base);
        js.wait_success(WAIT);

        let want = expected("js");
        let mut got = BTreeSet::new();
        while got.len() < want.len() {
            let line = sub.expect_line(
                &format!("message {} of {} from MQTT.js", got.len() + 1, want.len()),
                WAIT,
                |l| l.contains("\"js-q"),
            );
            let v = json(&line);
            let payload = v["payload"].as_str().unwrap().to_string();
            let qos = v["qos"].as_u64().unwrap();
            // Each went out at the QoS in its name, to the topic of that QoS.
            assert!(
                payload.starts_with(&format!("js-q{qos}-")),
                "[{}] {v}",
                t.label
            );
            assert_eq!(v["topic"], format!("{base}/q{qos}"), "[{}]", t.label);
            if t.v5() {
                let p = &v["properties"];
                assert_eq!(p["content_type"], "text/plain", "[{}] {v}", t.label);
                assert_eq!(
                    p["user_properties"],
                    serde_json::json!([["from", "mqtt.js"]]),
                    "[{}] {v}",
                    t.label
                );
            }
            assert!(got.insert((qos, payload)), "[{}] a duplicate: {v}", t.label);
        }
        assert_eq!(got, want, "[{}]", t.label);
        sub.signal("INT");
        sub.wait_success(WAIT);
    }
}

#[test]
fn switchboard_publishes_and_mqttjs_receives() {
    let broker = shared_broker();
    mqttjs_dir();
    for t in targets(&broker) {
        let base = format!("sbt/{}/to-js", unique(&t.label));
        let mut js = mqttjs("sub", &t, &base);
        let ready = json(&js.expect_line("MQTT.js's SUBACK", WAIT, |l| l.contains("ready")));
        assert_eq!(ready["granted"][0]["qos"], 2, "[{}] {ready}", t.label);

        for qos in ["0", "1", "2"] {
            let topic = format!("{base}/q{qos}");
            let mut args = vec![
                "pub", "-L", &t.url, "-V", t.version, "-t", &topic, "-q", qos, "-l",
            ];
            if t.v5() {
                args.extend_from_slice(&["-D", "publish", "user-property", "from", "switchboard"]);
            }
            let mut publisher =
                Proc::switchboard_piped(&format!("[{}] pub -q {qos}", t.label), &args);
            for i in 1..=COUNT {
                publisher.write_line(&format!("sb-q{qos}-{i}"));
            }
            publisher.close_stdin();
            publisher.wait_success(WAIT);
        }

        let want = expected("sb");
        let mut got = BTreeSet::new();
        while got.len() < want.len() {
            let line = js.expect_line(
                &format!(
                    "message {} of {} from switchboard",
                    got.len() + 1,
                    want.len()
                ),
                WAIT,
                |l| l.contains("\"sb-q"),
            );
            let v = json(&line);
            let payload = v["payload"].as_str().unwrap().to_string();
            let qos = v["qos"].as_u64().unwrap();
            assert!(
                payload.starts_with(&format!("sb-q{qos}-")),
                "[{}] {v}",
                t.label
            );
            assert_eq!(v["topic"], format!("{base}/q{qos}"), "[{}]", t.label);
            if t.v5() {
                assert_eq!(
                    v["properties"]["userProperties"],
                    serde_json::json!({"from": "switchboard"}),
                    "[{}] {v}",
                    t.label
                );
            }
            assert!(got.insert((qos, payload)), "[{}] a duplicate: {v}", t.label);
        }
        assert_eq!(got, want, "[{}]", t.label);
        js.wait_success(WAIT);
    }
}
