//! The site header: the product name and the navigation.

use leptos::prelude::*;

/// The header bar: brand and main navigation (the inspector is the only view so far).
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <div class="brand">
                <svg
                    class="brand-mark"
                    viewBox="0 0 24 24"
                    width="22"
                    height="22"
                    aria-hidden="true"
                    focusable="false"
                >
                    <path d="M6 6.5 L12 17.5 L18 6.5 M6 6.5 H18" />
                    <circle cx="6" cy="6.5" r="2.6" />
                    <circle cx="18" cy="6.5" r="2.6" />
                    <circle cx="12" cy="17.5" r="2.6" />
                </svg>
                <span class="brand-name">"Switchboard"</span>
            </div>
            <nav class="site-nav" aria-label="Main">
                <a class="nav-link active" href="#/inspector" aria-current="page">
                    "Inspector"
                </a>
            </nav>
            <div class="header-meta" aria-label="Protocol versions">
                <span class="chip">"MQTT 3.1"</span>
                <span class="chip">"3.1.1"</span>
                <span class="chip">"5.0"</span>
            </div>
        </header>
    }
}
