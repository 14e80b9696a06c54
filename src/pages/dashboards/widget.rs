//! One widget, live: it reads its topic's newest messages from the topic tree and publishes
//! through the connection.

use crate::components::line_chart::LineChart;
use crate::model::dashboard::{switch_payload, Widget, WidgetKind};
use crate::model::payload::{extract, extract_number, format_number};
use crate::model::record::Record;
use crate::state::connection::use_connection;
use crate::state::feed::use_stores;
use bytes::Bytes;
use leptos::prelude::*;
use std::sync::Arc;

/// The newest messages on `topic` (oldest first), re-read once per batch.
fn use_topic(topic: String) -> Memo<Vec<Arc<Record>>> {
    let stores = use_stores();
    Memo::new_with_compare(
        move |_| {
            stores.messages_changed.track();
            stores.tree.with_value(|t| {
                t.find(&topic)
                    .and_then(|id| t.node(id))
                    .map(|n| n.history.iter().cloned().collect())
                    .unwrap_or_default()
            })
        },
        |a: Option<&Vec<Arc<Record>>>, b: Option<&Vec<Arc<Record>>>| {
            let key = |v: Option<&Vec<Arc<Record>>>| v.map(|v| (v.last().map(|r| r.seq), v.len()));
            key(a) != key(b)
        },
    )
}

/// A widget's live body.
#[component]
pub fn WidgetBody(
    /// The widget's settings.
    widget: Widget,
) -> impl IntoView {
    let conn = use_connection();
    let history = use_topic(widget.topic.clone());
    let path = widget.path.clone();
    let latest_text = {
        let path = path.clone();
        Signal::derive(move || history.with(|h| h.last().and_then(|r| extract(&r.payload, &path))))
    };
    let latest_number = {
        let path = path.clone();
        Signal::derive(move || {
            history.with(|h| h.last().and_then(|r| extract_number(&r.payload, &path)))
        })
    };
    let unit = widget.unit.clone();
    let publish = {
        let topic = widget.publish_topic().to_string();
        let (qos, retain) = (widget.qos, widget.retain);
        move |payload: String| {
            conn.publish_quietly(
                topic.clone(),
                Bytes::from(payload.into_bytes()),
                qos,
                retain,
            )
        }
    };
    match widget.kind.clone() {
        WidgetKind::Value => view! {
            <p class="w-value" data-testid="widget-value">
                {move || latest_text.get().unwrap_or_else(|| "—".into())}
                <span class="w-unit">{unit.clone()}</span>
            </p>
        }
        .into_any(),
        WidgetKind::Gauge { min, max } => {
            let frac = move || latest_number.get().map(|v| ((v - min) / (max - min)).clamp(0.0, 1.0));
            view! {
                <svg class="w-gauge" viewBox="0 0 120 70" role="img" aria-label=move || format!("{} of {min} to {max}", latest_number.get().map(|v| format_number(v, 2)).unwrap_or_else(|| "no value".into()))>
                    <path class="gauge-track" d="M10 60 A50 50 0 0 1 110 60" />
                    <path
                        class="gauge-fill"
                        d="M10 60 A50 50 0 0 1 110 60"
                        pathLength="100"
                        stroke-dasharray=move || format!("{:.1} 100", frac().unwrap_or(0.0) * 100.0)
                    />
                    <text x="60" y="58" text-anchor="middle" class="gauge-text">
                        {move || latest_number.get().map(|v| format!("{}{}", format_number(v, 1), unit)).unwrap_or_else(|| "—".into())}
                    </text>
                </svg>
            }
            .into_any()
        }
        WidgetKind::Line => {
            let p2 = path.clone();
            let points = Signal::derive(move || {
                history.with(|h| h.iter().filter_map(|r| Some((r.at_ms, extract_number(&r.payload, &p2)?))).collect::<Vec<_>>())
            });
            view! { <LineChart points=points label=widget.caption() unit=unit /> }.into_any()
        }
        WidgetKind::Switch { on, .. } => {
            let w = widget.clone();
            let is_on = Signal::derive(move || latest_text.get().is_some_and(|t| t == on));
            view! {
                <button
                    class="w-switch"
                    role="switch"
                    data-testid="widget-switch"
                    aria-checked=move || is_on.get().to_string()
                    aria-label=widget.caption()
                    on:click=move |_| publish(switch_payload(&w, !is_on.get()))
                >
                    <span class="knob"></span>
                    <span class="w-switch-label">{move || if is_on.get() { "On" } else { "Off" }}</span>
                </button>
            }
            .into_any()
        }
        WidgetKind::Button { payload } => view! {
            <button class="btn btn-primary w-button" data-testid="widget-button" on:click=move |_| publish(payload.clone())>
                {widget.caption()}
            </button>
        }
        .into_any(),
        WidgetKind::Slider { min, max, step } => {
            let local = RwSignal::new(None::<f64>);
            let shown = move || local.get().or(latest_number.get()).unwrap_or(min);
            view! {
                <div class="w-slider">
                    <input
                        type="range"
                        min=min
                        max=max
                        step=step
                        aria-label=widget.caption()
                        prop:value=move || shown().to_string()
                        on:input=move |ev| local.set(event_target_value(&ev).parse().ok())
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                publish(format_number(v, 6));
                            }
                            local.set(None);
                        }
                    />
                    <output class="mono">{move || format!("{}{}", format_number(shown(), 3), unit)}</output>
                </div>
            }
            .into_any()
        }
        WidgetKind::TextLog => view! {
            <ol class="w-log">
                {move || history.with(|h| h.iter().rev().take(8).map(|r| {
                    let t = extract(&r.payload, &path).unwrap_or_default();
                    let time = crate::model::log::iso_time(r.at_ms).get(11..19).unwrap_or("").to_string();
                    view! { <li><span class="muted mono">{time}</span> " " {t}</li> }
                }).collect_view())}
            </ol>
        }
        .into_any(),
    }
}
