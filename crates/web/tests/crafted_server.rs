//! The driver against a server that sends crafted bytes (the fixture of
//! `scripts/test-harness/fixture.py`): malformed packets, and an MQTT 5.0 enhanced
//! authentication exchange, which mosquitto cannot script. In headless Chromium.
//!
//! Run as `tests/broker_restart.rs` says.
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

use bytes::Bytes;
use common::fixture::{crafted_url, decode, sent_packets};
use common::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use switchboard_mqtt::codec::{Packet, Protocol, QoS, ReasonCode, Subscription};
use switchboard_web::{AuthChallenge, Client, Config, Error, LastError, Notice, Override, State};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A client whose first broker is the crafted `scenario`, and which then reaches the real
/// broker: through the URL list when the bad server never accepted it, and through the
/// before-attempt hook when it did (a lost connection retries the same URL first).
async fn malformed_then_recovers(scenario: &str, protocol: Protocol) {
    let name = unique(scenario);
    let bad = crafted_url(scenario, &name);
    let mut cfg = Config::new(bad.clone(), options(&name, protocol));
    cfg.urls.push(ws_url().to_string());
    cfg.persist = false;
    cfg.backoff.base = Duration::from_millis(50);
    cfg.backoff.cap = Duration::from_millis(200);
    let redirect_from = bad.clone();
    cfg.before_attempt = Some(Rc::new(move |attempt, url| {
        let change = (attempt > 0 && url == redirect_from).then(|| Override {
            url: Some(ws_url().to_string()),
            ..Override::default()
        });
        Box::pin(async move { change })
    }));
    let client = Client::start(cfg).await.unwrap();
    let errors: Rc<RefCell<Vec<LastError>>> = Rc::default();
    let e = errors.clone();
    client.on_notice(move |n| {
        if let Notice::Error(error) = n {
            e.borrow_mut().push(error.clone());
        }
    });

    let good = ws_url();
    let reached = eventually(10_000, || {
        let status = client.status();
        async move { (status.state == State::Connected && status.url == good).then_some(()) }
    })
    .await;
    assert!(
        reached.is_some(),
        "{scenario}: not connected to the good broker: {:?}",
        client.status()
    );

    // The protocol error is reported with 0x81, as an error event and as the last error.
    let errors = errors.borrow().clone();
    let first = errors
        .first()
        .unwrap_or_else(|| panic!("{scenario}: no error reported"));
    assert_eq!(first.code, Some(0x81), "{scenario}: {errors:?}");
    assert!(
        first.message.contains("protocol error"),
        "{scenario}: {first:?}"
    );
    let last = client.status().last_error.expect("a last error");
    assert_eq!(last.code, Some(0x81), "{scenario}: {last:?}");

    // What the bad server heard: CONNECT, then (5.0) DISCONNECT Malformed Packet.
    let connections = sent_packets(&name).await;
    assert_eq!(
        connections.len(),
        1,
        "{scenario}: one connection to the bad server"
    );
    let packets: Vec<Packet> = connections[0].iter().map(|p| decode(p, protocol)).collect();
    assert!(
        matches!(packets.first(), Some(Packet::Connect(_))),
        "{scenario}: {packets:?}"
    );
    if protocol.is_v5() {
        match packets.get(1) {
            Some(Packet::Disconnect(d)) => assert_eq!(d.code, ReasonCode::MALFORMED_PACKET),
            other => panic!("{scenario}: expected DISCONNECT 0x81 after CONNECT, got {other:?}"),
        }
        assert_eq!(packets.len(), 2, "{scenario}: {packets:?}");
    } else {
        // 3.1.1 has no reason codes: the client just closes.
        assert_eq!(packets.len(), 1, "{scenario}: {packets:?}");
    }

    // And the same client works: a QoS 1 round trip through the good broker.
    let topic = format!("sbw/{name}/after");
    client
        .subscribe(vec![Subscription::new(topic.clone(), QoS::AtLeastOnce)])
        .await
        .unwrap();
    let mut messages = client.messages();
    client
        .publish(topic.clone(), "still working", QoS::AtLeastOnce, false)
        .await
        .unwrap();
    let m = within(5_000, next(&mut messages))
        .await
        .expect("the message after recovering");
    assert_eq!(&m.payload()[..], b"still working");
    client.disconnect().await;
}

#[wasm_bindgen_test]
async fn connack_with_a_reserved_flag_v5() {
    malformed_then_recovers("connack-reserved-flag", Protocol::V5).await;
}

#[wasm_bindgen_test]
async fn connack_with_a_reserved_flag_v311() {
    malformed_then_recovers("connack-reserved-flag", Protocol::V3_1_1).await;
}

#[wasm_bindgen_test]
async fn publish_with_a_wildcard_in_its_topic_v5() {
    malformed_then_recovers("publish-wildcard-topic", Protocol::V5).await;
}

#[wasm_bindgen_test]
async fn publish_with_a_wildcard_in_its_topic_v311() {
    malformed_then_recovers("publish-wildcard-topic", Protocol::V3_1_1).await;
}

#[wasm_bindgen_test]
async fn remaining_length_of_five_bytes_v5() {
    malformed_then_recovers("remaining-length-overflow", Protocol::V5).await;
}

#[wasm_bindgen_test]
async fn publish_truncated_by_its_remaining_length_v5() {
    malformed_then_recovers("publish-truncated", Protocol::V5).await;
}

// --- enhanced authentication ----------------------------------------------------------------

const METHOD: &str = "switchboard-test";

fn auth_config(name: &str) -> Config {
    let mut cfg = Config::new(crafted_url("auth", name), options(name, Protocol::V5));
    cfg.persist = false;
    cfg.reconnect = false;
    cfg.options.authentication_method = Some(METHOD.into());
    cfg.options.authentication_data = Some(Bytes::from_static(b"client-first"));
    cfg
}

#[wasm_bindgen_test]
async fn enhanced_authentication_two_challenges_answered_by_an_async_handler() {
    let name = unique("auth");
    let mut cfg = auth_config(&name);
    let challenges: Rc<RefCell<Vec<AuthChallenge>>> = Rc::default();
    let seen = challenges.clone();
    cfg.auth = Some(Rc::new(move |challenge: AuthChallenge| {
        seen.borrow_mut().push(challenge.clone());
        Box::pin(async move {
            // As slow as a call to a token service would be.
            sleep(30).await;
            match challenge.data.as_deref() {
                Some(b"challenge-1") => Ok(Some(Bytes::from_static(b"answer-1"))),
                Some(b"challenge-2") => Ok(Some(Bytes::from_static(b"answer-2"))),
                other => Err(format!("unexpected challenge {other:?}")),
            }
        })
    }));
    let client = Client::connect(cfg).await.unwrap();
    assert!(client.is_connected());

    let challenges = challenges.borrow().clone();
    let data: Vec<Option<&[u8]>> = challenges.iter().map(|c| c.data.as_deref()).collect();
    assert_eq!(
        data,
        vec![Some(&b"challenge-1"[..]), Some(&b"challenge-2"[..])]
    );
    assert!(challenges.iter().all(|c| c.method.as_str() == METHOD));

    // What the server heard: CONNECT with the method and first data, then two AUTH answers.
    client.disconnect().await;
    let connections = eventually(5_000, || async {
        let c = sent_packets(&name).await;
        (c.first().map_or(0, Vec::len) >= 4).then_some(c)
    })
    .await
    .expect("CONNECT, two AUTHs and DISCONNECT logged");
    let packets: Vec<Packet> = connections[0]
        .iter()
        .map(|p| decode(p, Protocol::V5))
        .collect();
    match &packets[0] {
        Packet::Connect(c) => {
            assert_eq!(
                c.properties.authentication_method().map(|m| m.as_str()),
                Some(METHOD)
            );
            assert_eq!(
                c.properties.authentication_data().map(|d| &d[..]),
                Some(&b"client-first"[..])
            );
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
    for (packet, answer) in packets[1..3].iter().zip([&b"answer-1"[..], b"answer-2"]) {
        match packet {
            Packet::Auth(a) => {
                assert_eq!(a.code, ReasonCode::CONTINUE_AUTHENTICATION);
                assert_eq!(
                    a.properties.authentication_data().map(|d| &d[..]),
                    Some(answer)
                );
            }
            other => panic!("expected AUTH, got {other:?}"),
        }
    }
    assert!(
        matches!(&packets[3], Packet::Disconnect(d) if d.code == ReasonCode::SUCCESS),
        "{packets:?}"
    );
}

#[wasm_bindgen_test]
async fn enhanced_authentication_refused_by_the_handler_fails_the_connect() {
    let name = unique("auth-refused");
    let mut cfg = auth_config(&name);
    cfg.auth = Some(Rc::new(|_| Box::pin(async { Err("no token".to_string()) })));
    match Client::connect(cfg).await {
        Err(Error::ConnectFailed(why)) => {
            assert!(
                why.contains("enhanced authentication failed: no token"),
                "{why}"
            )
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn enhanced_authentication_without_a_handler_fails_the_connect() {
    let name = unique("auth-none");
    match Client::connect(auth_config(&name)).await {
        Err(Error::ConnectFailed(why)) => assert!(why.contains("no auth handler"), "{why}"),
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn a_wrong_answer_is_refused_by_the_server() {
    let name = unique("auth-wrong");
    let mut cfg = auth_config(&name);
    cfg.auth = Some(Rc::new(|_| {
        Box::pin(async { Ok(Some(Bytes::from_static(b"guess"))) })
    }));
    match Client::connect(cfg).await {
        Err(Error::Refused { code, .. }) => assert_eq!(code, 0x87, "Not authorized"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
