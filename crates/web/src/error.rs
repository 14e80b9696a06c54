//! Typed errors of the Rust API.

use std::fmt;
use switchboard_mqtt::codec::ReasonCode;
use switchboard_mqtt::session::SessionError;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A broker URL is not a `ws://` or `wss://` URL, or the browser refused it.
    InvalidUrl(String),
    /// The options cannot make a valid connection (the text says why).
    InvalidOptions(String),
    /// The session refused the command (bad topic or filter, QoS above the server's maximum,
    /// no packet identifier left, …); nothing was sent. A full queue is not an error: the
    /// publish waits for room (see [`Client::publish`](crate::Client::publish)).
    Session(SessionError),
    /// The server refused the connection (CONNACK with a failure code).
    Refused {
        /// The CONNACK reason code (5.0) or return code (3.x).
        code: u8,
        /// A description.
        message: String,
    },
    /// The first connection attempt failed before CONNACK (unreachable, closed, timed out,
    /// or a protocol error); [`Client::connect`](crate::Client::connect) gives up.
    ConnectFailed(String),
    /// The server refused a message or request with this reason code (PUBACK/PUBREC 0x80+).
    Rejected(ReasonCode),
    /// The client was closed (by [`Client::disconnect`](crate::Client::disconnect), by giving
    /// up reconnecting, or dropped) before the command completed. QoS 1/2 messages stay
    /// persisted for the next client with the same id.
    Closed,
    /// IndexedDB failed; the session continues in memory only.
    Storage(String),
    /// The browser lacks something the client needs (the text says what).
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl(u) => write!(f, "invalid broker URL: {u}"),
            Error::InvalidOptions(why) => write!(f, "invalid options: {why}"),
            Error::Session(e) => e.fmt(f),
            Error::Refused { code, message } => {
                write!(f, "connection refused ({code:#04x}): {message}")
            }
            Error::ConnectFailed(why) => write!(f, "cannot connect: {why}"),
            Error::Rejected(code) => {
                write!(
                    f,
                    "the server refused it: {:#04x} {}",
                    code.get(),
                    code.name()
                )
            }
            Error::Closed => f.write_str("the client is closed"),
            Error::Storage(why) => write!(f, "storage failed, continuing in memory: {why}"),
            Error::Unsupported(why) => write!(f, "not supported by this browser: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Error {
        Error::Session(e)
    }
}

impl Error {
    /// The MQTT reason code behind the error, if there is one.
    pub fn reason_code(&self) -> Option<u8> {
        match self {
            Error::Refused { code, .. } => Some(*code),
            Error::Rejected(code) => Some(code.get()),
            _ => None,
        }
    }
}
