//! Notifications, IM-style: conversations grouped by topic pattern with unread counts, a
//! thread of bubbles, a reply box, and the browser-notification opt-in.

pub mod thread;

use crate::route::{Route, View};
use crate::state::feed::use_stores;
use crate::state::router::use_router;
use leptos::prelude::*;
use thread::Thread;

/// The notifications view.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let stores = use_stores();
    let router = use_router();
    let open = Memo::new(move |_| router.route.with(|r| r.item.clone()));
    // The open conversation's messages arrive read; opening it marks it read.
    Effect::new(move |_| {
        let o = open.get();
        stores.open_conversation.set(o.clone());
        if let Some(t) = o {
            stores.mark_read(&t);
        }
    });
    on_cleanup(move || stores.open_conversation.set(None));
    let list = Memo::new(move |_| {
        stores.conversations_changed.track();
        stores.conversations.with_value(|c| {
            c.list()
                .into_iter()
                .map(|c| {
                    let last = c.bubbles.last().map(|b| {
                        if b.from.is_empty() {
                            b.text.clone()
                        } else {
                            format!("{}: {}", b.from, b.text)
                        }
                    });
                    (
                        c.topic.to_string(),
                        c.title.clone(),
                        c.pattern.clone(),
                        c.severity.clone(),
                        c.unread,
                        last,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="page notifications" aria-labelledby="notif-title">
            <div class="page-head">
                <h1 id="notif-title">"Notifications"</h1>
                <NotificationOptIn />
            </div>
            <div class="im-grid" class:has-open=move || open.with(Option::is_some)>
                <nav class="panel conv-list" aria-label="Conversations">
                    <Show when=move || !list.with(Vec::is_empty) fallback=|| view! {
                        <p class="muted">"No conversations yet. Messages on chat/{room} and alerts/{severity} appear here (the patterns are in Settings)."</p>
                    }>
                        <ul>
                            <For
                                each=move || list.get()
                                key=|c| (c.0.clone(), c.4, c.5.clone())
                                children=move |(topic, title, pattern, severity, unread, last)| {
                                    let href = Route::to(View::Notifications).with_item(topic.clone()).href();
                                    let t2 = topic.clone();
                                    let active = move || open.with(|o| o.as_deref() == Some(t2.as_str()));
                                    view! {
                                        <li>
                                            <a class="conv" class:active=active href=href data-testid="conversation" data-topic=topic.clone()>
                                                <span class=format!("conv-icon sev-{}", severity.clone().unwrap_or_default()) aria-hidden="true">
                                                    {if severity.is_some() { "!" } else { "#" }}
                                                </span>
                                                <span class="conv-text">
                                                    <span class="conv-title">{title}</span>
                                                    <span class="muted conv-last">{last.unwrap_or_default()}</span>
                                                </span>
                                                <span class="muted conv-pattern">{pattern}</span>
                                                {(unread > 0).then(|| view! {
                                                    <span class="badge" data-testid="conv-unread" aria-label=format!("{unread} unread")>{unread}</span>
                                                })}
                                            </a>
                                        </li>
                                    }
                                }
                            />
                        </ul>
                    </Show>
                </nav>
                {move || match open.get() {
                    Some(topic) => view! { <Thread topic=topic /> }.into_any(),
                    None => view! {
                        <div class="panel empty-state">
                            <p class="empty-title">"Pick a conversation"</p>
                        </div>
                    }.into_any(),
                }}
            </div>
        </section>
    }
}

/// The browser-notification opt-in: asks permission only when the user clicks.
#[component]
fn NotificationOptIn() -> impl IntoView {
    use crate::state::profiles::use_settings;
    let settings = use_settings();
    let permission = RwSignal::new(web_sys::Notification::permission());
    let enabled = move || {
        settings.settings.with(|s| s.browser_notifications)
            && permission.get() == web_sys::NotificationPermission::Granted
    };
    let ask = move |_| {
        if enabled() {
            settings.update(|s| s.browser_notifications = false);
            return;
        }
        match web_sys::Notification::request_permission() {
            Ok(promise) => leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                let p = web_sys::Notification::permission();
                permission.set(p);
                settings.update(|s| {
                    s.browser_notifications = p == web_sys::NotificationPermission::Granted
                });
            }),
            Err(_) => permission.set(web_sys::NotificationPermission::Denied),
        }
    };
    view! {
        <div class="toolbar">
            <button class="btn" on:click=ask disabled=move || permission.get() == web_sys::NotificationPermission::Denied>
                {move || if enabled() { "Turn off browser notifications" } else { "Turn on browser notifications" }}
            </button>
            <span class="muted" hidden=move || permission.get() != web_sys::NotificationPermission::Denied>
                "The browser blocks notifications for this page."
            </span>
        </div>
    }
}
