//! The payload viewer: one message's payload as text, pretty JSON, hex or base64, with its
//! flags and MQTT 5 properties. Payloads go into text nodes only, never into markup.

use crate::model::payload::{self, Format};
use crate::model::record::Record;
use leptos::prelude::*;
use std::sync::Arc;

/// Shows `record`.
#[component]
pub fn PayloadView(
    /// The message (may change while shown).
    record: Signal<Option<Arc<Record>>>,
) -> impl IntoView {
    let format = RwSignal::new(Format::Text);
    // Pick JSON by default for JSON payloads, once per message.
    Effect::new(move |prev: Option<u64>| {
        let seq = record.with(|r| r.as_ref().map_or(0, |r| r.seq));
        if prev != Some(seq) {
            let is_json = record.with(|r| {
                r.as_ref()
                    .is_some_and(|r| payload::json(&r.payload).is_some())
            });
            if is_json && format.get_untracked() == Format::Text {
                format.set(Format::Json);
            }
        }
        seq
    });
    view! {
        <div class="payload-view">
            <div class="seg" role="group" aria-label="Payload format">
                {Format::ALL
                    .into_iter()
                    .map(|f| {
                        view! {
                            <button
                                class="seg-btn"
                                class:active=move || format.get() == f
                                aria-pressed=move || (format.get() == f).to_string()
                                on:click=move |_| format.set(f)
                            >
                                {f.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <pre class="payload-body" data-testid="payload-body">
                {move || record.with(|r| r.as_ref().map(|r| format.get().render(&r.payload)).unwrap_or_default())}
            </pre>
            {move || {
                record
                    .get()
                    .map(|r| {
                        let size = r.payload.len();
                        let flags = format!(
                            "{size} bytes · QoS {}{}{}",
                            r.qos,
                            if r.retain { " · retained" } else { "" },
                            if r.dup { " · duplicate" } else { "" },
                        );
                        let props = r.properties.clone();
                        let ups = r.user_properties.clone();
                        let subs = r.subscriptions.join(", ");
                        let nothing = props.is_empty() && ups.is_empty() && subs.is_empty();
                        view! {
                            <p class="muted payload-meta">{flags}</p>
                            <dl class="props" hidden=nothing>
                                {props
                                    .into_iter()
                                    .map(|(k, v)| view! { <dt>{k}</dt> <dd class="mono">{v}</dd> })
                                    .collect_view()}
                                {ups
                                    .into_iter()
                                    .map(|(k, v)| {
                                        view! { <dt>"User property " <span class="mono">{k}</span></dt> <dd class="mono">{v}</dd> }
                                    })
                                    .collect_view()}
                                <Show when={
                                    let empty = subs.is_empty();
                                    move || !empty
                                }>
                                    <dt>"Matched subscriptions"</dt>
                                    <dd class="mono">{subs.clone()}</dd>
                                </Show>
                            </dl>
                        }
                    })
            }}
        </div>
    }
}

/// The inspector link for a message: its PUBLISH packet as hex.
pub fn inspector_href(record: &Record, v5: bool) -> String {
    use switchboard_mqtt::codec::{ByteStr, Packet, PacketId, Protocol, Publish, QoS};
    let mut p = Publish::new(
        ByteStr::from(record.topic.to_string()),
        record.payload.clone(),
    );
    p.qos = QoS::from_u8(record.qos).unwrap_or(QoS::AtMostOnce);
    p.retain = record.retain;
    p.dup = record.dup && record.qos > 0;
    if record.qos > 0 {
        p.packet_id = PacketId::new(1);
    }
    let version = if v5 { Protocol::V5 } else { Protocol::V3_1_1 };
    let mut buf = bytes::BytesMut::new();
    let hex = match Packet::Publish(p).encode(version, &mut buf) {
        Ok(()) => payload::hex(&buf),
        Err(_) => String::new(),
    };
    format!(
        "#/inspector?hex={hex}&version={}",
        if v5 { "5.0" } else { "3.1.1" }
    )
}
