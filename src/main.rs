//! The Switchboard web app's entry point: set up panic reporting and mount the app.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(switchboard::App);
}
