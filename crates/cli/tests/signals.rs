//! Ctrl-C (SIGINT) on `switchboard pub`, against a private mosquitto that the tests stop and
//! start: the command stops reading, waits for the broker to acknowledge the QoS 1 messages
//! it already took (also when the broker is away and comes back), ends with DISCONNECT (no
//! Will) and exits 0; a second Ctrl-C leaves at once and says what was not acknowledged.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::{Duration, Instant};
use support::{await_subscribed, publish, subscribe, unique, Mosquitto, Proc, Target, WAIT};

fn target(broker: &Mosquitto) -> Target {
    Target {
        url: broker.mqtt_url(),
        version: "311",
        label: "tcp-311".to_string(),
    }
}

/// A broker that keeps persistent sessions across a restart.
fn persistent_broker(name: &str) -> Mosquitto {
    Mosquitto::start(
        name,
        "allow_anonymous true\n\
         persistence true\n\
         persistence_location {dir}/\n\
         autosave_interval 1",
    )
}

/// `pub -l -q 1` on `topic`, stdin piped.
fn line_publisher(t: &Target, topic: &str, extra: &[&str]) -> Proc {
    let mut args = vec!["pub", "-L", &t.url, "-t", topic, "-q", "1", "-l"];
    args.extend_from_slice(extra);
    Proc::switchboard_piped("pub -l", &args)
}

/// Waits until `p` wrote `text` on stderr.
fn await_stderr(p: &Proc, text: &str) {
    let deadline = Instant::now() + WAIT;
    while !p.stderr().contains(text) {
        assert!(
            Instant::now() < deadline,
            "{}: no {text:?} on stderr within {WAIT:?}; stderr:\n{}",
            p.label,
            p.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops the broker and hands `lines` to the publisher while it is away. The publisher
/// takes a line from its stdin as soon as it is written; the pause makes sure it has before
/// the test goes on (there is nothing to observe from outside until the broker is back).
fn publish_while_away(broker: &mut Mosquitto, publisher: &mut Proc, lines: &[&str]) {
    broker.stop();
    await_stderr(publisher, "reconnecting");
    for line in lines {
        publisher.write_line(line);
    }
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn ctrl_c_on_pub_disconnects_cleanly_after_the_acknowledgements() {
    let broker = Mosquitto::start("sigint", "allow_anonymous true");
    let t = target(&broker);
    let base = format!("sbt/{}/sigint", unique("pub"));
    let (topic, will) = (format!("{base}/data"), format!("{base}/will"));
    let mut watcher = subscribe(&t, "watcher", &["-t", &topic, "-t", &will, "-q", "1", "-v"]);
    await_subscribed(&mut watcher, &t, &topic);

    let mut publisher = line_publisher(
        &t,
        &topic,
        &["--will-topic", &will, "--will-payload", "vanished"],
    );
    for line in ["one", "two"] {
        publisher.write_line(line);
        watcher.expect_line(line, WAIT, |l| l == format!("{topic} {line}"));
    }
    publisher.signal("INT");
    publisher.wait_success(WAIT);

    // A DISCONNECT, not a dropped connection: no Will before a later marker.
    publish(&t, &topic, &["-q", "1", "-m", "marker"]);
    watcher.expect_line("the marker", WAIT, |l| l == format!("{topic} marker"));
    assert!(
        !watcher.history.iter().any(|l| l.starts_with(&will)),
        "the Will was published: the publisher did not disconnect cleanly: {:?}",
        watcher.history
    );
    watcher.signal("INT");
    watcher.wait_success(WAIT);
}

#[test]
fn ctrl_c_while_the_broker_is_away_still_delivers_what_pub_took() {
    let mut broker = persistent_broker("sigint-away");
    let t = target(&broker);
    let topic = format!("sbt/{}/sigint-away", unique("pub"));
    let id = unique("sigint-away-sub");
    let mut watcher = subscribe(
        &t,
        "persistent watcher",
        &["-t", &topic, "-q", "1", "-c", "-i", &id, "-v"],
    );
    await_subscribed(&mut watcher, &t, &topic);
    let mut publisher = line_publisher(&t, &topic, &[]);
    publisher.write_line("first");
    watcher.expect_line("first", WAIT, |l| l == format!("{topic} first"));

    publish_while_away(&mut broker, &mut publisher, &["second", "third"]);
    publisher.signal("INT");
    await_stderr(&publisher, "acknowledge 2 message(s)");
    broker.launch();
    // Back within the grace period: both go, are acknowledged, and the command exits 0.
    publisher.wait_success(WAIT);
    for line in ["second", "third"] {
        watcher.expect_line(line, WAIT, |l| l == format!("{topic} {line}"));
    }
    watcher.signal("INT");
    watcher.wait_success(WAIT);
}

#[test]
fn a_second_ctrl_c_leaves_at_once_and_says_what_was_not_acknowledged() {
    let mut broker = Mosquitto::start("sigint-twice", "allow_anonymous true");
    let t = target(&broker);
    let topic = format!("sbt/{}/sigint-twice", unique("pub"));
    let mut watcher = subscribe(&t, "watcher", &["-t", &topic, "-q", "1", "-v"]);
    await_subscribed(&mut watcher, &t, &topic);
    let mut publisher = line_publisher(&t, &topic, &[]);
    publisher.write_line("first");
    watcher.expect_line("first", WAIT, |l| l == format!("{topic} first"));
    publish_while_away(&mut broker, &mut publisher, &["second"]);

    let started = Instant::now();
    publisher.signal("INT");
    await_stderr(&publisher, "Ctrl-C again");
    publisher.signal("INT");
    let status = publisher.wait(WAIT);
    publisher.drain();
    assert_eq!(status.code(), Some(1), "stderr:\n{}", publisher.stderr());
    assert!(
        publisher
            .stderr()
            .contains("stopped with 1 QoS 1 message(s) not acknowledged"),
        "stderr:\n{}",
        publisher.stderr()
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the second Ctrl-C did not end the wait: {:?}",
        started.elapsed()
    );
}
