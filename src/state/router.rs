//! The current route as a signal that follows `location.hash`.

use crate::route::{Route, View};
use leptos::prelude::*;

/// The router context.
#[derive(Clone, Copy)]
pub struct Router {
    /// Where the app is.
    pub route: RwSignal<Route>,
}

impl Router {
    /// Goes to `route` (adds a history entry; the hashchange listener updates the signal).
    pub fn go(&self, route: &Route) {
        let _ = window().location().set_hash(&route.href());
        self.route.set(route.clone());
    }
}

/// Reads the hash now and on every `hashchange`.
pub fn provide_router(fallback: View) -> Router {
    let read = move || Route::parse(&window().location().hash().unwrap_or_default(), fallback);
    let route = RwSignal::new(read());
    let handle = window_event_listener(leptos::ev::hashchange, move |_| route.set(read()));
    on_cleanup(move || handle.remove());
    let r = Router { route };
    provide_context(r);
    r
}

/// The router.
pub fn use_router() -> Router {
    expect_context::<Router>()
}
