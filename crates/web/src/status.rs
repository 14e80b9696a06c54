//! What the client reports: its connection state, the last error, and notices for listeners.

use crate::client::Message;
use std::time::Duration;
use switchboard_mqtt::codec::{PacketType, Properties, Protocol};
use switchboard_mqtt::session::DisconnectReason;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Opening the WebSocket or waiting for CONNACK.
    Connecting {
        /// 0 for the first attempt, then the attempt number since the last stable connection.
        attempt: u32,
    },
    /// CONNACK accepted.
    Connected,
    /// The connection is down; the next attempt comes after `next_in`.
    Reconnecting {
        /// The attempt that comes next (1-based).
        attempt: u32,
        /// The delay before it (from when this state was entered).
        next_in: Duration,
    },
    /// The browser reports no network (`navigator.onLine` is false); the next attempt comes
    /// as soon as it reports `online`.
    Offline,
    /// Closed for good: disconnected, given up, or reconnection turned off.
    Closed,
}

/// Why the last connection or attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// One line a user can read.
    pub message: String,
    /// The MQTT reason code involved (CONNACK refusal, server DISCONNECT, or the code we
    /// sent on a protocol error: 0x81 malformed, 0x82 protocol error, …).
    pub code: Option<u8>,
}

/// The client's status, as [`Client::status`](crate::Client::status) and the status stream
/// report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The connection state.
    pub state: State,
    /// The broker URL of the current or last attempt.
    pub url: String,
    /// Why the last connection or attempt ended, if one did.
    pub last_error: Option<LastError>,
}

/// Something listeners registered with [`Client::on_notice`](crate::Client::on_notice) hear.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Notice {
    /// Connected (CONNACK accepted).
    Connected {
        /// Whether the server resumed the session.
        session_present: bool,
        /// CONNACK properties (5.0).
        properties: Properties,
    },
    /// A message arrived.
    Message(Message),
    /// A connection or attempt ended (`error` is `None` after a requested disconnect).
    Closed {
        /// Why, unless we asked for it.
        error: Option<LastError>,
    },
    /// The next attempt is scheduled.
    Reconnecting {
        /// Its number.
        attempt: u32,
        /// The delay before it.
        delay: Duration,
    },
    /// The browser went offline; attempts pause until it is back.
    Offline,
    /// Something went wrong: a connection error, or storage degraded to memory.
    Error(LastError),
    /// The status changed.
    Status(Status),
}

/// Describes why a connection ended.
pub(crate) fn describe(reason: &DisconnectReason, protocol: Protocol) -> LastError {
    let (message, code) = match reason {
        DisconnectReason::Refused { code, properties } => {
            // A 5.0 client talking to a 3.1.1-only broker gets a 3.1.1 CONNACK.
            let version = if protocol.is_v5() && properties.is_empty() {
                Protocol::V3_1_1
            } else {
                protocol
            };
            let mut m = format!(
                "connection refused: {}",
                code.name_in(PacketType::ConnAck, version)
            );
            add_details(&mut m, reason, properties);
            (m, Some(code.get()))
        }
        DisconnectReason::ByServer { code, properties } => {
            let mut m = format!(
                "the broker disconnected: {}",
                code.name_in(PacketType::Disconnect, protocol)
            );
            add_details(&mut m, reason, properties);
            (m, Some(code.get()))
        }
        DisconnectReason::ProtocolError { code, message, .. } => (
            format!("protocol error from the broker: {message}"),
            Some(code.get()),
        ),
        DisconnectReason::PingTimeout => ("no PINGRESP from the broker in time".into(), None),
        DisconnectReason::ConnectTimeout => ("no CONNACK from the broker in time".into(), None),
        DisconnectReason::Local { code } => ("disconnected".into(), Some(code.get())),
        DisconnectReason::TransportLost => ("connection lost".into(), None),
        DisconnectReason::InvalidOptions { error } => {
            (format!("the options make no valid CONNECT: {error}"), None)
        }
        _ => ("connection ended".into(), None),
    };
    LastError { message, code }
}

fn add_details(m: &mut String, reason: &DisconnectReason, properties: &Properties) {
    if let Some(r) = properties.reason_string() {
        m.push_str(" (");
        m.push_str(r);
        m.push(')');
    }
    if let Some(r) = reason.server_reference() {
        m.push_str("; the server points to ");
        m.push_str(r);
    }
}
