//! The devices view: a tile per device found by the configured patterns, and a detail view
//! with charts, recent messages and commands.

pub mod detail;
pub mod tile;

use crate::route::{Route, View};
use crate::state::feed::use_stores;
use crate::state::router::use_router;
use detail::DeviceDetail;
use leptos::prelude::*;
use std::time::Duration;
use tile::DeviceTile;

/// "3 s ago" for a time in ms since the epoch.
pub fn ago(then: f64, now: f64) -> String {
    if then <= 0.0 {
        return "not seen yet".to_string();
    }
    let s = ((now - then) / 1000.0).max(0.0);
    if s < 60.0 {
        format!("{:.0} s ago", s.floor())
    } else if s < 3600.0 {
        format!("{:.0} min ago", (s / 60.0).floor())
    } else if s < 86_400.0 {
        format!("{:.0} h ago", (s / 3600.0).floor())
    } else {
        format!("{:.0} d ago", (s / 86_400.0).floor())
    }
}

/// A clock signal ticking every second while the view is mounted ("last seen" labels).
pub fn use_clock() -> ReadSignal<f64> {
    let (now, set_now) = signal(js_sys::Date::now());
    if let Ok(h) = set_interval_with_handle(
        move || set_now.set(js_sys::Date::now()),
        Duration::from_secs(1),
    ) {
        on_cleanup(move || h.clear());
    }
    now
}

/// The devices view.
#[component]
pub fn DevicesPage() -> impl IntoView {
    let stores = use_stores();
    let router = use_router();
    let selected = move || router.route.with(|r| r.item.clone());
    let filter = RwSignal::new(String::new());
    let only_online = RwSignal::new(false);
    let ids = Memo::new(move |_| {
        stores.devices_changed.track();
        let f = filter.get().to_lowercase();
        let online = only_online.get();
        stores.devices.with_value(|d| {
            d.list()
                .filter(|d| f.is_empty() || d.id.to_lowercase().contains(&f))
                .filter(|d| !online || d.online == Some(true))
                .map(|d| d.id.to_string())
                .collect::<Vec<_>>()
        })
    });
    let counts = move || {
        stores.devices_changed.track();
        stores.devices.with_value(|d| d.counts())
    };
    let pattern = move || stores.devices.with_value(|d| d.settings().status.clone());
    view! {
        <section class="page devices" aria-labelledby="devices-title">
            {move || match selected() {
                Some(id) => view! { <DeviceDetail id=id /> }.into_any(),
                None => {
                    view! {
                        <div class="page-head">
                            <h1 id="devices-title">"Devices"</h1>
                            <p class="lede" data-testid="device-counts">
                                {move || {
                                    let (all, online) = counts();
                                    format!("{online} of {all} online")
                                }}
                            </p>
                            <div class="toolbar">
                                <label class="control">
                                    <span class="input-label">"Find"</span>
                                    <input
                                        type="search"
                                        placeholder="device id"
                                        prop:value=move || filter.get()
                                        on:input=move |ev| filter.set(event_target_value(&ev))
                                    />
                                </label>
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        prop:checked=move || only_online.get()
                                        on:change=move |ev| only_online.set(event_target_checked(&ev))
                                    />
                                    "Online only"
                                </label>
                            </div>
                        </div>
                        <Show
                            when=move || !ids.with(Vec::is_empty)
                            fallback=move || {
                                view! {
                                    <div class="empty-state">
                                        <p class="empty-title">"No devices yet"</p>
                                        <p class="muted">
                                            "Devices appear when a message arrives on "
                                            <code>{pattern}</code>
                                            " or their telemetry topic. Connect to a broker, or change the patterns in Settings."
                                        </p>
                                    </div>
                                }
                            }
                        >
                            <div class="tile-grid" data-testid="device-grid">
                                <For
                                    each=move || ids.get()
                                    key=|id| id.clone()
                                    children=move |id| {
                                        let href = Route::to(View::Devices).with_item(id.clone()).href();
                                        view! { <DeviceTile id=id href=href /> }
                                    }
                                />
                            </div>
                        </Show>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
