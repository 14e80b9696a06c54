//! The driver against a real mosquitto over real WebSockets, in headless Chromium.
//!
//! Run (a broker with a WebSocket listener must be up; `./scripts/broker` starts one):
//! ```sh
//! SWITCHBOARD_TEST_WS_URL=ws://127.0.0.1:9001 CHROMEDRIVER=/usr/bin/chromedriver \
//!   cargo test -p switchboard-web --target wasm32-unknown-unknown
//! ```
//! The URL is read at compile time; without it every broker test fails with a message
//! saying so (a skipped test would prove nothing).
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

use common::*;
use futures_core::Stream;
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use switchboard_mqtt::codec::{Protocol, QoS, Subscription};
use switchboard_web::{Client, Config, Error, State, TimerBackend, TimerPreference};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn round_trip(protocol: Protocol) {
    let id = unique("rt");
    let client = Client::connect(config(&id, protocol)).await.unwrap();
    let filter = format!("sbw/{id}/#");
    let granted = client
        .subscribe(vec![Subscription::new(filter.clone(), QoS::ExactlyOnce)])
        .await
        .unwrap();
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].get(), 2, "granted QoS 2");
    let mut messages = client.messages();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let topic = format!("sbw/{id}/q{}", qos as u8);
        let code = client
            .publish(topic.clone(), format!("payload {}", qos as u8), qos, false)
            .await
            .unwrap();
        assert!(code.is_success());
        let m = within(5_000, next(&mut messages)).await.expect("message");
        assert_eq!(m.topic(), topic);
        assert_eq!(
            &m.payload()[..],
            format!("payload {}", qos as u8).as_bytes()
        );
        assert_eq!(m.publish.qos, qos);
    }
    let codes = client
        .unsubscribe(vec![filter.clone().into()])
        .await
        .unwrap();
    if protocol.is_v5() {
        assert_eq!(codes.len(), 1);
    }
    client.disconnect().await;
    assert_eq!(client.status().state, State::Closed);
}

#[wasm_bindgen_test]
async fn qos_0_1_2_round_trip_v311() {
    round_trip(Protocol::V3_1_1).await;
}

#[wasm_bindgen_test]
async fn qos_0_1_2_round_trip_v5() {
    round_trip(Protocol::V5).await;
}

#[wasm_bindgen_test]
async fn one_mib_message() {
    let id = unique("big");
    let client = Client::connect(config(&id, Protocol::V5)).await.unwrap();
    let topic = format!("sbw/{id}/big");
    client
        .subscribe(vec![Subscription::new(topic.clone(), QoS::AtLeastOnce)])
        .await
        .unwrap();
    let mut messages = client.messages();
    let payload: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    client
        .publish(topic.clone(), payload.clone(), QoS::AtLeastOnce, false)
        .await
        .unwrap();
    let m = within(15_000, next(&mut messages))
        .await
        .expect("the 1 MiB message");
    assert_eq!(m.payload().len(), payload.len());
    assert!(m.payload()[..] == payload[..], "payload intact");
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn ten_thousand_messages_in_a_burst_arrive_intact_and_in_order() {
    let id = unique("burst");
    let client = Client::connect(config(&id, Protocol::V5)).await.unwrap();
    let topic = format!("sbw/{id}/burst");
    client
        .subscribe(vec![Subscription::new(topic.clone(), QoS::AtMostOnce)])
        .await
        .unwrap();
    let mut messages = client.messages();
    const N: u32 = 10_000;
    for i in 0..N {
        drop(client.publish(
            topic.clone(),
            i.to_be_bytes().to_vec(),
            QoS::AtMostOnce,
            false,
        ));
    }
    for i in 0..N {
        let m = within(20_000, next(&mut messages))
            .await
            .unwrap_or_else(|| panic!("message {i} of {N} did not arrive"));
        assert_eq!(
            &m.payload()[..],
            &i.to_be_bytes(),
            "message {i} out of order or corrupt"
        );
    }
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn backpressure_holds_transmits_and_loses_nothing() {
    let id = unique("bp");
    let mut cfg = config(&id, Protocol::V3_1_1);
    // Anything buffered at all holds the next batch back.
    cfg.high_water = 0;
    let client = Client::connect(cfg).await.unwrap();
    let topic = format!("sbw/{id}/bp");
    client
        .subscribe(vec![Subscription::new(topic.clone(), QoS::AtLeastOnce)])
        .await
        .unwrap();
    let mut messages = client.messages();
    let payload = vec![7u8; 16 * 1024];
    let mut acks = Vec::new();
    for _ in 0..200 {
        acks.push(client.publish(topic.clone(), payload.clone(), QoS::AtLeastOnce, false));
    }
    for ack in acks {
        within(20_000, ack).await.expect("PUBACK").unwrap();
    }
    for i in 0..200 {
        within(10_000, next(&mut messages))
            .await
            .unwrap_or_else(|| panic!("message {i} missing"));
    }
    assert!(
        client.backpressure_holds() > 0,
        "bufferedAmount never held anything back"
    );
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn keepalive_pings_come_from_the_worker() {
    let id = unique("ka");
    let mut cfg = config(&id, Protocol::V5);
    cfg.options.keep_alive = 1;
    let client = Client::connect(cfg).await.unwrap();
    sleep(2_600).await;
    let stats = client.timer_stats().unwrap();
    assert_eq!(stats.backend, TimerBackend::Worker);
    assert!(
        stats.pings_from_worker >= 1,
        "no PINGREQ fired by the worker: {stats:?}"
    );
    assert_eq!(stats.pings_from_main, 0, "{stats:?}");
    assert!(
        client.is_connected(),
        "PINGRESP kept the connection: {:?}",
        client.status()
    );
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn keepalive_falls_back_to_main_thread_timers() {
    let id = unique("ka-main");
    let mut cfg = config(&id, Protocol::V3_1_1);
    cfg.options.keep_alive = 1;
    cfg.timers = TimerPreference::MainThread;
    let client = Client::connect(cfg).await.unwrap();
    sleep(2_600).await;
    let stats = client.timer_stats().unwrap();
    assert_eq!(stats.backend, TimerBackend::MainThread);
    assert!(stats.pings_from_main >= 1, "{stats:?}");
    assert!(client.is_connected());
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn first_connect_to_a_closed_port_fails_with_a_clear_error() {
    let mut cfg = Config::new(closed_url(), options(&unique("closed"), Protocol::V5));
    cfg.persist = false;
    match Client::connect(cfg).await {
        Err(Error::ConnectFailed(why)) => assert!(why.contains("cannot connect"), "{why}"),
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn bad_urls_are_refused_before_anything_happens() {
    for url in ["http://127.0.0.1:1", "127.0.0.1:1883", "ws://", ""] {
        let cfg = Config::new(url, options("x", Protocol::V5));
        match Client::start(cfg).await {
            Err(Error::InvalidUrl(_)) => {}
            other => panic!("{url}: expected InvalidUrl, got {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn bad_topics_and_qos_are_refused_by_the_session() {
    let id = unique("bad");
    let client = Client::connect(config(&id, Protocol::V5)).await.unwrap();
    match client.publish("a/+/b", "x", QoS::AtMostOnce, false).await {
        Err(Error::Session(_)) => {}
        other => panic!("expected a session error, got {other:?}"),
    }
    match client
        .subscribe(vec![Subscription::new("a/#/b", QoS::AtMostOnce)])
        .await
    {
        Err(Error::Session(_)) => {}
        other => panic!("expected a session error, got {other:?}"),
    }
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn reconnects_with_backoff_and_reports_each_step() {
    let mut cfg = Config::new(closed_url(), options(&unique("retry"), Protocol::V5));
    cfg.persist = false;
    cfg.backoff.base = Duration::from_millis(100);
    cfg.backoff.cap = Duration::from_millis(200);
    cfg.backoff.max_attempts = Some(3);
    let client = Client::start(cfg).await.unwrap();
    let mut statuses = client.statuses();
    let mut seen = Vec::new();
    while let Some(s) = within(10_000, next_status(&mut statuses)).await.flatten() {
        seen.push(s.state);
        if s.state == State::Closed {
            break;
        }
    }
    let reconnecting: Vec<u32> = seen
        .iter()
        .filter_map(|s| match s {
            State::Reconnecting { attempt, next_in } => {
                assert!(
                    *next_in >= Duration::from_millis(50),
                    "floor holds: {next_in:?}"
                );
                assert!(
                    *next_in <= Duration::from_millis(200),
                    "cap holds: {next_in:?}"
                );
                Some(*attempt)
            }
            _ => None,
        })
        .collect();
    assert_eq!(reconnecting, vec![1, 2, 3], "states: {seen:?}");
    assert_eq!(
        seen.last(),
        Some(&State::Closed),
        "gave up after 3: {seen:?}"
    );
    let last = client.status().last_error.expect("a last error");
    assert!(last.message.contains("gave up"), "{last:?}");
}

#[wasm_bindgen_test]
async fn failover_to_the_next_url_and_before_attempt_hook() {
    use std::cell::Cell;
    let mut cfg = Config::new(closed_url(), options(&unique("failover"), Protocol::V5));
    cfg.urls.push(ws_url().to_string());
    cfg.persist = false;
    cfg.backoff.base = Duration::from_millis(50);
    let calls = Rc::new(Cell::new(0u32));
    let c = calls.clone();
    cfg.before_attempt = Some(Rc::new(move |_attempt, _url| {
        c.set(c.get() + 1);
        Box::pin(async { None })
    }));
    let client = Client::start(cfg).await.unwrap();
    let mut statuses = client.statuses();
    while let Some(s) = within(10_000, next_status(&mut statuses)).await.flatten() {
        if s.state == State::Connected {
            break;
        }
    }
    assert!(client.is_connected(), "{:?}", client.status());
    assert_eq!(client.status().url, ws_url());
    assert!(calls.get() >= 2, "the hook ran before each attempt");
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn persisted_qos1_messages_are_delivered_by_the_next_client_with_the_same_id() {
    let id = unique("persist");
    let topic = format!("sbw/{id}/persist");
    // A subscriber on the working broker.
    let (sub, mut messages) = subscriber(&unique("persist-sub"), &topic).await;

    // The publisher's first broker is unreachable: messages wait in its queue.
    let urls = vec![closed_url(), ws_url().to_string()];
    let mut cfg = Config::new(closed_url(), options(&id, Protocol::V5));
    cfg.reconnect = false;
    let first = Client::start(cfg).await.unwrap();
    let mut acks = Vec::new();
    for i in 0..5u8 {
        acks.push(first.publish(topic.clone(), vec![i], QoS::AtLeastOnce, false));
    }
    first.persisted().await.unwrap();
    assert_eq!(first.storage_error(), None);
    drop(first);
    for ack in acks {
        assert_eq!(within(5_000, ack).await, Some(Err(Error::Closed)));
    }

    // Same id, same first URL: restored from IndexedDB, delivered through the second URL.
    let mut cfg = Config::new(closed_url(), options(&id, Protocol::V5));
    cfg.urls = urls;
    cfg.backoff.base = Duration::from_millis(50);
    let second = Client::start(cfg).await.unwrap();
    for i in 0..5u8 {
        let m = within(10_000, next(&mut messages))
            .await
            .unwrap_or_else(|| panic!("persisted message {i} was not delivered"));
        assert_eq!(&m.payload()[..], &[i]);
    }
    second.disconnect().await;
    sub.disconnect().await;
    let _ = Client::forget_session(&closed_url(), &id).await;
}

#[wasm_bindgen_test]
fn the_broker_url_is_configured() {
    // Fails (not skips) when the build did not get the broker URL.
    assert!(ws_url().starts_with("ws"));
}

async fn next_status(s: &mut switchboard_web::StatusStream) -> Option<switchboard_web::Status> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// A before-attempt hook that holds the first attempt until the returned gate is opened, so
/// a test can fill the queue of a client that is not connected yet.
fn gated_first_attempt(cfg: &mut Config) -> Rc<RefCell<Option<js_sys::Function>>> {
    let gate: Rc<RefCell<Option<js_sys::Function>>> = Rc::default();
    let g = gate.clone();
    cfg.before_attempt = Some(Rc::new(move |attempt, _url| {
        let g = g.clone();
        Box::pin(async move {
            if attempt == 0 {
                let opened = js_sys::Promise::new(&mut |resolve, _| {
                    *g.borrow_mut() = Some(resolve);
                });
                let _ = wasm_bindgen_futures::JsFuture::from(opened).await;
            }
            None
        })
    }));
    gate
}

#[wasm_bindgen_test]
async fn publish_waits_for_room_when_the_queue_is_full() {
    let id = unique("full");
    let topic = format!("sbw/{id}/full");
    let (sub, mut messages) = subscriber(&unique("full-sub"), &topic).await;

    let mut cfg = config(&id, Protocol::V5);
    cfg.options.queue_limit = 4;
    let gate = gated_first_attempt(&mut cfg);
    let client = Client::start(cfg).await.unwrap();
    // Not connected: 4 messages fill the queue and the rest wait for room, in order, a QoS 0
    // one behind the QoS 1 ones too.
    let qos = |i: u8| {
        if i == 7 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        }
    };
    let mut acks: Vec<_> = (0..10u8)
        .map(|i| client.publish(topic.clone(), vec![i], qos(i), false))
        .collect();
    sleep(100).await;
    assert_eq!(
        client.pending(),
        (4, 0),
        "the queue holds its limit; the rest wait"
    );
    for (i, ack) in acks.iter_mut().enumerate() {
        assert!(
            within(1, ack).await.is_none(),
            "publish {i} settled before the connection: no QueueFull, no early answer"
        );
    }

    // Connected: acknowledgements make room, and every publish completes.
    let open = gate
        .borrow_mut()
        .take()
        .expect("the first attempt waits at the gate");
    open.call0(&JsValue::UNDEFINED).unwrap();
    for (i, ack) in acks.into_iter().enumerate() {
        let code = within(10_000, ack)
            .await
            .unwrap_or_else(|| panic!("publish {i} never completed"))
            .unwrap_or_else(|e| panic!("publish {i}: {e}"));
        assert!(code.is_success());
    }
    for i in 0..10u8 {
        let m = within(5_000, next(&mut messages))
            .await
            .unwrap_or_else(|| panic!("message {i} missing"));
        assert_eq!(&m.payload()[..], &[i], "in publish order");
    }
    assert_eq!(client.pending(), (0, 0));
    client.disconnect().await;
    sub.disconnect().await;
}

#[wasm_bindgen_test]
async fn publishes_waiting_for_room_fail_when_the_client_closes() {
    let mut cfg = config(&unique("full-close"), Protocol::V5);
    cfg.options.queue_limit = 1;
    let _gate = gated_first_attempt(&mut cfg);
    let client = Client::start(cfg).await.unwrap();
    let acks: Vec<_> = (0..3u8)
        .map(|i| client.publish("sbw/full-close", vec![i], QoS::AtLeastOnce, false))
        .collect();
    sleep(50).await;
    assert_eq!(client.pending(), (1, 0));
    client.disconnect().await;
    for ack in acks {
        assert_eq!(within(1_000, ack).await, Some(Err(Error::Closed)));
    }
}
