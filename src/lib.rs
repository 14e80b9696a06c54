//! Switchboard: an MQTT client in the browser. This crate is the Leptos app.
//!
//! [`model`] holds what the views show (topic tree, log, conversations, devices, dashboards,
//! profiles), free of the DOM and tested natively; [`inspect`] the packet inspector's logic;
//! [`state`] the contexts (connection, stores fed in batches, settings, routing); [`pages`]
//! the views and [`components`] the pieces they share.

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod components;
pub mod inspect;
pub mod model;
#[cfg(target_arch = "wasm32")]
pub mod pages;
pub mod route;
#[cfg(target_arch = "wasm32")]
pub mod state;

#[cfg(target_arch = "wasm32")]
pub use app::App;
