//! One conversation: its bubbles and the reply box.

use crate::model::log::iso_time;
use crate::state::connection::use_connection;
use crate::state::feed::use_stores;
use bytes::Bytes;
use leptos::prelude::*;

/// The thread of `topic`.
#[component]
pub fn Thread(
    /// The conversation's topic.
    topic: String,
) -> impl IntoView {
    let stores = use_stores();
    let conn = use_connection();
    let key = topic.clone();
    let bubbles = Memo::new(move |_| {
        stores.conversations_changed.track();
        stores.conversations.with_value(|c| {
            c.get(&key)
                .map(|c| {
                    (
                        c.title.clone(),
                        c.bubbles.iter().cloned().collect::<Vec<_>>(),
                    )
                })
                .unwrap_or_default()
        })
    });
    let reply = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let list_ref = NodeRef::<leptos::html::Ol>::new();
    // Keep the newest bubble in view.
    Effect::new(move |_| {
        bubbles.track();
        if let Some(el) = list_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let t = topic.clone();
    let send = move || {
        let text = reply.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        let payload = stores
            .conversations
            .with_value(|c| c.reply_payload(text.trim(), js_sys::Date::now()));
        let topic = t.clone();
        leptos::task::spawn_local(async move {
            match conn
                .publish(
                    topic,
                    Bytes::from(payload.into_bytes()),
                    1,
                    false,
                    Default::default(),
                )
                .await
            {
                Ok(()) => {
                    reply.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel thread" aria-label=move || format!("Conversation {}", bubbles.with(|b| b.0.clone()))>
            <div class="panel-head">
                <h2>{move || bubbles.with(|b| b.0.clone())}</h2>
                <span class="muted mono">{topic.clone()}</span>
            </div>
            <ol class="bubbles" node_ref=list_ref data-testid="bubbles">
                {move || bubbles.with(|b| b.1.clone()).into_iter().map(|b| {
                    let time = iso_time(b.at_ms).get(11..16).unwrap_or("").to_string();
                    view! {
                        <li class="bubble" class:mine=b.mine data-testid="bubble">
                            <span class="bubble-from">{if b.from.is_empty() { "unknown".to_string() } else { b.from.clone() }}</span>
                            <span class="bubble-text">{b.text.clone()}</span>
                            <time class="bubble-time muted">{time}</time>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <form class="reply" on:submit=move |ev| {
                ev.prevent_default();
                send();
            }>
                <label class="visually-hidden" for="reply-box">"Reply"</label>
                <input
                    id="reply-box"
                    data-testid="reply-box"
                    placeholder="Write a reply"
                    autocomplete="off"
                    prop:value=move || reply.get()
                    on:input=move |ev| reply.set(event_target_value(&ev))
                />
                <button class="btn btn-primary" type="submit" data-testid="reply-send">"Send"</button>
            </form>
            <p class="form-error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        </section>
    }
}
