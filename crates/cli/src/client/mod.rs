//! The native MQTT client: the sans-IO session driven over TCP, TLS and WebSocket by tokio.

mod backoff;
mod driver;
mod transport;
mod url;

pub(crate) use backoff::Backoff;
pub(crate) use driver::{connect, describe, Client, Config, Notice};
pub(crate) use transport::{default_tls, tls_trusting};
pub(crate) use url::BrokerUrl;
