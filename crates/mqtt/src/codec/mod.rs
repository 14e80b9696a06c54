//! The MQTT wire format: every packet of MQTT 3.1 (`MQIsdp`, level 3), 3.1.1 (level 4) and
//! 5.0 (level 5), in both directions.
//!
//! Decoding is streaming ([`Decoder`]) and zero-copy: strings, topics, payloads and binary
//! properties are slices of the receive buffer. Encoding computes the exact size first and
//! writes once ([`Packet::encode`]). Every normative rule of the spec that can be checked on
//! the wire is checked, and each error names the rule it enforces ([`DecodeError::rule`]).

mod ack;
mod auth;
mod connack;
mod connect;
mod decoder;
mod disconnect;
mod error;
mod header;
mod packet;
mod properties;
mod publish;
mod read;
mod reason;
#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "serde")]
pub use serde_impl::{to_hex, Described};
mod strings;
mod subscribe;
mod types;
mod write;

pub use ack::PubResponse;
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, Will};
pub use decoder::{Decoder, Status};
pub use disconnect::Disconnect;
pub use error::{DecodeError, EncodeError};
pub use header::PacketType;
pub use packet::Packet;
pub use properties::{Properties, Property, PropertyId};
pub use publish::Publish;
pub use reason::ReasonCode;
pub use strings::ByteStr;
pub use subscribe::{
    RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe,
};
pub use types::{PacketId, Protocol, QoS};

/// The largest value a Variable Byte Integer can hold (268,435,455), and so the largest
/// remaining length of any packet.
pub const MAX_VARIABLE_BYTE_INTEGER: u32 = 268_435_455;
