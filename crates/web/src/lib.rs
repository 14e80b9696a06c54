//! `switchboard-web`: the browser driver of the Switchboard MQTT session.
//!
//! It runs the sans-IO [`switchboard_mqtt::session::Session`] over the browser's WebSocket
//! (`WebSocket(url, "mqtt")`, binary frames, framed by MQTT's own lengths), with:
//! - reconnection with exponential backoff and full jitter, a list of broker URLs tried in
//!   turn, an async hook before each attempt (token refresh), and `navigator.onLine`;
//! - session timers (keep alive, ping and CONNACK timeouts, reconnect delays) in a dedicated
//!   Web Worker, so Chrome's throttling of hidden tabs does not drop the connection;
//! - backpressure on `WebSocket.bufferedAmount`;
//! - the session persisted in IndexedDB, so a reload loses no message the API accepted;
//! - an observable status (connecting, connected, reconnecting, offline, closed);
//! - a Rust API ([`Client`]) and, with the `js` feature, a JS/TypeScript API like MQTT.js's.
//!
//! Only `wasm32` builds have any of this: on other targets the crate is empty, so the
//! workspace's native `cargo test` and `cargo clippy` pass over it without building web-sys.
//!
//! Layout, one concern per file: [`socket`](crate) (the WebSocket and its owned callbacks),
//! `timers`, `backoff`, `persist` (IndexedDB), `online` (network state), `status`, `driver`
//! (the loop between the session and all of those), `client` (the Rust API), `js` (the JS API;
//! its event handlers are kept in JavaScript, `src/events.js`).

#[cfg(target_arch = "wasm32")]
mod backoff;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod config;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod error;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js;
#[cfg(target_arch = "wasm32")]
mod online;
#[cfg(target_arch = "wasm32")]
mod pending;
#[cfg(target_arch = "wasm32")]
mod persist;
#[cfg(target_arch = "wasm32")]
mod socket;
#[cfg(target_arch = "wasm32")]
mod status;
#[cfg(target_arch = "wasm32")]
mod timers;

#[cfg(target_arch = "wasm32")]
pub use backoff::Backoff;
#[cfg(target_arch = "wasm32")]
pub use client::{Client, ListenerId, Message, Messages, StatusStream};
#[cfg(target_arch = "wasm32")]
pub use config::{AttemptHook, AuthChallenge, AuthHandler, Config, Override, TimerPreference};
#[cfg(target_arch = "wasm32")]
pub use error::Error;
#[cfg(target_arch = "wasm32")]
pub use pending::Pending;
#[cfg(target_arch = "wasm32")]
pub use status::{LastError, Notice, State, Status};
#[cfg(target_arch = "wasm32")]
pub use switchboard_mqtt;
#[cfg(target_arch = "wasm32")]
pub use timers::{TimerBackend, TimerStats};
