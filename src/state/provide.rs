//! Every context the views need, provided in one place (the app, and component tests that
//! mount a view on its own).

use super::connection::{provide_connection, Connection};
use super::dashboards::{provide_dashboards, Dashboards};
use super::feed::{provide_stores, Stores};
use super::profiles::{provide_profiles, Profiles, SettingsCtx};
use super::router::{provide_router, Router};
use crate::route::View;
use leptos::prelude::GetUntracked;

/// The contexts, for the caller that provided them.
#[derive(Clone, Copy)]
pub struct AppState {
    /// Saved connection profiles.
    pub profiles: Profiles,
    /// Settings.
    pub settings: SettingsCtx,
    /// What the views show.
    pub stores: Stores,
    /// The MQTT connection.
    pub connection: Connection,
    /// The route.
    pub router: Router,
    /// Dashboards.
    pub dashboards: Dashboards,
}

/// Provides every context under the current owner. `demo_url` is the "Local demo" profile's
/// broker; `fallback` the view of an empty hash.
pub fn provide_app_state(demo_url: &str, fallback: View) -> AppState {
    let (profiles, settings) = provide_profiles(demo_url);
    let stores = provide_stores(&settings.settings.get_untracked());
    let connection = provide_connection(stores);
    let router = provide_router(fallback);
    let dashboards = provide_dashboards();
    AppState {
        profiles,
        settings,
        stores,
        connection,
        router,
        dashboards,
    }
}
