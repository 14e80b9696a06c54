//! The Switchboard web app's entry point: set up panic reporting and mount the app.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(switchboard::App);
}

/// The app only runs in a browser; natively this binary just says so.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("switchboard-app is a WebAssembly app: build it with `trunk build` (see README)");
}
