//! The test fixture of `scripts/test-harness/fixture.py`, which `./scripts/test` starts: a
//! restartable mosquitto the tests can stop and start, and a crafted MQTT-over-WebSocket
//! server that answers with the bytes a scenario prescribes and logs what clients sent.

use bytes::BytesMut;
use js_sys::{Array, JSON};
use switchboard_mqtt::codec::{Decoder, Packet, Protocol};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

/// The fixture's HTTP URL, given at compile time. Missing → the test fails, loudly.
pub fn fixture_url() -> &'static str {
    match option_env!("SWITCHBOARD_TEST_FIXTURE_URL") {
        Some(url) if !url.is_empty() => url,
        _ => panic!(
            "SWITCHBOARD_TEST_FIXTURE_URL is not set: build the tests with the URL of \
             scripts/test-harness/fixture.py, e.g. SWITCHBOARD_TEST_FIXTURE_URL=\
             http://127.0.0.1:24100 (./scripts/test does this)"
        ),
    }
}

/// The WebSocket URL of the fixture's restartable mosquitto, given at compile time.
pub fn restart_ws_url() -> &'static str {
    match option_env!("SWITCHBOARD_TEST_RESTART_WS_URL") {
        Some(url) if !url.is_empty() => url,
        _ => panic!(
            "SWITCHBOARD_TEST_RESTART_WS_URL is not set: build the tests with the WebSocket \
             URL of the broker scripts/test-harness/fixture.py runs, e.g. \
             SWITCHBOARD_TEST_RESTART_WS_URL=ws://127.0.0.1:24102 (./scripts/test does this)"
        ),
    }
}

/// The crafted server's URL for `scenario`; what clients send there is logged under `name`.
pub fn crafted_url(scenario: &str, name: &str) -> String {
    let base = fixture_url().replacen("http://", "ws://", 1);
    format!("{base}/ws/{scenario}/{name}")
}

async fn request(method: &str, path: &str) -> (u16, String) {
    let init = RequestInit::new();
    init.set_method(method);
    let url = format!("{}{path}", fixture_url());
    let window = web_sys::window().unwrap();
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e:?}"))
        .dyn_into()
        .unwrap();
    let text = JsFuture::from(response.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap_or_default();
    (response.status(), text)
}

/// Stops the restartable broker; returns once it has exited (its sessions saved).
pub async fn stop_broker() {
    let (status, text) = request("POST", "/broker/stop").await;
    assert_eq!(status, 200, "stopping the broker: {text}");
}

/// Starts the restartable broker again; returns once it accepts connections.
pub async fn start_broker() {
    let (status, text) = request("POST", "/broker/start").await;
    assert_eq!(status, 200, "starting the broker: {text}");
}

/// The packets clients sent to the crafted server under `name`: one list per connection.
pub async fn sent_packets(name: &str) -> Vec<Vec<Vec<u8>>> {
    let (status, text) = request("GET", &format!("/log/{name}")).await;
    assert_eq!(status, 200, "reading the log of {name}: {text}");
    let connections: Array = JSON::parse(&text).unwrap().dyn_into().unwrap();
    connections
        .iter()
        .map(|c| {
            Array::from(&c)
                .iter()
                .map(|hex| from_hex(&hex.as_string().unwrap()))
                .collect()
        })
        .collect()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Decodes one whole packet a client sent.
pub fn decode(bytes: &[u8], protocol: Protocol) -> Packet {
    let mut buf = BytesMut::from(bytes);
    match Decoder::new(protocol).decode(&mut buf) {
        Ok(Some(packet)) => packet,
        other => panic!("the client sent {bytes:02x?}, which does not decode: {other:?}"),
    }
}
