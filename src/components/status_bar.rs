//! The status bar: connection state, broker, reconnect countdown, last error in words, and the
//! message rate.

use crate::state::connection::use_connection;
use crate::state::feed::use_stores;
use leptos::prelude::*;
use std::time::Duration;
use switchboard_web::State;

/// The status bar.
#[component]
pub fn StatusBar() -> impl IntoView {
    let conn = use_connection();
    let stores = use_stores();
    // A clock for the countdown, ticking only while a reconnect is scheduled.
    let now = RwSignal::new(js_sys::Date::now());
    let entered = RwSignal::new(js_sys::Date::now());
    Effect::new(move |_| {
        conn.status.track();
        entered.set(js_sys::Date::now());
    });
    if let Ok(h) = set_interval_with_handle(
        move || now.set(js_sys::Date::now()),
        Duration::from_millis(500),
    ) {
        on_cleanup(move || h.clear());
    }
    let state = move || {
        conn.status.with(|s| match s.as_ref().map(|s| s.state) {
            None => ("idle", "Not connected".to_string()),
            Some(State::Connecting { attempt: 0 }) => ("busy", "Connecting…".to_string()),
            Some(State::Connecting { attempt }) => {
                ("busy", format!("Connecting (attempt {attempt})…"))
            }
            Some(State::Connected) => ("ok", "Connected".to_string()),
            Some(State::Reconnecting { attempt, next_in }) => {
                let left = (next_in.as_secs_f64() - (now.get() - entered.get()) / 1000.0).max(0.0);
                (
                    "warn",
                    format!("Reconnecting: attempt {attempt} in {:.0} s", left.ceil()),
                )
            }
            Some(State::Offline) => ("warn", "Offline: waiting for the network".to_string()),
            Some(State::Closed) => ("bad", "Disconnected".to_string()),
        })
    };
    view! {
        <footer class="status-bar" role="status" aria-live="polite" data-testid="status-bar">
            <span class=move || format!("conn-dot conn-{}", state().0) aria-hidden="true"></span>
            <span class="conn-state" data-testid="conn-state">{move || state().1}</span>
            <span class="conn-broker mono">
                {move || {
                    let name = conn.profile.with(|p| p.as_ref().map(|p| p.name.clone()));
                    let url = conn.status.with(|s| s.as_ref().map(|s| s.url.clone())).filter(|u| !u.is_empty());
                    match (name, url) {
                        (Some(n), Some(u)) => format!("{n} · {u}"),
                        (Some(n), None) => n,
                        _ => String::new(),
                    }
                }}
            </span>
            <span class="conn-error" data-testid="conn-error">
                {move || {
                    conn.status
                        .with(|s| s.as_ref().and_then(|s| s.last_error.clone()))
                        .map(|e| match e.code {
                            Some(c) => format!("Last error: {} (reason 0x{c:02X})", e.message),
                            None => format!("Last error: {}", e.message),
                        })
                }}
            </span>
            <span class="conn-rate mono" title="Messages received">
                {move || format!("{} msgs · {:.0}/s", stores.received.get(), stores.rate.get())}
            </span>
        </footer>
    }
}
