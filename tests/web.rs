//! Browser tests, run in headless Chromium by wasm-bindgen-test-runner:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p switchboard
//! ```
//!
//! The first ones decode packets with the codec compiled to wasm; the rest mount the packet
//! inspector, type into it the way a person does (set the value, fire `input`) and read the DOM.
#![cfg(target_arch = "wasm32")]
// Tests may unwrap, index and panic: a panic is a test failure. Test items need no docs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use bytes::BytesMut;
use leptos::mount::mount_to;
use switchboard::components::inspector::Inspector;
use switchboard::inspect::hex::parse_input;
use switchboard::inspect::model::{inspect, Stop};
use switchboard_mqtt::codec::{
    DecodeError, Decoder, Packet, PacketType, Property, Protocol, QoS, ReasonCode,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlElement, HtmlSelectElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

fn hex(s: &str) -> Vec<u8> {
    parse_input(s).unwrap().bytes
}

/// A 5.0 PUBLISH, QoS 1, id 7, to `chat/lobby`, with nine properties and a JSON payload.
const V5_PUBLISH: &str =
    "32 81 01 00 0a 63 68 61 74 2f 6c 6f 62 62 79 00 07 54 01 01 02 00 00 01 2c
23 00 03 03 00 10 61 70 70 6c 69 63 61 74 69 6f 6e 2f 6a 73 6f 6e 08 00 12 63 68 61 74 2f 6c 6f
62 62 79 2f 72 65 70 6c 69 65 73 09 00 04 ca fe 00 01 26 00 06 73 65 6e 64 65 72 00 03 61 6e 61
26 00 04 6c 61 6e 67 00 02 65 6e 0b 2a 7b 22 66 72 6f 6d 22 3a 22 61 6e 61 22 2c 22 74 65 78 74
22 3a 22 68 69 20 61 6c 6c 22 7d";

// ------------------------------------------------------------------------------------------
// The codec, compiled to wasm.

#[wasm_bindgen_test]
fn wasm_codec_decodes_a_v311_publish_and_subscribe() {
    // PUBLISH QoS 1, retained, id 10, "devices/7/status" = {"online":true}
    let bytes = hex("33230010646576696365732f372f737461747573000a7b226f6e6c696e65223a747275657d");
    let Packet::Publish(p) = Packet::decode(&bytes, Protocol::V3_1_1).unwrap() else {
        panic!("not a PUBLISH")
    };
    assert_eq!(p.topic.as_str(), "devices/7/status");
    assert_eq!((p.qos, p.retain, p.dup), (QoS::AtLeastOnce, true, false));
    assert_eq!(p.packet_id.map(|id| id.get()), Some(10));
    assert_eq!(&p.payload[..], br#"{"online":true}"#);

    let bytes = hex("821e0001000e73656e736f72732f2b2f74656d70010008616c657274732f2302");
    let Packet::Subscribe(s) = Packet::decode(&bytes, Protocol::V3_1_1).unwrap() else {
        panic!("not a SUBSCRIBE")
    };
    let filters: Vec<_> = s
        .subscriptions
        .iter()
        .map(|x| (x.filter.as_str(), x.options.qos))
        .collect();
    assert_eq!(
        filters,
        [
            ("sensors/+/temp", QoS::AtLeastOnce),
            ("alerts/#", QoS::ExactlyOnce)
        ]
    );
}

#[wasm_bindgen_test]
fn wasm_codec_decodes_a_v5_publish_with_properties() {
    let bytes = hex(V5_PUBLISH);
    let Packet::Publish(p) = Packet::decode(&bytes, Protocol::V5).unwrap() else {
        panic!("not a PUBLISH")
    };
    assert_eq!(p.topic.as_str(), "chat/lobby");
    assert_eq!(p.packet_id.map(|id| id.get()), Some(7));
    let props = &p.properties;
    assert_eq!(props.len(), 9);
    assert_eq!(props.payload_is_utf8(), Some(true));
    assert_eq!(props.message_expiry_interval(), Some(300));
    assert_eq!(props.topic_alias(), Some(3));
    assert_eq!(
        props.content_type().map(|s| s.as_str()),
        Some("application/json")
    );
    assert_eq!(
        props.response_topic().map(|s| s.as_str()),
        Some("chat/lobby/replies")
    );
    assert_eq!(
        props.correlation_data().map(|b| &b[..]),
        Some(&[0xca, 0xfe, 0, 1][..])
    );
    let users: Vec<_> = props
        .user_properties()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(users, [("sender", "ana"), ("lang", "en")]);
    assert_eq!(props.subscription_identifiers().collect::<Vec<_>>(), [42]);
    assert!(props
        .iter()
        .any(|x| matches!(x, Property::SubscriptionIdentifier(42))));
    assert_eq!(&p.payload[..], br#"{"from":"ana","text":"hi all"}"#);
}

#[wasm_bindgen_test]
fn wasm_codec_refuses_malformed_packets_naming_the_rule() {
    // PUBLISH with both QoS bits set.
    let e = Packet::decode(&hex("36 05 00 01 61 00 01"), Protocol::V3_1_1).unwrap_err();
    assert_eq!(e, DecodeError::InvalidQoS);
    assert_eq!(e.rule(), "MQTT-3.3.1-4");
    assert!(e.to_string().ends_with("[MQTT-3.3.1-4]"), "{e}");

    // A wildcard in a topic name.
    let e = Packet::decode(&hex("300c000873656e736f722f2b6869"), Protocol::V3_1_1).unwrap_err();
    assert_eq!(e, DecodeError::WildcardInTopicName);
    assert_eq!(e.rule(), "MQTT-3.3.2-2");

    // SUBSCRIBE with reserved flags 0000 instead of 0010.
    let e = Packet::decode(&hex("8006000100016100"), Protocol::V3_1_1).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::InvalidHeaderFlags {
            packet: PacketType::Subscribe,
            flags: 0
        }
    ));
    assert_eq!(e.rule(), "MQTT-2.1.3-1");

    // A 5-byte Remaining Length.
    let e = Packet::decode(&hex("30ffffffff01"), Protocol::V3_1_1).unwrap_err();
    assert_eq!(e.rule(), "MQTT-1.5.5-1");
    assert_eq!(e.reason_code(), ReasonCode::MALFORMED_PACKET);
}

#[wasm_bindgen_test]
fn wasm_streaming_decoder_reassembles_packets_fed_byte_by_byte() {
    // CONNACK, PUBLISH, PINGRESP
    let stream = hex(
        "2002010033230010646576696365732f372f737461747573000a7b226f6e6c696e65223a747275657dd000",
    );
    let mut decoder = Decoder::new(Protocol::V3_1_1);
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for b in stream {
        buf.extend_from_slice(&[b]);
        while let Some(p) = decoder.decode(&mut buf).unwrap() {
            got.push(p.packet_type());
        }
    }
    assert_eq!(
        got,
        [
            PacketType::ConnAck,
            PacketType::Publish,
            PacketType::PingResp
        ]
    );
    assert!(buf.is_empty());
}

#[wasm_bindgen_test]
fn wasm_view_model_names_the_rule_and_offset() {
    let view = inspect(
        &hex("301a001473656e736f72732f6b69746368656e2f74656d7032312e35 8006000100016100 c000"),
        Protocol::V3_1_1,
    );
    assert_eq!(view.packets.len(), 1);
    let Stop::Error(e) = &view.stop else {
        panic!("{:?}", view.stop)
    };
    assert_eq!(
        (e.offset, e.rule, e.packet),
        (28, "MQTT-2.1.3-1", Some("SUBSCRIBE"))
    );
}

// ------------------------------------------------------------------------------------------
// The inspector, mounted in the page.

/// A fresh element in the page to mount into.
fn container() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.dyn_into().unwrap()
}

fn by_testid(root: &Element, id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
}

fn text_of(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .text_content()
        .unwrap_or_default()
}

fn fire(target: &Element, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// Lets the reactive system run the effects that the last event scheduled.
async fn settle() {
    for _ in 0..3 {
        leptos::task::tick().await;
    }
}

/// Types `text` into the hex input the way the browser reports typing.
async fn type_hex(root: &Element, text: &str) {
    let input: HtmlTextAreaElement = by_testid(root, "hex-input").unwrap().dyn_into().unwrap();
    input.set_value(text);
    fire(&input, "input");
    settle().await;
}

async fn choose(root: &Element, testid: &str, value: &str) {
    let select: HtmlSelectElement = by_testid(root, testid).unwrap().dyn_into().unwrap();
    select.set_value(value);
    fire(&select, "change");
    settle().await;
}

#[wasm_bindgen_test]
async fn inspector_opens_with_labelled_controls_and_a_sample() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    for id in [
        "hex-input",
        "version-select",
        "sample-select",
        "packet-list",
    ] {
        assert!(by_testid(&root, id).is_some(), "no {id}");
    }
    for id in ["hex-input", "version-select", "sample-select"] {
        let label = root
            .query_selector(&format!("label[for=\"{id}\"]"))
            .unwrap();
        assert!(label.is_some(), "no label for {id}");
    }
    let list = by_testid(&root, "packet-list").unwrap();
    assert_eq!(
        list.query_selector_all("[data-testid=packet-card]")
            .unwrap()
            .length(),
        1
    );
    assert!(by_testid(&root, "error-box").is_none());
}

#[wasm_bindgen_test]
async fn inspector_decodes_a_v5_publish_as_you_type() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    choose(&root, "version-select", "5.0").await;
    type_hex(&root, V5_PUBLISH).await;

    let list = by_testid(&root, "packet-list").unwrap();
    let card = list
        .query_selector("[data-testid=packet-card]")
        .unwrap()
        .unwrap();
    assert_eq!(
        card.get_attribute("data-packet").as_deref(),
        Some("PUBLISH")
    );
    assert_eq!(text_of(&card, "[data-field=topic] .f-value"), "chat/lobby");
    assert_eq!(text_of(&card, "[data-field=packet_id] .f-value"), "7");
    assert_eq!(text_of(&card, "[data-field=topic_alias] .f-value"), "3");
    assert_eq!(
        text_of(&card, "[data-field=content_type] .f-value"),
        "application/json"
    );
    let corr = text_of(&card, "[data-field=correlation_data] .f-value");
    assert!(corr.contains("ca fe 00 01"), "{corr}");
    let users = card
        .query_selector_all("[data-field=user_property]")
        .unwrap();
    assert_eq!(users.length(), 2);
    let payload = text_of(&card, "[data-field=payload] .v-text-body");
    assert_eq!(payload, r#"{"from":"ana","text":"hi all"}"#);
    let all = card.text_content().unwrap();
    for want in [
        "Message Expiry Interval",
        "Payload Format Indicator",
        "0x26",
        "sender",
        "ana",
    ] {
        assert!(all.contains(want), "no {want:?} in {all}");
    }
    // The hex dump marks the fixed header (3 bytes: 32 81 01).
    assert_eq!(text_of(&card, ".hexdump .d-fh"), "32 81 01");
    assert!(by_testid(&root, "error-box").is_none());
}

#[wasm_bindgen_test]
async fn inspector_shows_the_rule_a_packet_breaks() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    choose(&root, "version-select", "3.1.1").await;
    // A good PINGREQ, then a PUBLISH with QoS 3.
    type_hex(&root, "c0 00\n0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01").await;

    let list = by_testid(&root, "packet-list").unwrap();
    assert_eq!(
        list.query_selector_all("[data-testid=packet-card]")
            .unwrap()
            .length(),
        1
    );
    let error = by_testid(&root, "error-box").expect("an error box");
    assert_eq!(
        text_of(&error, "[data-testid=error-rule]"),
        DecodeError::InvalidQoS.rule()
    );
    let message = text_of(&error, "[data-testid=error-message]");
    assert!(message.contains("QoS 3"), "{message}");
    assert!(!message.contains('['), "the rule is shown apart: {message}");
    assert!(text_of(&error, "[data-testid=error-offset]").contains("byte 2"));
    assert!(error.text_content().unwrap().contains("PUBLISH"));
    let summary = text_of(&root, "[data-testid=summary]");
    assert!(summary.contains("Malformed at byte 2"), "{summary}");
}

#[wasm_bindgen_test]
async fn inspector_reports_missing_bytes_and_bad_hex() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    choose(&root, "version-select", "3.1.1").await;
    type_hex(&root, "33230010646576696365732f372f737461747573000a7b22").await;
    let left = by_testid(&root, "leftover").expect("a leftover box");
    let text = left.text_content().unwrap();
    assert!(text.contains("13 more bytes"), "{text}");
    assert!(text.contains("PUBLISH"), "{text}");

    type_hex(&root, "30 02 zz").await;
    let err = by_testid(&root, "input-error").expect("an input error");
    assert!(err.text_content().unwrap().contains("'z'"));
    assert!(by_testid(&root, "packet-list").is_none());
}

#[wasm_bindgen_test]
async fn the_version_select_changes_how_bytes_decode() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    type_hex(&root, "f0 00").await;
    choose(&root, "version-select", "3.1.1").await;
    assert!(by_testid(&root, "error-box").is_some(), "AUTH is not 3.1.1");
    choose(&root, "version-select", "5.0").await;
    assert!(by_testid(&root, "error-box").is_none());
    let card = by_testid(&root, "packet-card").unwrap();
    assert_eq!(card.get_attribute("data-packet").as_deref(), Some("AUTH"));
    assert!(card.text_content().unwrap().contains("Success"));
}

#[wasm_bindgen_test]
async fn picking_a_sample_fills_the_input_and_sets_the_version() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    choose(&root, "sample-select", "v311-stream").await;
    let input: HtmlTextAreaElement = by_testid(&root, "hex-input").unwrap().dyn_into().unwrap();
    assert!(
        input.value().starts_with("20 02 01 00 33 23"),
        "{}",
        input.value()
    );
    let version: HtmlSelectElement = by_testid(&root, "version-select")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(version.value(), "3.1.1");
    let cards = root
        .query_selector_all("[data-testid=packet-card]")
        .unwrap();
    let names: Vec<_> = (0..cards.length())
        .map(|i| {
            cards
                .item(i)
                .unwrap()
                .dyn_into::<Element>()
                .unwrap()
                .get_attribute("data-packet")
                .unwrap()
        })
        .collect();
    assert_eq!(names, ["CONNACK", "PUBLISH", "PINGRESP"]);

    // Editing the text turns the picker back to custom input.
    type_hex(&root, "c0 00").await;
    let sample: HtmlSelectElement = by_testid(&root, "sample-select")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(sample.value(), "");
}

#[wasm_bindgen_test]
async fn payloads_are_text_never_markup() {
    let root = container();
    let _app = mount_to(root.clone(), Inspector);
    settle().await;
    choose(&root, "version-select", "3.1.1").await;
    // PUBLISH to "x" whose payload is HTML: <b>hi</b><img src=x>
    let payload = b"<b>hi</b><img src=x>";
    let mut bytes = vec![0x30, (3 + payload.len()) as u8, 0x00, 0x01, b'x'];
    bytes.extend_from_slice(payload);
    let text: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    type_hex(&root, &text.join(" ")).await;

    let card = by_testid(&root, "packet-card").unwrap();
    assert!(card.query_selector("b").unwrap().is_none());
    assert!(card.query_selector("img").unwrap().is_none());
    assert_eq!(
        text_of(&card, "[data-field=payload] .v-text-body"),
        "<b>hi</b><img src=x>"
    );
}
