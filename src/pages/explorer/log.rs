//! The message log: every message, newest first, filterable by text or MQTT filter, virtualized,
//! exportable as JSON or CSV.

use crate::components::virtual_rows::window;
use crate::model::log::{iso_time, to_csv, to_json, LogFilter};
use crate::model::payload;
use crate::model::record::Direction;
use crate::state::feed::use_stores;
use leptos::prelude::*;

const ROW: f64 = 30.0;

/// Offers `text` as a file download.
fn download(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document().create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The log panel; clicking a message selects its topic.
#[component]
pub fn MessageLogPanel(
    /// The topic selected in the explorer.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let stores = use_stores();
    let text = RwSignal::new(String::new());
    let direction = RwSignal::new(None::<Direction>);
    let retained = RwSignal::new(false);
    let paused = RwSignal::new(false);
    let scroll = RwSignal::new(0.0f64);
    let height = 480.0;
    let filter = move || LogFilter {
        text: text.get(),
        direction: direction.get(),
        retained_only: retained.get(),
    };
    let rows = Memo::new(move |prev: Option<&Vec<_>>| {
        stores.messages_changed.track();
        let f = filter();
        if paused.get() {
            if let Some(p) = prev {
                return p.clone();
            }
        }
        stores.log.with_value(|l| l.filtered(&f))
    });
    let summary = move || {
        stores.messages_changed.track();
        let shown = rows.with(Vec::len);
        stores.log.with_value(|l| {
            let r = l.ring();
            format!(
                "{shown} shown · keeps the last {} · {} dropped",
                r.capacity(),
                r.dropped()
            )
        })
    };
    let export = move |csv: bool| {
        let records = rows.get_untracked();
        if csv {
            download("switchboard-log.csv", "text/csv", &to_csv(&records));
        } else {
            download(
                "switchboard-log.json",
                "application/json",
                &to_json(&records),
            );
        }
    };
    view! {
        <div class="panel log-panel">
            <div class="panel-head">
                <h2>"Message log"</h2>
                <span class="muted" data-testid="log-summary">{summary}</span>
            </div>
            <div class="toolbar">
                <label class="control control-grow">
                    <span class="input-label">"Filter"</span>
                    <input
                        type="search"
                        data-testid="log-filter"
                        placeholder="text, or a filter like devices/+/status"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    />
                </label>
                <label class="control">
                    <span class="input-label">"Direction"</span>
                    <select on:change=move |ev| direction.set(match event_target_value(&ev).as_str() {
                        "in" => Some(Direction::In),
                        "out" => Some(Direction::Out),
                        _ => None,
                    })>
                        <option value="">"Both"</option>
                        <option value="in">"Received"</option>
                        <option value="out">"Sent"</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || retained.get() on:change=move |ev| retained.set(event_target_checked(&ev)) />
                    "Retained only"
                </label>
                <button class="btn" aria-pressed=move || paused.get().to_string() on:click=move |_| paused.update(|p| *p = !*p)>
                    {move || if paused.get() { "Resume" } else { "Pause" }}
                </button>
                <button class="btn" on:click=move |_| export(false)>"Export JSON"</button>
                <button class="btn" on:click=move |_| export(true)>"Export CSV"</button>
            </div>
            <div
                class="log-scroll"
                data-testid="message-log"
                role="log"
                aria-label="Messages, newest first"
                style=format!("height:{height}px")
                on:scroll=move |ev| scroll.set(event_target::<web_sys::Element>(&ev).scroll_top() as f64)
            >
                <div style=move || format!("height:{}px;position:relative", rows.with(Vec::len) as f64 * ROW)>
                    {move || {
                        let (start, end) = rows.with(|r| window(r.len(), scroll.get(), height, ROW, 10));
                        rows.with(|r| r.get(start..end).map(<[_]>::to_vec).unwrap_or_default())
                            .into_iter()
                            .enumerate()
                            .map(|(i, r)| {
                                let top = (start + i) as f64 * ROW;
                                let topic = r.topic.to_string();
                                let t2 = topic.clone();
                                view! {
                                    <button
                                        class="log-row"
                                        class:out=r.direction == Direction::Out
                                        style=format!("top:{top}px")
                                        data-testid="log-row"
                                        on:click=move |_| selected.set(Some(t2.clone()))
                                    >
                                        <span class="muted mono">{iso_time(r.at_ms).get(11..23).unwrap_or("").to_string()}</span>
                                        <span class="dir" aria-label=if r.direction == Direction::Out { "sent" } else { "received" }>
                                            {if r.direction == Direction::Out { "↑" } else { "↓" }}
                                        </span>
                                        <span class="mono topic">{topic}</span>
                                        <span class="mono payload">{payload::preview(&r.payload, 200)}</span>
                                        <span class="muted">{format!("q{}", r.qos)}</span>
                                        {r.retain.then(|| view! { <span class="tag">"R"</span> })}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                </div>
            </div>
        </div>
    }
}
