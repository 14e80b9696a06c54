//! Switchboard: an MQTT client in the browser. This crate is the Leptos app.
//!
//! [`inspect`] holds the logic of the packet inspector, free of the DOM; [`components`] the
//! views.

pub mod components;
pub mod inspect;

use components::header::SiteHeader;
use components::inspector::Inspector;
use leptos::prelude::*;

/// The whole app: the header and the one view there is so far, the packet inspector.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <div class="app">
            <SiteHeader />
            <main id="main" class="main">
                <Inspector />
            </main>
        </div>
    }
}
