//! One device in detail: state, charts of every numeric value, recent messages and commands.

use super::{ago, use_clock};
use crate::components::line_chart::LineChart;
use crate::model::payload;
use crate::route::{Route, View};
use crate::state::connection::use_connection;
use crate::state::feed::use_stores;
use bytes::Bytes;
use leptos::prelude::*;

/// The detail view of device `id`.
#[component]
pub fn DeviceDetail(
    /// The device id.
    id: String,
) -> impl IntoView {
    let stores = use_stores();
    let conn = use_connection();
    let now = use_clock();
    let key = id.clone();
    let device = Memo::new(move |_| {
        stores.devices_changed.track();
        stores.devices.with_value(|d| {
            d.get(&key).map(|d| {
                let series: Vec<(String, Vec<(f64, f64)>)> = d
                    .series
                    .iter()
                    .map(|(k, s)| (k.clone(), s.iter().copied().collect()))
                    .collect();
                let recent: Vec<(u64, f64, String, String)> = d
                    .recent
                    .iter()
                    .rev()
                    .take(20)
                    .map(|r| {
                        (
                            r.seq,
                            r.at_ms,
                            r.topic.to_string(),
                            payload::preview(&r.payload, 160),
                        )
                    })
                    .collect();
                (
                    d.online,
                    d.status.clone(),
                    d.last_seen,
                    d.state.clone(),
                    series,
                    recent,
                    d.values.clone(),
                )
            })
        })
    });
    let cmd_topic = stores
        .devices
        .with_value(|d| d.command_topic(&id))
        .unwrap_or_default();
    let command = RwSignal::new(r#"{"led":"toggle"}"#.to_string());
    let sent = RwSignal::new(None::<Result<String, String>>);
    let send = {
        let topic = cmd_topic.clone();
        Callback::new(move |body: String| {
            let topic = topic.clone();
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&body) {
                sent.set(Some(Err(format!("The command is not JSON: {e}."))));
                return;
            }
            leptos::task::spawn_local(async move {
                let r = conn
                    .publish(
                        topic.clone(),
                        Bytes::from(body.clone().into_bytes()),
                        1,
                        false,
                        Default::default(),
                    )
                    .await;
                sent.set(Some(r.map(|()| format!("Sent {body} to {topic}."))));
            });
        })
    };
    let led_buttons = [
        ("LED on", r#"{"led":"on"}"#),
        ("LED off", r#"{"led":"off"}"#),
        ("Toggle LED", r#"{"led":"toggle"}"#),
    ];
    view! {
        <div class="device-detail" data-testid="device-detail">
            <nav class="crumbs" aria-label="Breadcrumb">
                <a href=Route::to(View::Devices).href()>"Devices"</a>
                " / "
                <span aria-current="page">{id.clone()}</span>
            </nav>
            <div class="page-head">
                <h1>{id.clone()}</h1>
                <p class="lede">
                    {move || {
                        device.with(|d| match d {
                            None => "No messages from this device yet.".to_string(),
                            Some(d) => {
                                let state = match d.0 {
                                    Some(true) => "Online",
                                    Some(false) => "Offline",
                                    None => "Status unknown",
                                };
                                format!("{state} · last seen {}", ago(d.2, now.get()))
                            }
                        })
                    }}
                </p>
            </div>
            <div class="detail-grid">
                <section class="panel" aria-label="Commands">
                    <h2>"Commands"</h2>
                    <p class="muted">"Published at QoS 1 to " <code>{cmd_topic.clone()}</code></p>
                    <div class="toolbar">
                        {led_buttons
                            .into_iter()
                            .map(|(label, body)| view! {
                                <button class="btn" on:click=move |_| send.run(body.to_string())>{label}</button>
                            })
                            .collect_view()}
                    </div>
                    <label class="input-label" for="device-cmd">"JSON command"</label>
                    <textarea
                        id="device-cmd"
                        class="code-input"
                        rows="3"
                        prop:value=move || command.get()
                        on:input=move |ev| command.set(event_target_value(&ev))
                    ></textarea>
                    <button class="btn btn-primary" on:click=move |_| send.run(command.get_untracked())>"Send command"</button>
                    <p class="form-note" role="status">
                        {move || match sent.get() {
                            Some(Ok(m)) => view! { <span class="ok">{m}</span> }.into_any(),
                            Some(Err(m)) => view! { <span class="bad">{m}</span> }.into_any(),
                            None => ().into_any(),
                        }}
                    </p>
                    <h2>"Reported state"</h2>
                    <pre class="payload-body">{move || device.with(|d| d.as_ref().and_then(|d| d.3.clone()).unwrap_or_else(|| "none yet".into()))}</pre>
                    <h2>"Latest values"</h2>
                    <dl class="props">
                        {move || device.with(|d| d.as_ref().map(|d| d.6.clone()).unwrap_or_default())
                            .into_iter()
                            .map(|(k, v)| view! { <dt>{k}</dt> <dd class="mono">{v}</dd> })
                            .collect_view()}
                    </dl>
                </section>
                <section class="panel" aria-label="Charts">
                    <h2>"Telemetry"</h2>
                    {move || {
                        device.with(|d| d.as_ref().map(|d| d.4.clone()).unwrap_or_default())
                            .into_iter()
                            .map(|(k, pts)| view! { <LineChart points=pts label=k /> })
                            .collect_view()
                    }}
                </section>
                <section class="panel wide" aria-label="Recent messages">
                    <h2>"Recent messages"</h2>
                    <ol class="recent">
                        {move || {
                            device.with(|d| d.as_ref().map(|d| d.5.clone()).unwrap_or_default())
                                .into_iter()
                                .map(|(_, at, topic, text)| {
                                    view! {
                                        <li>
                                            <span class="muted mono">{crate::model::log::iso_time(at).get(11..19).unwrap_or("").to_string()}</span>
                                            " "
                                            <span class="mono topic">{topic}</span>
                                            " "
                                            <span class="mono">{text}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ol>
                </section>
            </div>
        </div>
    }
}
