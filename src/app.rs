//! The whole app: contexts, the shell (header, navigation, status bar, toasts) and the view
//! the route names; or, under `#/embed/…`, that view alone.

use crate::components::header::SiteHeader;
use crate::components::inspector::Inspector;
use crate::components::status_bar::StatusBar;
use crate::components::toasts::Toasts;
use crate::model::profile::Profile;
use crate::model::settings::Theme;
use crate::pages::connections::ConnectionsPage;
use crate::pages::dashboards::DashboardsPage;
use crate::pages::devices::DevicesPage;
use crate::pages::explorer::ExplorerPage;
use crate::pages::notifications::NotificationsPage;
use crate::route::View;
use crate::state::profiles::random_u32;
use crate::state::provide::{provide_app_state, AppState};
use leptos::prelude::*;

/// The broker the "Local demo" profile points at: `?broker=` in the page URL (what
/// `./scripts/run` prints when its WebSocket port is not the default), else port 9001 on the
/// page's own host.
fn demo_url() -> String {
    let loc = window().location();
    let search = loc.search().unwrap_or_default();
    for kv in search.trim_start_matches('?').split('&') {
        if let Some(v) = kv.strip_prefix("broker=") {
            return crate::route::decode(v);
        }
    }
    let host = loc.hostname().unwrap_or_default();
    let host = if host.is_empty() {
        "127.0.0.1".to_string()
    } else {
        host
    };
    format!("ws://{host}:9001")
}

/// The app.
#[component]
pub fn App() -> impl IntoView {
    let AppState {
        profiles,
        settings,
        stores,
        connection: conn,
        router,
        dashboards,
    } = provide_app_state(&demo_url(), View::Devices);

    // The theme: an attribute on <html> the stylesheet keys on.
    Effect::new(move |_| {
        let theme = settings.settings.with(|s| s.theme);
        if let Some(root) = document().document_element() {
            let _ = match theme {
                Theme::System => root.remove_attribute("data-theme"),
                Theme::Light => root.set_attribute("data-theme", "light"),
                Theme::Dark => root.set_attribute("data-theme", "dark"),
            };
        }
    });
    // Settings changes reach the stores.
    Effect::new(move |prev: Option<()>| {
        let s = settings.settings.get();
        if prev.is_some() {
            stores.apply_settings(&s);
        }
    });

    // Browser notifications, when the user opted in and is not looking at the conversation.
    stores.on_announcement(move |a| {
        if !settings
            .settings
            .with_untracked(|s| s.browser_notifications)
            || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
        {
            return;
        }
        let looking = router
            .route
            .with_untracked(|r| r.view == View::Notifications)
            && !document().hidden();
        if looking {
            return;
        }
        let title = if a.bubble.from.is_empty() {
            a.title.clone()
        } else {
            format!("{} · {}", a.title, a.bubble.from)
        };
        let opts = web_sys::NotificationOptions::new();
        opts.set_body(&a.bubble.text);
        opts.set_tag(&a.topic);
        let _ = web_sys::Notification::new_with_options(&title, &opts);
    });

    // Connect: an embed URL names its broker; otherwise the last profile used, or the first
    // that connects by itself (the "Local demo").
    let route = router.route.get_untracked();
    let embed_url = route
        .param("url")
        .map(str::to_string)
        .filter(|_| route.embed);
    let start = match embed_url {
        Some(url) => Some(Profile {
            id: format!("embed-{:08x}", random_u32()),
            name: "Embedded".into(),
            urls: vec![url],
            ..Profile::default()
        }),
        None => profiles.last().filter(|p| p.auto_connect).or_else(|| {
            profiles
                .list
                .with_untracked(|l| l.iter().find(|p| p.auto_connect).cloned())
        }),
    };
    if let Some(p) = start {
        if p.validate().is_empty() {
            let filters = crate::pages::view_filters(
                &settings.settings.get_untracked(),
                &dashboards.topics(),
                route.param("filter"),
            );
            conn.connect(p, None, filters);
        }
    }

    let body = move || {
        let r = router.route.get();
        match r.view {
            View::Connections => view! { <ConnectionsPage /> }.into_any(),
            View::Explorer => view! { <ExplorerPage /> }.into_any(),
            View::Notifications => view! { <NotificationsPage /> }.into_any(),
            View::Devices => view! { <DevicesPage /> }.into_any(),
            View::Dashboards => view! { <DashboardsPage /> }.into_any(),
            View::Inspector => view! { <Inspector /> }.into_any(),
        }
    };
    let embed = move || router.route.with(|r| r.embed);
    view! {
        <Show
            when=embed
            fallback=move || {
                view! {
                    <div class="app">
                        <SiteHeader />
                        <main id="main" class="main" tabindex="-1">
                            {body}
                        </main>
                        <StatusBar />
                        <Toasts />
                    </div>
                }
            }
        >
            <div class="app embed" data-testid="embed">
                <main id="main" class="main">
                    {body}
                </main>
            </div>
        </Show>
    }
}
