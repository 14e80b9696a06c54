//! A real mosquitto stopped and started again while QoS 1 and QoS 2 messages flow, in
//! headless Chromium. The broker is the fixture's (`scripts/test-harness/fixture.py`), which
//! runs it with persistence, so sessions survive the restart as they would in production.
//!
//! Run as `tests/driver.rs` says, with the fixture running and, at compile time,
//! `SWITCHBOARD_TEST_FIXTURE_URL` and `SWITCHBOARD_TEST_RESTART_WS_URL` set (`./scripts/test`
//! does all of it).
#![cfg(target_arch = "wasm32")]
// Tests fail by panicking; indexing fixed test data is fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;

use common::fixture::{restart_ws_url, start_broker, stop_broker};
use common::*;
use futures_core::Stream;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use switchboard_mqtt::codec::{Protocol, QoS, Subscription};
use switchboard_web::{Client, Config, Notice, State, Status, StatusStream};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Messages published: even ones at QoS 1, odd ones at QoS 2.
const N: u32 = 90;
/// The broker stops after this message and starts again after `RESTART_AT`.
const STOP_AT: u32 = 30;
const RESTART_AT: u32 = 60;
const BACKOFF_CAP: Duration = Duration::from_millis(400);

fn qos_of(i: u32) -> QoS {
    if i.is_multiple_of(2) {
        QoS::AtLeastOnce
    } else {
        QoS::ExactlyOnce
    }
}

/// A 5.0 client of the restartable broker whose session outlives a restart, retrying fast.
fn restart_config(id: &str) -> Config {
    let mut cfg = Config::new(restart_ws_url(), options(id, Protocol::V5));
    cfg.persist = false;
    cfg.options.session_expiry = 300;
    // mosquitto 2.0 writes to its persistence file only the sessions of clients that
    // connected with Clean Start 0, whatever their Session Expiry Interval.
    cfg.options.clean_start = false;
    cfg.backoff.base = Duration::from_millis(100);
    cfg.backoff.cap = BACKOFF_CAP;
    cfg
}

async fn next_status(s: &mut StatusStream) -> Option<Status> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// The statuses reported so far (the stream starts with the status when it was created).
async fn drain(s: &mut StatusStream) -> Vec<State> {
    let mut states = Vec::new();
    while let Some(Some(status)) = within(20, next_status(s)).await {
        states.push(status.state);
    }
    states
}

/// Asserts `states` go connected → reconnecting (attempt ≥ 1, a delay within the backoff
/// cap) → connected, and end connected.
fn assert_reconnected(who: &str, states: &[State]) {
    let first_reconnecting = states
        .iter()
        .position(|s| matches!(s, State::Reconnecting { .. }))
        .unwrap_or_else(|| panic!("{who}: no reconnecting state in {states:?}"));
    assert!(
        states[..first_reconnecting].contains(&State::Connected),
        "{who}: connected before the restart: {states:?}"
    );
    for s in states {
        if let State::Reconnecting { attempt, next_in } = s {
            assert!(*attempt >= 1, "{who}: {states:?}");
            assert!(
                *next_in > Duration::ZERO && *next_in <= BACKOFF_CAP,
                "{who}: delay within the backoff cap: {states:?}"
            );
        }
    }
    assert!(
        states[first_reconnecting..].contains(&State::Connected),
        "{who}: connected again after the restart: {states:?}"
    );
    assert_eq!(states.last(), Some(&State::Connected), "{who}: {states:?}");
}

/// Records the Session Present flag of each CONNACK the client gets from now on.
fn session_present_flags(client: &Client) -> Rc<RefCell<Vec<bool>>> {
    let flags: Rc<RefCell<Vec<bool>>> = Rc::default();
    let f = flags.clone();
    client.on_notice(move |n| {
        if let Notice::Connected {
            session_present, ..
        } = n
        {
            f.borrow_mut().push(*session_present);
        }
    });
    flags
}

#[wasm_bindgen_test]
async fn broker_restart_mid_stream_loses_no_qos1_or_qos2_message() {
    let id = unique("restart");
    let topic = format!("sbw/{id}/stream");
    let sub = Client::connect(restart_config(&format!("{id}-sub")))
        .await
        .unwrap();
    sub.subscribe(vec![Subscription::new(topic.clone(), QoS::ExactlyOnce)])
        .await
        .unwrap();
    let mut messages = sub.messages();
    let mut sub_statuses = sub.statuses();
    let sub_sessions = session_present_flags(&sub);
    let publisher = Client::connect(restart_config(&format!("{id}-pub")))
        .await
        .unwrap();
    let mut pub_statuses = publisher.statuses();
    let pub_sessions = session_present_flags(&publisher);

    let mut acks = Vec::new();
    for i in 0..N {
        acks.push(publisher.publish(topic.clone(), i.to_be_bytes().to_vec(), qos_of(i), false));
        // A stream, not a burst: the broker goes while messages flow, and those published
        // while it is down wait in the queue.
        sleep(10).await;
        if i == STOP_AT {
            stop_broker().await;
        }
        if i == RESTART_AT {
            let (queued, _) = publisher.pending();
            assert!(
                queued > 0,
                "messages published while the broker is down wait in the queue"
            );
            start_broker().await;
        }
    }
    for (i, ack) in acks.into_iter().enumerate() {
        let code = within(30_000, ack)
            .await
            .unwrap_or_else(|| panic!("message {i}: no acknowledgement in 30 s"))
            .unwrap_or_else(|e| panic!("message {i}: {e}"));
        assert!(code.is_success(), "message {i}: {code:?}");
    }

    // Every message arrives; QoS 2 ones exactly once.
    let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
    while seen.len() < N as usize {
        let Some(m) = within(30_000, next(&mut messages)).await else {
            let missing: Vec<u32> = (0..N).filter(|i| !seen.contains_key(i)).collect();
            panic!("messages lost across the restart: {missing:?}");
        };
        let i = u32::from_be_bytes(m.payload()[..].try_into().unwrap());
        assert_eq!(m.publish.qos, qos_of(i), "message {i}");
        *seen.entry(i).or_default() += 1;
    }
    // Late duplicates would come now.
    while let Some(m) = within(500, next(&mut messages)).await {
        let i = u32::from_be_bytes(m.payload()[..].try_into().unwrap());
        *seen.entry(i).or_default() += 1;
    }
    let duplicated_qos2: Vec<u32> = seen
        .iter()
        .filter(|(i, n)| qos_of(**i) == QoS::ExactlyOnce && **n > 1)
        .map(|(i, _)| *i)
        .collect();
    assert!(
        duplicated_qos2.is_empty(),
        "QoS 2 messages delivered twice: {duplicated_qos2:?}"
    );

    // Each client reported each step, and why its connection ended.
    assert_reconnected("publisher", &drain(&mut pub_statuses).await);
    assert_reconnected("subscriber", &drain(&mut sub_statuses).await);
    let why = publisher
        .status()
        .last_error
        .expect("the lost connection is reported");
    assert!(!why.message.is_empty());
    // The restarted broker resumed both sessions from its persistence file: what was in
    // flight when it stopped was finished, not started over.
    assert_eq!(
        sub_sessions.borrow().clone(),
        vec![true],
        "subscriber session resumed"
    );
    assert_eq!(
        pub_sessions.borrow().clone(),
        vec![true],
        "publisher session resumed"
    );

    publisher.disconnect().await;
    sub.disconnect().await;
}
