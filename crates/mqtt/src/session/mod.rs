//! The client session: a sans-IO state machine for MQTT 3.1, 3.1.1 and 5.0.
//!
//! It never touches a socket, a timer or a clock. A driver feeds it what the transport read
//! ([`Session::handle_bytes`]) and the time, writes what [`Session::poll_transmit`] returns,
//! hands [`Session::poll_event`] to the application, and calls [`Session::handle_timeout`]
//! at [`Session::poll_timeout`].
//!
//! ```
//! use switchboard_mqtt::codec::{Protocol, QoS};
//! use switchboard_mqtt::session::{Event, Instant, Options, Session};
//!
//! let now = Instant::now();
//! let mut session = Session::new(Options::new(Protocol::V5, "demo"));
//! session.connect(now);
//! let connect = session.poll_transmit().unwrap(); // write this to the transport
//! assert_eq!(connect[0], 0x10);
//!
//! // The broker answers CONNACK (success, no properties).
//! session.handle_bytes(&[0x20, 0x03, 0x00, 0x00, 0x00], now);
//! assert!(matches!(session.poll_event(), Some(Event::Connected { session_present: false, .. })));
//!
//! let id = session.publish("devices/d1/status", "online", QoS::AtLeastOnce, true, now)?;
//! assert!(id.is_some());
//! # Ok::<(), switchboard_mqtt::session::SessionError>(())
//! ```

mod error;
mod event;
mod options;
mod outgoing;
mod packet_ids;
mod snapshot;
mod sorted;
mod state;

pub use error::SessionError;
pub use event::{DisconnectReason, Event};
pub use options::Options;
pub use snapshot::{Snapshot, SnapshotError};
pub use state::Session;

/// The instant type time is passed in as: `std::time::Instant`, or on `wasm32-unknown-unknown`
/// (where `std`'s panics) `web_time::Instant`, which reads `performance.now()`.
#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub use std::time::Instant;
/// The instant type time is passed in as (see the non-wasm docs).
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub use web_time::Instant;
