//! The site header: the product name, the navigation with the unread badge, and the theme
//! switch.

use crate::route::{Route, View};
use crate::state::feed::use_stores;
use crate::state::profiles::use_settings;
use crate::state::router::use_router;
use leptos::prelude::*;

/// The header bar.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let router = use_router();
    let stores = use_stores();
    let settings = use_settings();
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main" on:click=|ev| {
                ev.prevent_default();
                if let Some(m) = document().get_element_by_id("main") {
                    m.scroll_into_view();
                }
            }>
                "Skip to content"
            </a>
            <a class="brand" href="#/devices" aria-label="Switchboard home">
                <svg class="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
                    <path d="M6 6.5 L12 17.5 L18 6.5 M6 6.5 H18" />
                    <circle cx="6" cy="6.5" r="2.6" />
                    <circle cx="18" cy="6.5" r="2.6" />
                    <circle cx="12" cy="17.5" r="2.6" />
                </svg>
                <span class="brand-name">"Switchboard"</span>
            </a>
            <nav class="site-nav" aria-label="Main">
                {View::ALL
                    .into_iter()
                    .map(|v| {
                        let active = move || router.route.with(|r| r.view == v);
                        view! {
                            <a
                                class="nav-link"
                                class:active=active
                                href=Route::to(v).href()
                                aria-current=move || active().then_some("page")
                                data-testid=format!("nav-{}", v.slug())
                            >
                                {v.label()}
                                {(v == View::Notifications)
                                    .then(|| {
                                        view! {
                                            <span
                                                class="badge"
                                                data-testid="unread-total"
                                                hidden=move || stores.unread.get() == 0
                                                aria-label=move || format!("{} unread", stores.unread.get())
                                            >
                                                {move || stores.unread.get()}
                                            </span>
                                        }
                                    })}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <button
                class="btn btn-ghost theme-toggle"
                data-testid="theme-toggle"
                aria-label=move || format!("{} (click to change)", settings.settings.with(|s| s.theme.label()))
                title=move || settings.settings.with(|s| s.theme.label())
                on:click=move |_| settings.update(|s| s.theme = s.theme.next())
            >
                {move || match settings.settings.with(|s| s.theme) {
                    crate::model::settings::Theme::System => "◐",
                    crate::model::settings::Theme::Light => "☀",
                    crate::model::settings::Theme::Dark => "☾",
                }}
            </button>
        </header>
    }
}
