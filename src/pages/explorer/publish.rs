//! The publish panel: topic, payload in a chosen format, QoS, retain, MQTT 5 properties, and
//! the recent publishes to pick again.

use crate::model::payload;
use crate::state::connection::use_connection;
use crate::state::storage;
use bytes::Bytes;
use leptos::prelude::*;
use switchboard_mqtt::codec::{ByteStr, Properties, Property};

/// A publish as the history keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Recent {
    topic: String,
    payload: String,
    format: String,
    qos: u8,
    retain: bool,
}

const RECENT_KEY: &str = "recent-publishes";
const RECENT_MAX: usize = 20;

/// The publish panel; the selected topic prefills the topic.
#[component]
pub fn PublishPanel(
    /// The topic selected in the explorer.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let conn = use_connection();
    let topic = RwSignal::new(selected.get_untracked().unwrap_or_default());
    let body = RwSignal::new(String::new());
    let format = RwSignal::new("text".to_string());
    let qos = RwSignal::new(0u8);
    let retain = RwSignal::new(false);
    let content_type = RwSignal::new(String::new());
    let response_topic = RwSignal::new(String::new());
    let correlation = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let user_props = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<String, String>>);
    let recent = RwSignal::new(storage::load::<Vec<Recent>>(RECENT_KEY).unwrap_or_default());
    let v5 = move || {
        conn.profile.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.version == crate::model::profile::Version::V5)
        })
    };

    let build = move || -> Result<(String, Bytes, Properties), String> {
        let t = topic.get_untracked().trim().to_string();
        if t.is_empty() {
            return Err("Type the topic to publish to.".into());
        }
        switchboard_mqtt::topic::validate_name(&t).map_err(|m| format!("Topic: {m}."))?;
        let text = body.get_untracked();
        let bytes = match format.get_untracked().as_str() {
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| format!("The payload is not JSON: {e}."))?;
                v.to_string().into_bytes()
            }
            "hex" => payload::from_hex(&text).map_err(|e| format!("Payload: {e}."))?,
            "base64" => payload::from_base64(&text).map_err(|e| format!("Payload: {e}."))?,
            _ => text.into_bytes(),
        };
        let mut props = Properties::new();
        if v5() {
            let ct = content_type.get_untracked();
            if !ct.trim().is_empty() {
                props.push(Property::ContentType(ByteStr::from(ct.trim().to_string())));
            }
            let rt = response_topic.get_untracked();
            if !rt.trim().is_empty() {
                switchboard_mqtt::topic::validate_name(rt.trim())
                    .map_err(|m| format!("Response topic: {m}."))?;
                props.push(Property::ResponseTopic(ByteStr::from(
                    rt.trim().to_string(),
                )));
            }
            let cd = correlation.get_untracked();
            if !cd.is_empty() {
                props.push(Property::CorrelationData(Bytes::from(cd.into_bytes())));
            }
            let ex = expiry.get_untracked();
            if !ex.trim().is_empty() {
                let secs: u32 = ex
                    .trim()
                    .parse()
                    .map_err(|_| "Message expiry is a number of seconds.".to_string())?;
                props.push(Property::MessageExpiryInterval(secs));
            }
            for line in user_props
                .get_untracked()
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| format!("User property '{line}': write name=value."))?;
                props.push(Property::UserProperty(
                    ByteStr::from(k.trim().to_string()),
                    ByteStr::from(v.trim().to_string()),
                ));
            }
        }
        Ok((t, Bytes::from(bytes), props))
    };
    let send = move || {
        let (t, bytes, props) = match build() {
            Ok(x) => x,
            Err(e) => {
                result.set(Some(Err(e)));
                return;
            }
        };
        let entry = Recent {
            topic: t.clone(),
            payload: body.get_untracked(),
            format: format.get_untracked(),
            qos: qos.get_untracked(),
            retain: retain.get_untracked(),
        };
        result.set(Some(Ok("Sending…".into())));
        leptos::task::spawn_local(async move {
            let q = entry.qos;
            let r = conn.publish(t.clone(), bytes, q, entry.retain, props).await;
            result.set(Some(r.map(|()| match q {
                0 => format!("Sent to {t}."),
                1 => format!("Sent to {t}; the broker acknowledged it (PUBACK)."),
                _ => format!("Sent to {t}; delivered exactly once (PUBCOMP)."),
            })));
            recent.update(|list| {
                list.retain(|x| x != &entry);
                list.insert(0, entry);
                list.truncate(RECENT_MAX);
            });
            let _ = storage::save(RECENT_KEY, &recent.get_untracked());
        });
    };
    let input =
        |sig: RwSignal<String>| move |ev: leptos::ev::Event| sig.set(event_target_value(&ev));
    view! {
        <form class="panel publish" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <h2>"Publish"</h2>
            <label class="input-label" for="pub-topic">"Topic"</label>
            <input id="pub-topic" data-testid="pub-topic" autocomplete="off" prop:value=move || topic.get() on:input=input(topic) />
            <div class="toolbar">
                <label class="control">
                    <span class="input-label">"Format"</span>
                    <select data-testid="pub-format" on:change=input(format)>
                        <option value="text" selected=move || format.get() == "text">"Text"</option>
                        <option value="json" selected=move || format.get() == "json">"JSON"</option>
                        <option value="hex" selected=move || format.get() == "hex">"Hex"</option>
                        <option value="base64" selected=move || format.get() == "base64">"Base64"</option>
                    </select>
                </label>
                <label class="control">
                    <span class="input-label">"QoS"</span>
                    <select data-testid="pub-qos" on:change=move |ev| qos.set(event_target_value(&ev).parse().unwrap_or(0))>
                        <option value="0" selected=move || qos.get() == 0>"0"</option>
                        <option value="1" selected=move || qos.get() == 1>"1"</option>
                        <option value="2" selected=move || qos.get() == 2>"2"</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="pub-retain" prop:checked=move || retain.get() on:change=move |ev| retain.set(event_target_checked(&ev)) />
                    "Retain"
                </label>
            </div>
            <label class="input-label" for="pub-payload">"Payload"</label>
            <textarea id="pub-payload" data-testid="pub-payload" class="code-input" rows="5" prop:value=move || body.get() on:input=input(body)></textarea>
            <details class="v5-props" hidden=move || !v5()>
                <summary>"MQTT 5 properties"</summary>
                <label class="input-label" for="pub-ct">"Content type"</label>
                <input id="pub-ct" prop:value=move || content_type.get() on:input=input(content_type) />
                <label class="input-label" for="pub-rt">"Response topic"</label>
                <input id="pub-rt" prop:value=move || response_topic.get() on:input=input(response_topic) />
                <label class="input-label" for="pub-cd">"Correlation data"</label>
                <input id="pub-cd" prop:value=move || correlation.get() on:input=input(correlation) />
                <label class="input-label" for="pub-ex">"Message expiry (seconds)"</label>
                <input id="pub-ex" inputmode="numeric" prop:value=move || expiry.get() on:input=input(expiry) />
                <label class="input-label" for="pub-up">"User properties (name=value, one per line)"</label>
                <textarea id="pub-up" rows="3" class="code-input" prop:value=move || user_props.get() on:input=input(user_props)></textarea>
            </details>
            <button class="btn btn-primary" type="submit" data-testid="pub-send">"Publish"</button>
            <p class="form-note" role="status" data-testid="pub-result">
                {move || match result.get() {
                    Some(Ok(m)) => view! { <span class="ok">{m}</span> }.into_any(),
                    Some(Err(m)) => view! { <span class="bad">{m}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </p>
            <h3 hidden=move || recent.with(Vec::is_empty)>"Recent"</h3>
            <ul class="recent-pubs">
                {move || recent.get().into_iter().map(|r| {
                    let label = format!("{} · {}", r.topic, payload::preview(r.payload.as_bytes(), 60));
                    view! {
                        <li>
                            <button type="button" class="history-item" on:click=move |_| {
                                topic.set(r.topic.clone());
                                body.set(r.payload.clone());
                                format.set(r.format.clone());
                                qos.set(r.qos);
                                retain.set(r.retain);
                            }>
                                <span class="mono">{label}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </form>
    }
}
