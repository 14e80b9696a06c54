//! In-app toasts for new conversation messages.

use crate::route::{Route, View};
use crate::state::feed::use_stores;
use crate::state::router::use_router;
use leptos::prelude::*;
use std::time::Duration;

/// The toast stack; each toast leaves after six seconds or when dismissed.
#[component]
pub fn Toasts() -> impl IntoView {
    let stores = use_stores();
    let router = use_router();
    let settings = crate::state::profiles::use_settings();
    let dismiss = move |id: u64| stores.toasts.update(|t| t.retain(|x| x.id != id));
    view! {
        <div class="toasts" aria-live="polite" aria-label="Notifications" hidden=move || !settings.settings.with(|s| s.toasts)>
            <For
                each=move || stores.toasts.get()
                key=|t| t.id
                children=move |t| {
                    let id = t.id;
                    set_timeout(move || dismiss(id), Duration::from_secs(6));
                    let a = t.announcement;
                    let topic = a.topic.to_string();
                    let sev = a.severity.clone().unwrap_or_default();
                    let who = if a.bubble.from.is_empty() { a.title.clone() } else { format!("{} · {}", a.title, a.bubble.from) };
                    view! {
                        <div class=format!("toast sev-{sev}") role="alert" data-testid="toast">
                            <button
                                class="toast-body"
                                on:click=move |_| {
                                    dismiss(id);
                                    router.go(&Route::to(View::Notifications).with_item(topic.clone()));
                                }
                            >
                                <strong>{who}</strong>
                                <span>{a.bubble.text.clone()}</span>
                            </button>
                            <button class="toast-close" aria-label="Dismiss" on:click=move |_| dismiss(id)>
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}
