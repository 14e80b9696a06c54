//! The selected topic: its newest message in the payload viewer, a plot of its numbers, its
//! recent messages, and actions (clear retained, open in the inspector, publish here).

use crate::components::line_chart::LineChart;
use crate::components::payload_view::{inspector_href, PayloadView};
use crate::model::payload;
use crate::model::record::Record;
use crate::state::connection::use_connection;
use crate::state::feed::use_stores;
use bytes::Bytes;
use leptos::prelude::*;
use std::sync::Arc;

/// A topic's recent messages, whether its value is retained, the history's capacity, and
/// how many messages it had in all.
type History = Option<(Vec<Arc<Record>>, bool, usize, u64)>;

/// Whether a history changed: a new newest message, or a retained marker that moved.
fn history_changed(a: Option<&History>, b: Option<&History>) -> bool {
    let key =
        |x: Option<&History>| x.map(|x| x.as_ref().map(|h| (h.0.last().map(|r| r.seq), h.1, h.3)));
    key(a) != key(b)
}

/// The detail of the selected topic.
#[component]
pub fn TopicDetail(
    /// The topic selected in the explorer.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let stores = use_stores();
    let conn = use_connection();
    // The message shown: the newest, unless one was picked from the history.
    let picked = RwSignal::new(None::<u64>);
    Effect::new(move |_| {
        selected.track();
        picked.set(None);
    });
    let history = Memo::new_with_compare(
        move |_| {
            stores.messages_changed.track();
            let topic = selected.get()?;
            stores.tree.with_value(|t| {
                let n = t.node(t.find(&topic)?)?;
                Some((
                    n.history.iter().cloned().collect::<Vec<Arc<Record>>>(),
                    n.retained,
                    n.history.capacity(),
                    n.count,
                ))
            })
        },
        history_changed,
    );
    let shown = Signal::derive(move || {
        history.with(|h| {
            let h = h.as_ref()?;
            match picked.get() {
                Some(seq) => h.0.iter().find(|r| r.seq == seq).cloned(),
                None => h.0.last().cloned(),
            }
        })
    });
    let fields = move || {
        history.with(|h| {
            let mut names: Vec<String> = Vec::new();
            if let Some(h) = h {
                for r in h.0.iter().rev().take(5) {
                    for (k, _) in payload::numeric_fields(&r.payload) {
                        if !names.contains(&k) {
                            names.push(k);
                        }
                    }
                }
            }
            names
        })
    };
    let field = RwSignal::new(String::new());
    let points = Signal::derive(move || {
        let f = field.get();
        history.with(|h| {
            let Some(h) = h else { return Vec::new() };
            h.0.iter()
                .filter_map(|r| {
                    let v = payload::numeric_fields(&r.payload)
                        .into_iter()
                        .find(|(k, _)| f.is_empty() || *k == f)
                        .map(|(_, v)| v)?;
                    Some((r.at_ms, v))
                })
                .collect()
        })
    });
    let notice = RwSignal::new(None::<Result<String, String>>);
    let v5 = move || {
        conn.profile.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.version == crate::model::profile::Version::V5)
        })
    };
    let clear_retained = move |_| {
        let Some(topic) = selected.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let r = conn
                .publish(topic.clone(), Bytes::new(), 1, true, Default::default())
                .await;
            notice.set(Some(
                r.map(|()| format!("Cleared the retained message of {topic}.")),
            ));
        });
    };
    view! {
        <div class="topic-detail" data-testid="topic-detail">
            {move || match selected.get() {
                None => view! {
                    <div class="empty-state">
                        <p class="empty-title">"Pick a topic"</p>
                        <p class="muted">"Select a topic in the tree to see its messages, plot its numbers and inspect its packets."</p>
                    </div>
                }.into_any(),
                Some(topic) => {
                    view! {
                        <div class="panel">
                            <div class="panel-head">
                                <h2 class="mono topic-title" data-testid="topic-title">{topic.clone()}</h2>
                                <div class="toolbar">
                                    <a class="btn" href=move || shown.get().map(|r| inspector_href(&r, v5())).unwrap_or_default()>
                                        "Open in inspector"
                                    </a>
                                    <button
                                        class="btn"
                                        data-testid="clear-retained"
                                        disabled=move || !history.with(|h| h.as_ref().is_some_and(|h| h.1))
                                        on:click=clear_retained
                                    >
                                        "Clear retained"
                                    </button>
                                </div>
                            </div>
                            <p class="form-note" role="status">
                                {move || match notice.get() {
                                    Some(Ok(m)) => view! { <span class="ok">{m}</span> }.into_any(),
                                    Some(Err(m)) => view! { <span class="bad">{m}</span> }.into_any(),
                                    None => ().into_any(),
                                }}
                            </p>
                            <PayloadView record=shown />
                        </div>
                        <div class="panel" hidden=move || fields().is_empty()>
                            <div class="panel-head">
                                <h2>"Plot"</h2>
                                <label class="control">
                                    <span class="input-label">"Value"</span>
                                    <select on:change=move |ev| field.set(event_target_value(&ev))>
                                        {move || fields().into_iter().map(|f| {
                                            let f2 = f.clone();
                                            view! { <option value=f.clone() selected=move || field.get() == f2>{f.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                            </div>
                            <LineChart points=points label=topic.clone() />
                        </div>
                        <div class="panel">
                            <div class="panel-head">
                                <h2>"History"</h2>
                                <span class="muted">
                                    {move || history.with(|h| h.as_ref().map(|h| format!("last {} of {} (keeps {})", h.0.len(), h.3, h.2)).unwrap_or_default())}
                                </span>
                            </div>
                            <ol class="history" reversed>
                                {move || history.with(|h| h.as_ref().map(|h| h.0.iter().rev().take(100).cloned().collect::<Vec<_>>()).unwrap_or_default())
                                    .into_iter()
                                    .map(|r| {
                                        let seq = r.seq;
                                        view! {
                                            <li>
                                                <button class="history-item" class:active=move || picked.get() == Some(seq) on:click=move |_| picked.set(Some(seq))>
                                                    <span class="muted mono">{crate::model::log::iso_time(r.at_ms).get(11..23).unwrap_or("").to_string()}</span>
                                                    <span class="mono">{payload::preview(&r.payload, 120)}</span>
                                                    {r.retain.then(|| view! { <span class="tag">"R"</span> })}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}
