//! The JavaScript/TypeScript API (feature `js`), shaped like MQTT.js:
//!
//! ```js
//! import init, { connect } from './switchboard_web.js';
//! await init();
//! const client = await connect('ws://127.0.0.1:9001', { clientId: 'demo', protocolVersion: 5 });
//! client.on('message', (topic, payload, packet) => console.log(topic, payload));
//! await client.subscribe('devices/+/status', { qos: 1 });
//! await client.publish('devices/d1/cmd', '{"led":"on"}', { qos: 1 });
//! await client.end();
//! ```
//!
//! Options are read from a plain object; a value of the wrong type or out of range is a
//! `TypeError` naming the option. Errors from the client are `Error`s with a `code` property
//! when an MQTT reason code is involved.

use crate::client::{Client, ListenerId};
use crate::config::{AttemptHook, AuthChallenge, AuthHandler, Config, Override, TimerPreference};
use crate::error::Error;
use crate::pending::Slot;
use crate::socket::js_message;
use crate::status::{LastError, Notice, State, Status};
use bytes::Bytes;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use switchboard_mqtt::codec::{
    ByteStr, Properties, Property, Protocol, Publish, QoS, ReasonCode, RetainHandling,
    Subscription, SubscriptionOptions, Will,
};
use switchboard_mqtt::session::Options;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** User Properties as an object of strings (a repeated key: an array of strings). */
export type UserProperties = Record<string, string | string[]>;
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
}
export interface ConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
}
export interface WillOptions {
  topic: string;
  payload?: string | Uint8Array;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  properties?: PublishProperties & { willDelayInterval?: number };
}
export interface ConnectOptions {
  /** Client identifier; default a random `switchboard_xxxxxxxx`. */
  clientId?: string;
  /** 3 (MQTT 3.1), 4 (3.1.1, the default) or 5. */
  protocolVersion?: 3 | 4 | 5;
  /** Keep Alive in seconds (default 60; 0 turns it off). */
  keepalive?: number;
  /** Clean Start / Clean Session (default true). */
  clean?: boolean;
  username?: string;
  password?: string | Uint8Array;
  will?: WillOptions;
  /** Base of the reconnect backoff in ms (default 1000); 0 turns reconnection off. */
  reconnectPeriod?: number;
  /** Cap of the reconnect backoff in ms (default 30000). */
  reconnectMaxPeriod?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxReconnectAttempts?: number;
  /** How long to wait for CONNACK, in ms (default 30000). */
  connectTimeout?: number;
  /** More broker URLs, tried in turn after the first. */
  servers?: string[];
  /** Keep the session in IndexedDB (default true). */
  persist?: boolean;
  /** Where timers run: 'worker' (default; not throttled in hidden tabs) or 'native'. */
  timerVariant?: 'worker' | 'native';
  /** Hold writes while WebSocket.bufferedAmount is above this many bytes (default 1 MiB). */
  bufferedAmountHighWater?: number;
  /** How many messages may wait for a connection (default 10000). When the queue is full of
   * QoS 1/2 messages, `publish` waits for room (its promise settles later, in call order)
   * instead of failing; the oldest queued QoS 0 message is dropped first to make room. */
  queueLimit?: number;
  /** How many QoS 1/2 messages may await acknowledgement at once on an MQTT 3.x connection
   *  (default 65535: no limit but the packet identifiers, as in MQTT.js; 5.0 uses the
   *  server's Receive Maximum). */
  maxInflight?: number;
  /** How many of those may be QoS 2 (default 20: mosquitto silently drops a 3.x client's
   *  QoS 2 messages beyond its `max_inflight_messages`, 20 by default). */
  maxInflightQos2?: number;
  /** Called before each attempt; may return another URL or fresh credentials. */
  beforeConnect?: (attempt: number, url: string) =>
    | Promise<{ url?: string; username?: string; password?: string | Uint8Array } | undefined | null>
    | { url?: string; username?: string; password?: string | Uint8Array } | undefined | null;
  properties?: ConnectProperties;
  /** MQTT 5.0 enhanced authentication: the Authentication Method (same as
   * `properties.authenticationMethod`). */
  authenticationMethod?: string;
  /** The first step's Authentication Data (same as `properties.authenticationData`). */
  authenticationData?: string | Uint8Array;
  /** Answers each challenge of the exchange (AUTH, Continue authentication) with the data of
   * the client's next step; throwing or rejecting ends the attempt with that error. */
  handleAuth?: (method: string, data: Uint8Array | undefined) =>
    | Promise<string | Uint8Array | ArrayBuffer | undefined | null>
    | string | Uint8Array | ArrayBuffer | undefined | null;
}
export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  properties?: PublishProperties;
}
export interface SubscribeOptions {
  qos?: 0 | 1 | 2;
  /** No Local (5.0). */
  nl?: boolean;
  /** Retain As Published (5.0). */
  rap?: boolean;
  /** Retain Handling (5.0). */
  rh?: 0 | 1 | 2;
  properties?: { subscriptionIdentifier?: number; userProperties?: UserProperties };
}
/** One entry per filter: the granted QoS, or 128 (or a 5.0 failure code) when refused. */
export interface Granted { topic: string; qos: number }
export interface PublishPacket {
  cmd: 'publish';
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  properties?: PublishProperties & { subscriptionIdentifier?: number[] };
}
export interface ClientStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed';
  attempt?: number;
  /** ms until the next attempt, when reconnecting. */
  nextIn?: number;
  url: string;
  lastError?: { message: string; code?: number };
}
export type ClientEvent = 'connect' | 'message' | 'reconnect' | 'close' | 'offline' | 'error' | 'status';
"#;

/// The handlers, kept on the JS side (`events.js`): a message is one call out of wasm.
#[wasm_bindgen(module = "/src/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = emitter)]
    fn new_emitter() -> JsValue;
    #[wasm_bindgen(js_name = on)]
    fn emitter_on(em: &JsValue, event: &str, handler: &Function);
    #[wasm_bindgen(js_name = off)]
    fn emitter_off(em: &JsValue, event: &str, handler: &Function);
    fn emit(em: &JsValue, event: &str, n: u32, a: &JsValue, b: &JsValue);
    #[wasm_bindgen(js_name = emitMessage)]
    fn emit_message(
        em: &JsValue,
        topic: &JsValue,
        payload: &[u8],
        qos: u8,
        flags: u8,
        id: u16,
        properties: &JsValue,
    );
}

const EVENTS: [&str; 7] = [
    "connect",
    "message",
    "reconnect",
    "close",
    "offline",
    "error",
    "status",
];

/// An MQTT client (the JS face of [`Client`]).
#[wasm_bindgen(js_name = MqttClient)]
pub struct JsClient {
    client: Client,
    handlers: JsValue,
    listener: ListenerId,
}

/// Connects to `url` and resolves once the broker accepted the connection; rejects if the
/// first attempt fails. Later losses are retried with backoff.
#[wasm_bindgen(
    js_name = connect,
    unchecked_return_type = "Promise<MqttClient>"
)]
pub fn js_connect(
    url: String,
    #[wasm_bindgen(unchecked_param_type = "ConnectOptions")] options: Option<JsValue>,
) -> js_sys::Promise {
    let config = parse_config(url, &options.unwrap_or(JsValue::UNDEFINED));
    future_to_promise(async move {
        let client = Client::connect(config?).await.map_err(to_js)?;
        Ok(JsClient::wrap(client).into())
    })
}

/// Starts a client and resolves at once, like MQTT.js's `connect`: it connects in the
/// background, and what is published meanwhile waits in the queue.
#[wasm_bindgen(
    js_name = createClient,
    unchecked_return_type = "Promise<MqttClient>"
)]
pub fn js_create_client(
    url: String,
    #[wasm_bindgen(unchecked_param_type = "ConnectOptions")] options: Option<JsValue>,
) -> js_sys::Promise {
    let config = parse_config(url, &options.unwrap_or(JsValue::UNDEFINED));
    future_to_promise(async move {
        let client = Client::start(config?).await.map_err(to_js)?;
        Ok(JsClient::wrap(client).into())
    })
}

#[wasm_bindgen(js_class = MqttClient)]
impl JsClient {
    fn wrap(client: Client) -> JsClient {
        let handlers = new_emitter();
        let h = handlers.clone();
        let topics = RefCell::new(TopicStrings::default());
        let listener = client.on_notice(move |n| dispatch(&h, &topics, n));
        JsClient {
            client,
            handlers,
            listener,
        }
    }

    /// Adds `handler` for `event`: `connect` (connack), `message` (topic, payload, packet),
    /// `reconnect` (attempt, delayMs), `close` (error?), `offline`, `error` (Error), `status`.
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClientEvent")] event: String,
        #[wasm_bindgen(unchecked_param_type = "(...args: any[]) => void")] handler: Function,
    ) -> Result<(), JsValue> {
        if !EVENTS.contains(&event.as_str()) {
            return Err(type_error(&[
                "unknown event '",
                &event,
                "' (one of connect, message, reconnect, close, offline, error, status)",
            ]));
        }
        emitter_on(&self.handlers, &event, &handler);
        Ok(())
    }

    /// Removes `handler` from `event`.
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ClientEvent")] event: String,
        #[wasm_bindgen(unchecked_param_type = "(...args: any[]) => void")] handler: Function,
    ) {
        emitter_off(&self.handlers, &event, &handler);
    }

    /// Subscribes to a filter, a list of filters, or an object `{ filter: { qos } }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Granted[]>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "string | string[] | Record<string, SubscribeOptions>"
        )]
        filters: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SubscribeOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let (subs, props) =
            match parse_subscriptions(&filters, &options.unwrap_or(JsValue::UNDEFINED)) {
                Ok(parsed) => parsed,
                Err(e) => return js_sys::Promise::reject(&e),
            };
        let names: Vec<String> = subs.iter().map(|s| s.filter.to_string()).collect();
        let mut command = Some((subs, props, names));
        js_sys::Promise::new(&mut |resolve, reject| {
            if let Some((subs, props, names)) = command.take() {
                let slot = settle(resolve, reject, move |codes: Vec<ReasonCode>| {
                    let out = Array::new();
                    for (topic, code) in names.iter().zip(codes) {
                        let g = Object::new();
                        set(&g, "topic", &JsValue::from_str(topic));
                        set(&g, "qos", &JsValue::from(code.get()));
                        out.push(&g);
                    }
                    out.into()
                });
                self.client.subscribe_then(subs, props, slot);
            }
        })
    }

    /// Publishes; resolves when the QoS flow completes (at once for QoS 0).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn publish(
        &self,
        topic: String,
        #[wasm_bindgen(
            unchecked_param_type = "string | Uint8Array | ArrayBuffer | null | undefined"
        )]
        payload: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PublishOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let mut publish =
            match parse_publish(topic, &payload, &options.unwrap_or(JsValue::UNDEFINED)) {
                Ok(p) => Some(p),
                Err(e) => return js_sys::Promise::reject(&e),
            };
        js_sys::Promise::new(&mut |resolve, reject| {
            if let Some(p) = publish.take() {
                let slot = settle(resolve, reject, |_| JsValue::UNDEFINED);
                self.client.publish_then(p, slot);
            }
        })
    }

    /// Unsubscribes from a filter or a list of filters; resolves with the reason codes (5.0).
    #[wasm_bindgen(unchecked_return_type = "Promise<number[]>")]
    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[]")] filters: JsValue,
    ) -> js_sys::Promise {
        let filters = match string_list(&filters, "filters") {
            Ok(f) => f,
            Err(e) => return js_sys::Promise::reject(&e),
        };
        let mut filters = Some(filters.into_iter().map(ByteStr::from).collect());
        js_sys::Promise::new(&mut |resolve, reject| {
            if let Some(filters) = filters.take() {
                let slot = settle(resolve, reject, |codes: Vec<ReasonCode>| {
                    let out: Array = codes.iter().map(|c| JsValue::from(c.get())).collect();
                    out.into()
                });
                self.client.unsubscribe_then(filters, slot);
            }
        })
    }

    /// Disconnects (DISCONNECT, then close) and stops reconnecting; `force` closes without
    /// DISCONNECT, as a crash would (the broker publishes the Will).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn end(&self, force: Option<bool>) -> js_sys::Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            if force == Some(true) {
                client.abort();
                let _ = client.persisted().await;
            } else {
                client.disconnect().await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Whether the client is connected.
    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.client.is_connected()
    }

    /// The connection status.
    #[wasm_bindgen(unchecked_return_type = "ClientStatus")]
    pub fn status(&self) -> JsValue {
        status_to_js(&self.client.status())
    }

    /// Where timers run (`worker` or `native`) and how often they fired.
    #[wasm_bindgen(
        js_name = timerStats,
        unchecked_return_type = "{ backend: 'worker' | 'native'; workerFired: number; mainFired: number; pingsFromWorker: number }"
    )]
    pub fn timer_stats(&self) -> JsValue {
        let o = Object::new();
        if let Some(s) = self.client.timer_stats() {
            let backend = match s.backend {
                crate::timers::TimerBackend::Worker => "worker",
                crate::timers::TimerBackend::MainThread => "native",
            };
            set(&o, "backend", &JsValue::from_str(backend));
            set(&o, "workerFired", &JsValue::from(s.worker_fired));
            set(&o, "mainFired", &JsValue::from(s.main_fired));
            set(&o, "pingsFromWorker", &JsValue::from(s.pings_from_worker));
        }
        o.into()
    }
}

impl Drop for JsClient {
    fn drop(&mut self) {
        self.client.remove_listener(self.listener);
    }
}

// --- events -------------------------------------------------------------------------------

/// The JS strings of recently seen topics, so that a topic becomes a JS string once rather
/// than once per message: turning UTF-8 into a JS string (`TextDecoder`) cost more than the
/// rest of delivering a small message (2.6 µs of ~16, CDP profile of `bench-browser`).
/// Replaced round-robin; a miss costs a few comparisons of short strings.
#[derive(Default)]
struct TopicStrings {
    entries: Vec<(ByteStr, JsValue)>,
    next: usize,
}

impl TopicStrings {
    const CAPACITY: usize = 16;

    /// The JS string of `topic` (`None` cannot happen: the entry was just made).
    fn get(&mut self, topic: &ByteStr) -> Option<&JsValue> {
        let i = match self.entries.iter().position(|(t, _)| t == topic) {
            Some(i) => i,
            None => {
                let entry = (topic.clone(), JsValue::from_str(topic));
                if self.entries.len() < Self::CAPACITY {
                    self.entries.push(entry);
                    self.entries.len() - 1
                } else {
                    let i = self.next % Self::CAPACITY;
                    self.next = i + 1;
                    if let Some(slot) = self.entries.get_mut(i) {
                        *slot = entry;
                    }
                    i
                }
            }
        };
        self.entries.get(i).map(|(_, js)| js)
    }
}

fn dispatch(em: &JsValue, topics: &RefCell<TopicStrings>, notice: &Notice) {
    let u = JsValue::UNDEFINED;
    match notice {
        Notice::Connected {
            session_present,
            properties,
        } => {
            let ack = Object::new();
            set(&ack, "cmd", &JsValue::from_str("connack"));
            set(&ack, "sessionPresent", &JsValue::from(*session_present));
            if !properties.is_empty() {
                set(&ack, "properties", &properties_to_js(properties));
            }
            emit(em, "connect", 1, &ack, &u);
        }
        Notice::Message(m) => {
            let p = &m.publish;
            let properties = if p.properties.is_empty() {
                JsValue::UNDEFINED
            } else {
                properties_to_js(&p.properties)
            };
            let emit = |topic: &JsValue| {
                emit_message(
                    em,
                    topic,
                    &p.payload,
                    p.qos as u8,
                    u8::from(p.retain) | u8::from(p.dup) << 1,
                    p.packet_id.map_or(0, |id| id.get()),
                    &properties,
                );
            };
            // Busy: a handler's command delivered this message while another was being
            // delivered, holding the cache.
            let mut cache = topics.try_borrow_mut();
            match cache.as_mut().ok().and_then(|c| c.get(&p.topic)) {
                Some(topic) => emit(topic),
                None => emit(&JsValue::from_str(&p.topic)),
            }
        }
        Notice::Reconnecting { attempt, delay } => emit(
            em,
            "reconnect",
            2,
            &JsValue::from(*attempt),
            &JsValue::from(delay.as_secs_f64() * 1000.0),
        ),
        Notice::Closed { error } => emit(
            em,
            "close",
            1,
            &error.as_ref().map_or(JsValue::UNDEFINED, last_error_to_js),
            &u,
        ),
        Notice::Offline => emit(em, "offline", 0, &u, &u),
        Notice::Error(e) => emit(em, "error", 1, &last_error_to_js(e), &u),
        Notice::Status(s) => emit(em, "status", 1, &status_to_js(s), &u),
    }
}

fn properties_to_js(props: &Properties) -> JsValue {
    let o = Object::new();
    let user = Object::new();
    let mut has_user = false;
    let ids = Array::new();
    for p in props.iter() {
        match p {
            Property::PayloadFormatIndicator(v) => {
                set(&o, "payloadFormatIndicator", &JsValue::from(*v == 1))
            }
            Property::MessageExpiryInterval(v) => {
                set(&o, "messageExpiryInterval", &JsValue::from(*v))
            }
            Property::ContentType(v) => set(&o, "contentType", &JsValue::from_str(v)),
            Property::ResponseTopic(v) => set(&o, "responseTopic", &JsValue::from_str(v)),
            Property::CorrelationData(v) => {
                set(&o, "correlationData", &Uint8Array::from(&v[..]).into())
            }
            Property::SubscriptionIdentifier(v) => {
                ids.push(&JsValue::from(*v));
            }
            Property::UserProperty(k, v) => {
                has_user = true;
                let key = JsValue::from_str(k);
                let value = JsValue::from_str(v);
                match Reflect::get(&user, &key) {
                    Ok(old) if old.is_string() => {
                        let _ = Reflect::set(&user, &key, &Array::of2(&old, &value));
                    }
                    Ok(old) if Array::is_array(&old) => {
                        Array::from(&old).push(&value);
                    }
                    _ => {
                        let _ = Reflect::set(&user, &key, &value);
                    }
                }
            }
            Property::AssignedClientIdentifier(v) => {
                set(&o, "assignedClientIdentifier", &JsValue::from_str(v))
            }
            Property::ServerKeepAlive(v) => set(&o, "serverKeepAlive", &JsValue::from(*v)),
            Property::ReasonString(v) => set(&o, "reasonString", &JsValue::from_str(v)),
            Property::ServerReference(v) => set(&o, "serverReference", &JsValue::from_str(v)),
            Property::ResponseInformation(v) => {
                set(&o, "responseInformation", &JsValue::from_str(v))
            }
            Property::ReceiveMaximum(v) => set(&o, "receiveMaximum", &JsValue::from(*v)),
            Property::TopicAliasMaximum(v) => set(&o, "topicAliasMaximum", &JsValue::from(*v)),
            Property::MaximumQoS(v) => set(&o, "maximumQoS", &JsValue::from(*v)),
            Property::RetainAvailable(v) => set(&o, "retainAvailable", &JsValue::from(*v == 1)),
            Property::MaximumPacketSize(v) => set(&o, "maximumPacketSize", &JsValue::from(*v)),
            Property::SessionExpiryInterval(v) => {
                set(&o, "sessionExpiryInterval", &JsValue::from(*v))
            }
            _ => {}
        }
    }
    if has_user {
        set(&o, "userProperties", &user.into());
    }
    if ids.length() > 0 {
        set(&o, "subscriptionIdentifier", &ids.into());
    }
    o.into()
}

fn status_to_js(s: &Status) -> JsValue {
    let o = Object::new();
    let state = match s.state {
        State::Connecting { attempt } => {
            set(&o, "attempt", &JsValue::from(attempt));
            "connecting"
        }
        State::Connected => "connected",
        State::Reconnecting { attempt, next_in } => {
            set(&o, "attempt", &JsValue::from(attempt));
            set(&o, "nextIn", &JsValue::from(next_in.as_secs_f64() * 1000.0));
            "reconnecting"
        }
        State::Offline => "offline",
        State::Closed => "closed",
    };
    set(&o, "state", &JsValue::from_str(state));
    set(&o, "url", &JsValue::from_str(&s.url));
    if let Some(e) = &s.last_error {
        let le = Object::new();
        set(&le, "message", &JsValue::from_str(&e.message));
        if let Some(c) = e.code {
            set(&le, "code", &JsValue::from(c));
        }
        set(&o, "lastError", &le.into());
    }
    o.into()
}

fn last_error_to_js(e: &LastError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    if let Some(c) = e.code {
        set(&err, "code", &JsValue::from(c));
    }
    err.into()
}

/// A slot that settles a Promise: `resolve(value(ok))`, or `reject` with the error.
fn settle<T: 'static>(
    resolve: Function,
    reject: Function,
    value: impl FnOnce(T) -> JsValue + 'static,
) -> Slot<Result<T, Error>> {
    Slot::callback(move |result| {
        let _ = match result {
            Ok(v) => resolve.call1(&JsValue::UNDEFINED, &value(v)),
            Err(e) => reject.call1(&JsValue::UNDEFINED, &to_js(e)),
        };
    })
}

fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    if let Some(c) = e.reason_code() {
        set(&err, "code", &JsValue::from(c));
    }
    err.into()
}

// --- options --------------------------------------------------------------------------------

fn set(o: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

/// A `TypeError` whose message is `parts` joined (no `format!`: core::fmt stays out of the
/// bundle's own code).
fn type_error(parts: &[&str]) -> JsValue {
    let mut message = String::new();
    for p in parts {
        message.push_str(p);
    }
    js_sys::TypeError::new(&message).into()
}

/// `n` in decimal.
fn decimal(mut n: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// `obj[key]`, or `None` when missing, `undefined` or `null`.
fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() && !obj.is_function() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_str(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    get(obj, key)
        .map(|v| {
            v.as_string()
                .ok_or_else(|| type_error(&[key, " must be a string"]))
        })
        .transpose()
}

fn get_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, JsValue> {
    get(obj, key)
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| type_error(&[key, " must be a boolean"]))
        })
        .transpose()
}

/// An integer option in `[0, max]`.
fn get_uint(obj: &JsValue, key: &str, max: u32) -> Result<Option<u32>, JsValue> {
    get(obj, key)
        .map(|v| match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= f64::from(max) => Ok(n as u32),
            _ => Err(type_error(&[
                key,
                " must be a whole number from 0 to ",
                &decimal(max),
            ])),
        })
        .transpose()
}

fn get_bytes(obj: &JsValue, key: &str) -> Result<Option<Bytes>, JsValue> {
    get(obj, key).map(|v| to_bytes(&v, key)).transpose()
}

/// A payload: a string (UTF-8), a `Uint8Array` (or other view) or an `ArrayBuffer`.
fn to_bytes(v: &JsValue, what: &str) -> Result<Bytes, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(Bytes::new());
    }
    if let Some(s) = v.as_string() {
        return Ok(Bytes::from(s));
    }
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Ok(Bytes::from(a.to_vec()));
    }
    if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Bytes::from(Uint8Array::new(b).to_vec()));
    }
    if ArrayBufferViewCheck::is_view(v) {
        let buffer = get(v, "buffer").unwrap_or(JsValue::UNDEFINED);
        let offset = get(v, "byteOffset").and_then(|n| n.as_f64()).unwrap_or(0.0);
        let len = get(v, "byteLength").and_then(|n| n.as_f64()).unwrap_or(0.0);
        if let Some(b) = buffer.dyn_ref::<js_sys::ArrayBuffer>() {
            let view = Uint8Array::new_with_byte_offset_and_length(b, offset as u32, len as u32);
            return Ok(Bytes::from(view.to_vec()));
        }
    }
    Err(type_error(&[
        what,
        " must be a string, a Uint8Array or an ArrayBuffer",
    ]))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = ArrayBuffer)]
    type ArrayBufferViewCheck;
    #[wasm_bindgen(static_method_of = ArrayBufferViewCheck, js_class = "ArrayBuffer", js_name = isView)]
    fn is_view(v: &JsValue) -> bool;
}

fn get_qos(obj: &JsValue, key: &str) -> Result<QoS, JsValue> {
    match get(obj, key) {
        None => Ok(QoS::AtMostOnce),
        Some(v) => v
            .as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..=2.0).contains(n))
            .and_then(|n| QoS::from_u8(n as u8))
            .ok_or_else(|| type_error(&[key, " must be 0, 1 or 2"])),
    }
}

fn user_properties(obj: &JsValue, key: &str) -> Result<Vec<(ByteStr, ByteStr)>, JsValue> {
    let Some(v) = get(obj, key) else {
        return Ok(Vec::new());
    };
    let entries = Object::entries(v.unchecked_ref());
    let mut out = Vec::new();
    for entry in entries.iter() {
        let k = Reflect::get_u32(&entry, 0)
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        let value = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        let values: Vec<JsValue> = if Array::is_array(&value) {
            Array::from(&value).iter().collect()
        } else {
            vec![value]
        };
        for v in values {
            let v = v
                .as_string()
                .ok_or_else(|| type_error(&[key, " values must be strings"]))?;
            out.push((ByteStr::from(k.clone()), ByteStr::from(v)));
        }
    }
    Ok(out)
}

fn publish_properties(obj: &JsValue) -> Result<Properties, JsValue> {
    let mut props = Properties::new();
    let Some(p) = get(obj, "properties") else {
        return Ok(props);
    };
    if let Some(b) = get_bool(&p, "payloadFormatIndicator")? {
        props.push(Property::PayloadFormatIndicator(u8::from(b)));
    }
    if let Some(n) = get_uint(&p, "messageExpiryInterval", u32::MAX)? {
        props.push(Property::MessageExpiryInterval(n));
    }
    if let Some(s) = get_str(&p, "contentType")? {
        props.push(Property::ContentType(s.into()));
    }
    if let Some(s) = get_str(&p, "responseTopic")? {
        props.push(Property::ResponseTopic(s.into()));
    }
    if let Some(b) = get_bytes(&p, "correlationData")? {
        props.push(Property::CorrelationData(b));
    }
    if let Some(n) = get_uint(&p, "willDelayInterval", u32::MAX)? {
        props.push(Property::WillDelayInterval(n));
    }
    for (k, v) in user_properties(&p, "userProperties")? {
        props.push(Property::UserProperty(k, v));
    }
    Ok(props)
}

fn parse_publish(topic: String, payload: &JsValue, options: &JsValue) -> Result<Publish, JsValue> {
    let mut p = Publish::new(topic, to_bytes(payload, "payload")?);
    p.qos = get_qos(options, "qos")?;
    p.retain = get_bool(options, "retain")?.unwrap_or(false);
    p.properties = publish_properties(options)?;
    Ok(p)
}

fn string_list(v: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    if let Some(s) = v.as_string() {
        return Ok(vec![s]);
    }
    if Array::is_array(v) {
        return Array::from(v)
            .iter()
            .map(|f| {
                f.as_string()
                    .ok_or_else(|| type_error(&[what, " must be strings"]))
            })
            .collect();
    }
    Err(type_error(&[
        what,
        " must be a string or an array of strings",
    ]))
}

fn subscription_options(
    o: &JsValue,
    defaults: SubscriptionOptions,
) -> Result<SubscriptionOptions, JsValue> {
    let qos = match get(o, "qos") {
        Some(_) => get_qos(o, "qos")?,
        None => defaults.qos,
    };
    let retain_handling = match get_uint(o, "rh", 2)? {
        None => defaults.retain_handling,
        Some(0) => RetainHandling::SendAtSubscribe,
        Some(1) => RetainHandling::SendAtNewSubscribe,
        Some(_) => RetainHandling::DoNotSend,
    };
    Ok(SubscriptionOptions {
        qos,
        no_local: get_bool(o, "nl")?.unwrap_or(defaults.no_local),
        retain_as_published: get_bool(o, "rap")?.unwrap_or(defaults.retain_as_published),
        retain_handling,
    })
}

fn parse_subscriptions(
    filters: &JsValue,
    options: &JsValue,
) -> Result<(Vec<Subscription>, Properties), JsValue> {
    let defaults = subscription_options(options, SubscriptionOptions::default())?;
    let mut subs = Vec::new();
    if filters.is_string() || Array::is_array(filters) {
        for f in string_list(filters, "filters")? {
            subs.push(Subscription {
                filter: f.into(),
                options: defaults,
            });
        }
    } else if filters.is_object() {
        for entry in Object::entries(filters.unchecked_ref()).iter() {
            let f = Reflect::get_u32(&entry, 0)
                .ok()
                .and_then(|k| k.as_string())
                .unwrap_or_default();
            let o = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
            subs.push(Subscription {
                filter: f.into(),
                options: subscription_options(&o, defaults)?,
            });
        }
    } else {
        return Err(type_error(&[
            "filters must be a string, an array of strings or an object",
        ]));
    }
    let mut props = Properties::new();
    if let Some(p) = get(options, "properties") {
        if let Some(id) = get_uint(&p, "subscriptionIdentifier", 268_435_455)? {
            props.push(Property::SubscriptionIdentifier(id));
        }
        for (k, v) in user_properties(&p, "userProperties")? {
            props.push(Property::UserProperty(k, v));
        }
    }
    Ok((subs, props))
}

fn random_client_id() -> String {
    let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    let mut id = String::from("switchboard_");
    for shift in (0..8).rev() {
        let digit = (n >> (shift * 4)) & 0xf;
        id.push(char::from_digit(digit, 16).unwrap_or('0'));
    }
    id
}

fn parse_config(url: String, o: &JsValue) -> Result<Config, JsValue> {
    if !o.is_undefined() && !o.is_null() && !o.is_object() {
        return Err(type_error(&["options must be an object"]));
    }
    let protocol = match get_uint(o, "protocolVersion", 5)? {
        None | Some(4) => Protocol::V3_1_1,
        Some(3) => Protocol::V3_1,
        Some(5) => Protocol::V5,
        Some(_) => return Err(type_error(&["protocolVersion must be 3, 4 or 5"])),
    };
    let client_id = get_str(o, "clientId")?.unwrap_or_else(random_client_id);
    let mut opts = Options::new(protocol, client_id);
    if let Some(k) = get_uint(o, "keepalive", 65_535)? {
        opts.keep_alive = k as u16;
    }
    if let Some(c) = get_bool(o, "clean")? {
        opts.clean_start = c;
    }
    opts.username = get_str(o, "username")?.map(ByteStr::from);
    opts.password = get_bytes(o, "password")?;
    if let Some(ms) = get_uint(o, "connectTimeout", u32::MAX)? {
        opts.connect_timeout = Duration::from_millis(u64::from(ms.max(1)));
    }
    if let Some(n) = get_uint(o, "queueLimit", u32::MAX)? {
        opts.queue_limit = n as usize;
    }
    if let Some(n) = get_uint(o, "maxInflight", 65_535)? {
        opts.send_maximum_v3 = n.max(1) as u16;
    }
    if let Some(n) = get_uint(o, "maxInflightQos2", 65_535)? {
        opts.send_maximum_v3_qos2 = n.max(1) as u16;
    }
    if let Some(w) = get(o, "will") {
        let topic = get_str(&w, "topic")?.ok_or_else(|| type_error(&["will.topic is required"]))?;
        opts.will = Some(Will {
            topic: topic.into(),
            payload: get_bytes(&w, "payload")?.unwrap_or_default(),
            qos: get_qos(&w, "qos")?,
            retain: get_bool(&w, "retain")?.unwrap_or(false),
            properties: publish_properties(&w)?,
        });
    }
    if let Some(p) = get(o, "properties") {
        if let Some(n) = get_uint(&p, "sessionExpiryInterval", u32::MAX)? {
            opts.session_expiry = n;
        }
        if let Some(n) = get_uint(&p, "receiveMaximum", 65_535)? {
            opts.receive_maximum = n.max(1) as u16;
        }
        if let Some(n) = get_uint(&p, "maximumPacketSize", u32::MAX)? {
            opts.maximum_packet_size = Some(n.max(1));
        }
        if let Some(n) = get_uint(&p, "topicAliasMaximum", 65_535)? {
            opts.topic_alias_maximum = n as u16;
        }
        if let Some(b) = get_bool(&p, "requestResponseInformation")? {
            opts.request_response_information = b;
        }
        opts.request_problem_information = get_bool(&p, "requestProblemInformation")?;
        opts.user_properties = user_properties(&p, "userProperties")?;
        opts.authentication_method = get_str(&p, "authenticationMethod")?.map(ByteStr::from);
        opts.authentication_data = get_bytes(&p, "authenticationData")?;
    }
    if let Some(m) = get_str(o, "authenticationMethod")? {
        opts.authentication_method = Some(m.into());
    }
    if let Some(d) = get_bytes(o, "authenticationData")? {
        opts.authentication_data = Some(d);
    }
    let mut config = Config::new(url, opts);
    if let Some(servers) = get(o, "servers") {
        config.urls.extend(string_list(&servers, "servers")?);
    }
    match get_uint(o, "reconnectPeriod", u32::MAX)? {
        Some(0) => config.reconnect = false,
        Some(ms) => config.backoff.base = Duration::from_millis(u64::from(ms)),
        None => config.backoff.base = Duration::from_secs(1),
    }
    if let Some(ms) = get_uint(o, "reconnectMaxPeriod", u32::MAX)? {
        config.backoff.cap = Duration::from_millis(u64::from(ms));
    }
    config.backoff.max_attempts = get_uint(o, "maxReconnectAttempts", u32::MAX)?;
    if let Some(p) = get_bool(o, "persist")? {
        config.persist = p;
    }
    match get_str(o, "timerVariant")?.as_deref() {
        None | Some("worker") => {}
        Some("native") => config.timers = TimerPreference::MainThread,
        Some(_) => return Err(type_error(&["timerVariant must be 'worker' or 'native'"])),
    }
    if let Some(n) = get_uint(o, "bufferedAmountHighWater", u32::MAX)? {
        config.high_water = n;
    }
    if let Some(f) = get(o, "beforeConnect") {
        let f: Function = f
            .dyn_into()
            .map_err(|_| type_error(&["beforeConnect must be a function"]))?;
        config.before_attempt = Some(hook(f));
    }
    if let Some(f) = get(o, "handleAuth") {
        let f: Function = f
            .dyn_into()
            .map_err(|_| type_error(&["handleAuth must be a function"]))?;
        config.auth = Some(auth_handler(f));
    }
    Ok(config)
}

/// `handleAuth(method, data)` as the driver's [`AuthHandler`]: its value (or what its promise
/// resolves to) is the next step's data; a throw or a rejection refuses with its message.
fn auth_handler(f: Function) -> AuthHandler {
    Rc::new(move |challenge: AuthChallenge| {
        let data = challenge
            .data
            .as_ref()
            .map_or(JsValue::UNDEFINED, |d| Uint8Array::from(&d[..]).into());
        let result = f.call2(&JsValue::NULL, &JsValue::from_str(&challenge.method), &data);
        Box::pin(async move {
            let value = match result {
                Ok(v) => match v.dyn_into::<js_sys::Promise>() {
                    Ok(p) => JsFuture::from(p).await.map_err(|e| js_message(&e))?,
                    Err(v) => v,
                },
                Err(e) => return Err(js_message(&e)),
            };
            if value.is_undefined() || value.is_null() {
                return Ok(None);
            }
            to_bytes(&value, "the handleAuth answer")
                .map(Some)
                .map_err(|e| js_message(&e))
        })
    })
}

fn hook(f: Function) -> AttemptHook {
    Rc::new(move |attempt, url| {
        let result = f.call2(
            &JsValue::NULL,
            &JsValue::from(attempt),
            &JsValue::from_str(&url),
        );
        Box::pin(async move {
            let value = match result {
                Ok(v) => match v.dyn_into::<js_sys::Promise>() {
                    Ok(p) => JsFuture::from(p).await.ok()?,
                    Err(v) => v,
                },
                // A throwing hook changes nothing; the attempt goes ahead.
                Err(_) => return None,
            };
            Some(Override {
                url: get_str(&value, "url").ok().flatten(),
                username: get_str(&value, "username").ok().flatten(),
                password: get_bytes(&value, "password").ok().flatten(),
            })
        })
    })
}
