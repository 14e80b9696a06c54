//! What a session is configured with.

use crate::codec::{ByteStr, Protocol, Will};
use bytes::Bytes;
use std::time::Duration;

/// How a [`Session`](super::Session) connects and behaves. Build one with
/// [`Options::new`] and set what you need.
#[derive(Debug, Clone)]
pub struct Options {
    /// Protocol version to speak.
    pub protocol: Protocol,
    /// Client identifier; empty asks the server to assign one (3.1.1 and 5.0).
    pub client_id: ByteStr,
    /// Clean Start (5.0) / Clean Session (3.x) for the first connection. In 5.0 later
    /// connections of the same session resume (Clean Start 0; `session_expiry` decides
    /// whether the server kept anything). In 3.x the flag is sent as set every time, so a
    /// clean session stays clean: the session then re-sends what the server never
    /// acknowledged as new messages and subscribes again.
    pub clean_start: bool,
    /// Keep Alive in seconds; 0 turns keepalive off.
    pub keep_alive: u16,
    /// Session Expiry Interval in seconds (5.0): how long the server keeps the session after
    /// the connection ends. `u32::MAX` never expires.
    pub session_expiry: u32,
    /// User name.
    pub username: Option<ByteStr>,
    /// Password.
    pub password: Option<Bytes>,
    /// Will message.
    pub will: Option<Will>,
    /// How many unacknowledged QoS 1/2 messages we accept from the server at once (5.0).
    pub receive_maximum: u16,
    /// How many QoS 1/2 messages we leave unacknowledged at once on a 3.x connection, where
    /// the server has no way to announce a Receive Maximum (in 5.0 the server's decides).
    /// By default as many as packet identifiers allow, as MQTT.js and most 3.1.1 clients do:
    /// a window of 20 halves QoS 1 throughput in a browser (`./scripts/bench-browser`).
    pub send_maximum_v3: u16,
    /// Of those, how many may be QoS 2. Servers limit these, and not always loudly: mosquitto
    /// drops incoming QoS 2 messages from a 3.1.1 client beyond its `max_inflight_messages`
    /// (20 by default) while still answering PUBREC, so the default is 20, what mosquitto's
    /// own clients send at most, too. QoS 1 has no such trap.
    pub send_maximum_v3_qos2: u16,
    /// Largest packet we accept, in bytes (5.0 tells the server; both versions enforce it).
    pub maximum_packet_size: Option<u32>,
    /// How many topic aliases the server may use towards us (5.0).
    pub topic_alias_maximum: u16,
    /// Whether to assign topic aliases to our own publishes when the server allows (5.0).
    pub outgoing_topic_aliases: bool,
    /// Ask the server for Response Information (5.0).
    pub request_response_information: bool,
    /// Ask the server to send Reason Strings and User Properties on errors (5.0). `None`
    /// leaves the property out (the server's default is on).
    pub request_problem_information: Option<bool>,
    /// User Properties to send in CONNECT (5.0).
    pub user_properties: Vec<(ByteStr, ByteStr)>,
    /// Authentication Method for enhanced authentication (5.0).
    pub authentication_method: Option<ByteStr>,
    /// Initial Authentication Data (5.0).
    pub authentication_data: Option<Bytes>,
    /// How long to wait for CONNACK (and each AUTH step) before giving up.
    pub connect_timeout: Duration,
    /// How long to wait for PINGRESP after a PINGREQ.
    pub ping_timeout: Duration,
    /// How many messages wait for a connection (or for the server's Receive Maximum) at most;
    /// messages sent and awaiting acknowledgement do not count. See
    /// [`Session::publish`](super::Session::publish) for the policy per QoS when it is full.
    pub queue_limit: usize,
}

impl Options {
    /// Options for `protocol` with client identifier `client_id`: clean start, 60 s keep
    /// alive, no session expiry, a 10,000-message queue, at most 20 QoS 2 messages in flight
    /// in 3.x.
    pub fn new(protocol: Protocol, client_id: impl Into<ByteStr>) -> Options {
        Options {
            protocol,
            client_id: client_id.into(),
            clean_start: true,
            keep_alive: 60,
            session_expiry: 0,
            username: None,
            password: None,
            will: None,
            receive_maximum: 65_535,
            send_maximum_v3: u16::MAX,
            send_maximum_v3_qos2: 20,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            outgoing_topic_aliases: true,
            request_response_information: false,
            request_problem_information: None,
            user_properties: Vec::new(),
            authentication_method: None,
            authentication_data: None,
            connect_timeout: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(10),
            queue_limit: 10_000,
        }
    }
}
