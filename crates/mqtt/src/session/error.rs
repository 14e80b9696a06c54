//! Errors from session commands (invalid requests), never from the server's bytes.

use crate::codec::EncodeError;
use std::fmt;

/// Why a command was refused. Nothing was queued or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The topic name is not valid; the text says why.
    InvalidTopic(&'static str),
    /// A topic filter is not valid; the text says why.
    InvalidFilter(&'static str),
    /// The server does not allow this QoS (its Maximum QoS).
    QoSNotSupported,
    /// The server does not support retained messages.
    RetainNotSupported,
    /// The packet would exceed the server's Maximum Packet Size.
    PacketTooLarge {
        /// Its size.
        size: usize,
        /// The server's maximum.
        max: u32,
    },
    /// The queue is full of QoS 1/2 messages; try again once some are acknowledged.
    QueueFull,
    /// All 65,535 packet identifiers are in use.
    NoPacketIds,
    /// The packet cannot be encoded.
    Encode(EncodeError),
    /// The command needs a connection (AUTH) or a different version.
    NotAllowed(&'static str),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::InvalidTopic(why) => write!(f, "invalid topic: {why}"),
            SessionError::InvalidFilter(why) => write!(f, "invalid topic filter: {why}"),
            SessionError::QoSNotSupported => f.write_str("the server does not support this QoS"),
            SessionError::RetainNotSupported => {
                f.write_str("the server does not support retained messages")
            }
            SessionError::PacketTooLarge { size, max } => write!(
                f,
                "packet of {size} bytes exceeds the server's maximum packet size {max}"
            ),
            SessionError::QueueFull => f.write_str("the message queue is full"),
            SessionError::NoPacketIds => f.write_str("all packet identifiers are in use"),
            SessionError::Encode(e) => write!(f, "cannot encode: {e}"),
            SessionError::NotAllowed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for SessionError {}

impl From<EncodeError> for SessionError {
    fn from(e: EncodeError) -> SessionError {
        SessionError::Encode(e)
    }
}
