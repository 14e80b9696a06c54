//! The browser's network state: `navigator.onLine` and the `online`/`offline` events. The
//! listeners are owned by [`Online`] and removed when it is dropped.

use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::Event;

/// Whether the browser thinks it is online (true where it cannot tell).
pub(crate) fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Listens to `online` and `offline` on `window` while it lives.
pub(crate) struct Online {
    window: web_sys::Window,
    on_online: Closure<dyn FnMut(Event)>,
    on_offline: Closure<dyn FnMut(Event)>,
}

impl Online {
    /// Calls `on_change(true)` on `online` and `on_change(false)` on `offline`; `None`
    /// outside a window (in a worker the client still works, without these events).
    pub(crate) fn watch(on_change: Rc<dyn Fn(bool)>) -> Option<Online> {
        let window = web_sys::window()?;
        let f = on_change.clone();
        let on_online = Closure::<dyn FnMut(Event)>::new(move |_| f(true));
        let f = on_change;
        let on_offline = Closure::<dyn FnMut(Event)>::new(move |_| f(false));
        let _ =
            window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        let _ =
            window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        Some(Online {
            window,
            on_online,
            on_offline,
        })
    }
}

impl Drop for Online {
    fn drop(&mut self) {
        let _ = self
            .window
            .remove_event_listener_with_callback("online", self.on_online.as_ref().unchecked_ref());
        let _ = self.window.remove_event_listener_with_callback(
            "offline",
            self.on_offline.as_ref().unchecked_ref(),
        );
    }
}
