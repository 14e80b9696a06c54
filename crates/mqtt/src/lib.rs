//! # switchboard-mqtt
//!
//! A strict, zero-copy codec for every packet of MQTT 3.1, 3.1.1 and 5.0, topic helpers, and
//! a sans-IO client [`session`]. No I/O, no clock, no runtime: bytes in, bytes, events and
//! timeouts out.
//!
//! ```
//! use bytes::BytesMut;
//! use switchboard_mqtt::codec::{Decoder, Packet, Protocol};
//!
//! let mut decoder = Decoder::new(Protocol::V3_1_1);
//! // A PINGRESP split across two reads: the first byte alone is not a packet yet.
//! let mut buf = BytesMut::from(&[0xd0][..]);
//! assert!(decoder.decode(&mut buf)?.is_none());
//! buf.extend_from_slice(&[0x00]);
//! assert_eq!(decoder.decode(&mut buf)?, Some(Packet::PingResp));
//! # Ok::<(), switchboard_mqtt::codec::DecodeError>(())
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod codec;
pub mod session;
pub mod topic;
