//! The JavaScript API (`connect`, `MqttClient`) as a page sees it: options from plain
//! objects, handlers as JS functions, Promises. Against the real broker, in headless Chromium.
//! Run as `tests/driver.rs` says.
#![cfg(target_arch = "wasm32")]
// Tests fail by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;

use common::*;
use js_sys::{Array, Function, Reflect, Uint8Array};
use switchboard_web::js::{js_connect, JsClient};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

async fn connect(url: &str, options: &str) -> Result<JsClient, JsValue> {
    let v = JsFuture::from(js_connect(url.to_string(), Some(obj(options)))).await?;
    // The promise resolves with the exported class; take it back by pointer like JS would.
    Ok(JsClient::try_from_js_value(v).unwrap())
}

async fn rejection(p: js_sys::Promise) -> js_sys::Error {
    match JsFuture::from(p).await {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e.dyn_into::<js_sys::Error>().unwrap(),
    }
}

#[wasm_bindgen_test]
async fn js_connect_subscribe_publish_receive_v5_and_v311() {
    for version in [4, 5] {
        let id = unique("js");
        let options =
            format!(r#"{{"clientId":"{id}","protocolVersion":{version},"persist":false}}"#);
        let client = connect(ws_url(), &options).await.unwrap();
        assert!(client.connected());
        // message handler: (topic, payload, packet) pushed into an array.
        let received = Array::new();
        let handler = Function::new_with_args(
            "topic, payload, packet",
            "this.push([topic, payload, packet])",
        )
        .bind0(&received);
        client.on("message".into(), handler).unwrap();
        let filter = format!("sbw/{id}/+");
        let granted =
            JsFuture::from(client.subscribe(JsValue::from_str(&filter), Some(obj(r#"{"qos":2}"#))))
                .await
                .unwrap();
        let g = Array::from(&granted).get(0);
        assert_eq!(Reflect::get(&g, &"qos".into()).unwrap(), 2);
        assert_eq!(Reflect::get(&g, &"topic".into()).unwrap(), filter.as_str());
        for qos in 0..3 {
            let topic = format!("sbw/{id}/q{qos}");
            let payload = Uint8Array::from(&[qos as u8, 1, 2][..]);
            // Properties are 5.0 only (3.1.1 refuses them with an error).
            let opts = if version == 5 {
                format!(r#"{{"qos":{qos},"properties":{{"contentType":"x/y"}}}}"#)
            } else {
                format!(r#"{{"qos":{qos}}}"#)
            };
            JsFuture::from(client.publish(topic, payload.into(), Some(obj(&opts))))
                .await
                .unwrap();
        }
        // A string payload works too.
        JsFuture::from(client.publish(format!("sbw/{id}/text"), "hello".into(), None))
            .await
            .unwrap();
        for _ in 0..100 {
            if received.length() == 4 {
                break;
            }
            sleep(20).await;
        }
        assert_eq!(
            received.length(),
            4,
            "4 messages through the 'message' handler"
        );
        for qos in 0..3u32 {
            let m = Array::from(&received.get(qos));
            assert_eq!(m.get(0), format!("sbw/{id}/q{qos}").as_str());
            let payload: Uint8Array = m.get(1).dyn_into().unwrap();
            assert_eq!(payload.to_vec(), vec![qos as u8, 1, 2]);
            let packet = m.get(2);
            assert_eq!(Reflect::get(&packet, &"qos".into()).unwrap(), qos);
            if version == 5 {
                let props = Reflect::get(&packet, &"properties".into()).unwrap();
                assert_eq!(Reflect::get(&props, &"contentType".into()).unwrap(), "x/y");
            }
        }
        let text: Uint8Array = Array::from(&received.get(3)).get(1).dyn_into().unwrap();
        assert_eq!(text.to_vec(), b"hello");
        JsFuture::from(client.unsubscribe(JsValue::from_str(&filter)))
            .await
            .unwrap();
        JsFuture::from(client.end(None)).await.unwrap();
        assert!(!client.connected());
        let status = client.status();
        assert_eq!(Reflect::get(&status, &"state".into()).unwrap(), "closed");
    }
}

#[wasm_bindgen_test]
async fn js_bad_input_is_refused_with_clear_errors() {
    // Bad URL.
    let e = rejection(js_connect("http://nowhere".into(), None)).await;
    assert!(
        String::from(e.message()).contains("invalid broker URL"),
        "{:?}",
        e.message()
    );
    // Bad options.
    for (options, what) in [
        (r#"{"protocolVersion":6}"#, "protocolVersion"),
        (r#"{"keepalive":-1}"#, "keepalive"),
        (r#"{"clientId":7}"#, "clientId"),
        (r#"{"timerVariant":"fast"}"#, "timerVariant"),
    ] {
        let e = rejection(js_connect(ws_url().into(), Some(obj(options)))).await;
        assert!(
            String::from(e.message()).contains(what),
            "{options}: {:?}",
            e.message()
        );
        assert!(e.is_instance_of::<js_sys::TypeError>());
    }
    let id = unique("js-bad");
    let client = connect(
        ws_url(),
        &format!(r#"{{"clientId":"{id}","persist":false}}"#),
    )
    .await
    .unwrap();
    // Bad QoS, bad topic, bad filter, bad payload, bad event name.
    let e = rejection(client.publish("a".into(), "x".into(), Some(obj(r#"{"qos":3}"#)))).await;
    assert!(String::from(e.message()).contains("qos must be 0, 1 or 2"));
    let e = rejection(client.publish("a/#".into(), "x".into(), None)).await;
    assert!(
        String::from(e.message()).contains("invalid topic"),
        "{:?}",
        e.message()
    );
    let e = rejection(client.subscribe("a/#/b".into(), None)).await;
    assert!(
        String::from(e.message()).contains("invalid topic filter"),
        "{:?}",
        e.message()
    );
    let e = rejection(client.publish("a".into(), JsValue::from(5), None)).await;
    assert!(String::from(e.message()).contains("payload must be"));
    assert!(client
        .on("nonsense".into(), Function::new_no_args(""))
        .is_err());
    JsFuture::from(client.end(None)).await.unwrap();
}

#[wasm_bindgen_test]
async fn js_unreachable_broker_rejects_connect() {
    let e = rejection(js_connect(
        closed_url(),
        Some(obj(r#"{"persist":false,"reconnectPeriod":0}"#)),
    ))
    .await;
    assert!(
        String::from(e.message()).contains("cannot connect"),
        "{:?}",
        e.message()
    );
}

#[wasm_bindgen_test]
async fn js_enhanced_authentication_with_handle_auth() {
    use common::fixture::crafted_url;
    let id = unique("js-auth");
    let options = obj(&format!(
        r#"{{"clientId":"{id}","protocolVersion":5,"persist":false,"reconnectPeriod":0,
            "authenticationMethod":"switchboard-test","authenticationData":"client-first"}}"#
    ));
    // The first answer is returned at once, the second through a promise; the handler also
    // records what it was asked.
    let asked = Array::new();
    let handler = Function::new_with_args(
        "method, data",
        "const text = new TextDecoder().decode(data);
         this.push(method + ' ' + text);
         return text === 'challenge-1' ? 'answer-1'
           : Promise.resolve(new TextEncoder().encode('answer-2'));",
    )
    .bind0(&asked);
    Reflect::set(&options, &"handleAuth".into(), &handler).unwrap();
    let v = JsFuture::from(js_connect(crafted_url("auth", &id), Some(options)))
        .await
        .unwrap();
    let client = JsClient::try_from_js_value(v).unwrap();
    assert!(client.connected());
    assert_eq!(
        asked.to_vec(),
        vec![
            JsValue::from_str("switchboard-test challenge-1"),
            JsValue::from_str("switchboard-test challenge-2")
        ]
    );
    JsFuture::from(client.end(None)).await.unwrap();

    // A handler that throws ends the attempt with its message.
    let options = obj(&format!(
        r#"{{"clientId":"{id}-x","protocolVersion":5,"persist":false,"reconnectPeriod":0,
            "authenticationMethod":"switchboard-test","authenticationData":"client-first"}}"#
    ));
    let throwing = Function::new_with_args("method, data", "throw new Error('no token today')");
    Reflect::set(&options, &"handleAuth".into(), &throwing).unwrap();
    let e = rejection(js_connect(
        crafted_url("auth", &format!("{id}-x")),
        Some(options),
    ))
    .await;
    assert!(
        String::from(e.message()).contains("no token today"),
        "{:?}",
        e.message()
    );
}
