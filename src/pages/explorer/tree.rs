//! The live topic tree: expandable levels with message counts, last value and retained marker.
//! Rows are virtualized.

use crate::components::virtual_rows::window;
use crate::model::payload;
use crate::state::feed::use_stores;
use leptos::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

const ROW: f64 = 28.0;

/// The tree panel; clicking a topic selects it.
#[component]
pub fn TopicTreePanel(
    /// The topic selected in the explorer.
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let stores = use_stores();
    let expanded = RwSignal::new(HashSet::<Arc<str>>::new());
    let search = RwSignal::new(String::new());
    let scroll = RwSignal::new(0.0f64);
    let height = 420.0;
    let rows = Memo::new(move |_| {
        stores.messages_changed.track();
        let open = expanded.get();
        let s = search.get();
        stores.tree.with_value(|t| t.rows(&open, &s))
    });
    let summary = move || {
        stores.messages_changed.track();
        stores.tree.with_value(|t| {
            format!(
                "{} topics · {} messages",
                t.topic_count(),
                t.message_count()
            )
        })
    };
    let visible = move || {
        let (start, end) = rows.with(|r| window(r.len(), scroll.get(), height, ROW, 8));
        let items: Vec<_> = rows.with(|r| r.get(start..end).map(<[_]>::to_vec).unwrap_or_default());
        stores.tree.with_value(|t| {
            items
                .into_iter()
                .enumerate()
                .filter_map(|(i, row)| {
                    let n = t.node(row.id)?;
                    let last = n.last.as_ref().map(|r| payload::preview(&r.payload, 48));
                    let top = (start + i) as f64 * ROW;
                    Some((
                        row,
                        top,
                        n.name.to_string(),
                        n.topic.to_string(),
                        n.count,
                        n.subtree,
                        n.retained,
                        last,
                    ))
                })
                .collect::<Vec<_>>()
        })
    };
    let toggle = move |topic: String| {
        expanded.update(|e| {
            let k: Arc<str> = Arc::from(topic.as_str());
            if !e.remove(&k) {
                e.insert(k);
            }
        });
    };
    view! {
        <section class="panel tree-panel" aria-labelledby="tree-title">
            <div class="panel-head">
                <h2 id="tree-title">"Topics"</h2>
                <span class="muted" data-testid="tree-summary">{summary}</span>
            </div>
            <label class="visually-hidden" for="tree-search">"Find a topic"</label>
            <input
                id="tree-search"
                type="search"
                placeholder="find a topic"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <div
                class="tree-scroll"
                role="tree"
                aria-label="Topic tree"
                data-testid="topic-tree"
                style=format!("height:{height}px")
                on:scroll=move |ev| scroll.set(event_target::<web_sys::Element>(&ev).scroll_top() as f64)
            >
                <p class="muted tree-empty" hidden=move || !rows.with(Vec::is_empty)>
                    {move || {
                        if search.with(|s| s.trim().is_empty()) {
                            "No messages yet: subscribe to a filter above (# for everything)."
                        } else {
                            "No topic matches."
                        }
                    }}
                </p>
                <div style=move || format!("height:{}px;position:relative", rows.with(Vec::len) as f64 * ROW)>
                    {move || {
                        visible()
                            .into_iter()
                            .map(|(row, top, name, topic, count, subtree, retained, last)| {
                                let t1 = topic.clone();
                                let t2 = topic.clone();
                                let t3 = topic.clone();
                                let is_sel = move || selected.with(|s| s.as_deref() == Some(t3.as_str()));
                                view! {
                                    <div
                                        class="tree-row"
                                        class:selected=is_sel
                                        role="treeitem"
                                        attr:aria-level=row.depth + 1
                                        aria-expanded=row.has_children.then(|| row.expanded.to_string())
                                        data-topic=topic.clone()
                                        style=format!("top:{top}px;padding-left:{}px", 6 + row.depth as u32 * 14)
                                    >
                                        <button
                                            class="twisty"
                                            tabindex="-1"
                                            aria-hidden="true"
                                            hidden=!row.has_children
                                            on:click=move |_| toggle(t1.clone())
                                        >
                                            {if row.expanded { "▾" } else { "▸" }}
                                        </button>
                                        <button class="tree-name" on:click=move |_| {
                                            selected.set(Some(t2.clone()));
                                            if row.has_children && !row.expanded {
                                                toggle(t2.clone());
                                            }
                                        }>
                                            <span class="mono">{if name.is_empty() { "(empty)".to_string() } else { name }}</span>
                                            {retained.then(|| view! { <span class="tag" title="Retained">"R"</span> })}
                                            <span class="count" title="Messages here / below">
                                                {if count == subtree { count.to_string() } else { format!("{count}/{subtree}") }}
                                            </span>
                                            {last.map(|l| view! { <span class="last mono">{l}</span> })}
                                        </button>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                </div>
            </div>
        </section>
    }
}
