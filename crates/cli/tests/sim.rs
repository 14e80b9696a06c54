//! `switchboard sim` against a real mosquitto (a private one: the fleet's topics and client
//! identifiers are fixed, so it must not meet another fleet): devices come online with a
//! retained status, send plausible JSON telemetry, answer commands by updating their reported
//! state, chat rooms and alerts carry JSON, and a device that vanishes (kill -9) is marked
//! offline by its Last Will. A clean stop (SIGINT) marks every device offline too.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use serde_json::Value;
use support::{await_subscribed, json, publish, subscribe, Mosquitto, Proc, Target, WAIT};

const DEVICES: [&str; 2] = ["dev-01", "dev-02"];

/// A `--json` line of the watcher: its topic and its payload parsed as JSON (`Null` when the
/// payload is not JSON, e.g. `online`).
fn message(line: &str) -> (String, String, Value) {
    let v = json(line);
    let topic = v["topic"].as_str().unwrap_or_default().to_string();
    let text = v["payload"].as_str().unwrap_or_default().to_string();
    let payload = serde_json::from_str(&text).unwrap_or(Value::Null);
    (topic, text, payload)
}

/// Waits until some line of `p`'s output (earlier ones included) satisfies `pred`; returns
/// the first such line.
fn saw(p: &mut Proc, what: &str, pred: impl Fn(&str, &str, &Value) -> bool) -> String {
    let matches = |l: &str| {
        let (topic, text, payload) = message(l);
        pred(&topic, &text, &payload)
    };
    if !p.collect_until(WAIT, |lines| lines.iter().any(|l| matches(l.as_str()))) {
        panic!(
            "{}: no message {what} within {WAIT:?}; last lines:\n{}\nstderr:\n{}",
            p.label,
            support::tail(&p.history.join("\n"), 15),
            p.stderr()
        );
    }
    p.history
        .iter()
        .find(|l| matches(l.as_str()))
        .cloned()
        .unwrap()
}

/// A number field within `lo..=hi`.
fn within(v: &Value, field: &str, lo: f64, hi: f64) -> bool {
    v[field].as_f64().is_some_and(|x| (lo..=hi).contains(&x))
}

/// The retained status of every device, as a fresh subscriber sees it.
fn retained_statuses(t: &Target) -> Vec<(String, String, bool)> {
    let out = support::run(
        &[
            "sub",
            "-L",
            &t.url,
            "-t",
            "devices/+/status",
            "--json",
            "-C",
            "2",
            "-W",
            "10",
        ],
        WAIT,
    );
    assert_eq!(out.code, Some(0), "sub for the statuses: {}", out.stderr);
    let mut got: Vec<(String, String, bool)> = out
        .stdout
        .lines()
        .map(|l| {
            let v = json(l);
            (
                v["topic"].as_str().unwrap_or_default().to_string(),
                v["payload"].as_str().unwrap_or_default().to_string(),
                v["retain"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    got.sort();
    got
}

fn statuses(state: &str) -> Vec<(String, String, bool)> {
    DEVICES
        .iter()
        .map(|id| (format!("devices/{id}/status"), state.to_string(), true))
        .collect()
}

fn start_sim(url: &str) -> Proc {
    Proc::switchboard(
        "sim",
        &[
            "sim",
            "-L",
            url,
            "--devices",
            "2",
            "--rate",
            "20",
            "--chat-interval",
            "0.3",
            "--seed",
            "7",
        ],
    )
}

#[test]
fn the_demo_fleet_reports_answers_commands_and_leaves_a_will() {
    let broker = Mosquitto::start("sim", "allow_anonymous true");
    let t = Target {
        url: broker.mqtt_url(),
        version: "311",
        label: "tcp-311".to_string(),
    };
    let mut watcher = subscribe(
        &t,
        "watcher",
        &[
            "-t",
            "devices/#",
            "-t",
            "chat/#",
            "-t",
            "alerts/#",
            "-q",
            "1",
            "--json",
        ],
    );
    await_subscribed(&mut watcher, &t, "chat/probe");
    let mut sim = start_sim(&t.url);

    for id in DEVICES {
        let status = format!("devices/{id}/status");
        saw(&mut watcher, &format!("{id} online"), |topic, text, _| {
            topic == status && text == "online"
        });
        let telemetry = format!("devices/{id}/telemetry");
        let line = saw(&mut watcher, &format!("{id} telemetry"), |topic, _, _| {
            topic == telemetry
        });
        let (_, _, v) = message(&line);
        assert!(
            within(&v, "temperature", -10.0, 45.0)
                && within(&v, "humidity", 5.0, 95.0)
                && within(&v, "battery", 0.0, 100.0)
                && within(&v, "rssi", -95.0, -35.0)
                && v["led"] == "off"
                && v["ts"].as_u64().is_some(),
            "implausible telemetry from {id}: {line}"
        );
    }
    assert_eq!(retained_statuses(&t), statuses("online"));

    let line = saw(&mut watcher, "on a chat room", |topic, _, _| {
        topic.starts_with("chat/") && topic != "chat/probe"
    });
    let (topic, _, v) = message(&line);
    assert!(
        ["chat/lobby", "chat/ops"].contains(&topic.as_str())
            && v["from"].as_str().is_some_and(|f| !f.is_empty())
            && v["text"].as_str().is_some_and(|f| !f.is_empty())
            && v["ts"].as_u64().is_some(),
        "not a chat message: {line}"
    );

    // A command changes the reported state (retained), the telemetry, and is confirmed by an
    // info alert.
    publish(
        &t,
        "devices/dev-01/cmd",
        &["-q", "1", "-m", r#"{"led":"on"}"#],
    );
    saw(&mut watcher, "with the new state", |topic, _, v| {
        topic == "devices/dev-01/state" && v["led"] == "on"
    });
    saw(&mut watcher, "confirming the command", |topic, _, v| {
        topic == "alerts/info"
            && v["device"] == "dev-01"
            && v["message"].as_str().is_some_and(|m| m.contains("led on"))
    });
    saw(
        &mut watcher,
        "of telemetry with the LED on",
        |topic, _, v| topic == "devices/dev-01/telemetry" && v["led"] == "on",
    );
    // A command it does not understand raises a warning.
    publish(
        &t,
        "devices/dev-02/cmd",
        &["-q", "1", "-m", r#"{"led":"blue"}"#],
    );
    saw(
        &mut watcher,
        "warning about a bad command",
        |topic, _, v| {
            topic == "alerts/warning"
                && v["device"] == "dev-02"
                && v["message"].as_str().is_some_and(|m| m.contains("refused"))
        },
    );

    // Gone without a word: the broker publishes each device's Will.
    let before = watcher.history.len();
    sim.kill();
    for id in DEVICES {
        let status = format!("devices/{id}/status");
        let p = &mut watcher;
        let fresh = |lines: &[String]| {
            lines[before..].iter().any(|l| {
                let (topic, text, _) = message(l);
                topic == status && text == "offline"
            })
        };
        assert!(
            p.collect_until(WAIT, fresh),
            "no Last Will (offline) for {id} after kill -9; lines since:\n{}",
            p.history[before..].join("\n")
        );
    }
    assert_eq!(retained_statuses(&t), statuses("offline"));

    // Back again, then a clean stop: the devices say offline themselves and it exits 0.
    let before = watcher.history.len();
    let mut sim = start_sim(&t.url);
    for id in DEVICES {
        let status = format!("devices/{id}/status");
        assert!(
            watcher.collect_until(WAIT, |lines| lines[before..].iter().any(|l| {
                let (topic, text, _) = message(l);
                topic == status && text == "online"
            })),
            "{id} did not come back online; stderr:\n{}",
            sim.stderr()
        );
    }
    sim.signal("INT");
    sim.wait_success(WAIT);
    assert_eq!(retained_statuses(&t), statuses("offline"));
    watcher.signal("INT");
    watcher.wait_success(WAIT);
    let log = sim.stderr();
    assert!(!log.contains("error"), "the fleet reported errors:\n{log}");
}
