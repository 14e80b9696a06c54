//! Helpers shared by the browser tests.
#![allow(dead_code, unreachable_pub, clippy::panic)]

use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use switchboard_mqtt::codec::{Protocol, QoS, Subscription};
use switchboard_mqtt::session::Options;
use switchboard_web::{Client, Config, Message, Messages};

pub mod fixture;

/// The broker's WebSocket URL, given at compile time. Missing → the test fails, loudly.
pub fn ws_url() -> &'static str {
    match option_env!("SWITCHBOARD_TEST_WS_URL").or(option_env!("SWITCHBOARD_WS_URL")) {
        Some(url) if !url.is_empty() => url,
        _ => panic!(
            "SWITCHBOARD_TEST_WS_URL is not set: build the tests with the URL of a mosquitto \
             WebSocket listener, e.g. SWITCHBOARD_TEST_WS_URL=ws://127.0.0.1:9001 \
             (./scripts/test does this)"
        ),
    }
}

/// A URL nothing listens on.
pub fn closed_url() -> String {
    "ws://127.0.0.1:9".to_string()
}

/// A client id no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:08x}",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}

pub fn options(id: &str, protocol: Protocol) -> Options {
    Options::new(protocol, id.to_string())
}

/// Connects to the test broker, without persistence.
pub fn config(id: &str, protocol: Protocol) -> Config {
    let mut c = Config::new(ws_url(), options(id, protocol));
    c.persist = false;
    c
}

/// A client `id` on the test broker (5.0), subscribed to `topic` at QoS 1, and its messages.
pub async fn subscriber(id: &str, topic: &str) -> (Client, Messages) {
    let sub = Client::connect(config(id, Protocol::V5))
        .await
        .unwrap_or_else(|e| panic!("subscriber {id} did not connect: {e}"));
    sub.subscribe(vec![Subscription::new(topic.to_string(), QoS::AtLeastOnce)])
        .await
        .unwrap_or_else(|e| panic!("subscriber {id} could not subscribe: {e}"));
    let messages = sub.messages();
    (sub, messages)
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// `fut`'s output, or `None` after `ms` milliseconds.
pub async fn within<F: Future>(ms: i32, fut: F) -> Option<F::Output> {
    let mut fut = Box::pin(fut);
    let mut timer = Box::pin(sleep(ms));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

pub async fn next(messages: &mut Messages) -> Message {
    match std::future::poll_fn(|cx| Pin::new(&mut *messages).poll_next(cx)).await {
        Some(m) => m,
        None => panic!("the message stream ended"),
    }
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `ms` milliseconds.
pub async fn eventually<T, F, Fut>(ms: i32, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let mut waited = 0;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if waited >= ms {
            return None;
        }
        sleep(50).await;
        waited += 50;
    }
}
