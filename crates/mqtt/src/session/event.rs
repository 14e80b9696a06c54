//! What a session reports to its driver and application.

use crate::codec::{ByteStr, DecodeError, EncodeError, PacketId, Properties, Publish, ReasonCode};

/// Something that happened, pulled with [`Session::poll_event`](super::Session::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The server accepted the connection.
    Connected {
        /// Whether the server resumed our session.
        session_present: bool,
        /// CONNACK properties (5.0): limits, assigned client id, …
        properties: Properties,
    },
    /// An application message arrived (delivered once, even for QoS 2 redeliveries). Its
    /// topic is resolved if the server used a Topic Alias.
    Message {
        /// The message.
        publish: Publish,
        /// The filters of our subscriptions it matched, from its Subscription Identifiers (5.0).
        subscriptions: Vec<ByteStr>,
    },
    /// A QoS 1 or 2 message we published is done: PUBACK, PUBCOMP, or a PUBREC refusal. It
    /// is also how the session reports a message it gave up on before sending it, with a
    /// Reason String saying why: its Message Expiry Interval passed while it waited (0x80),
    /// or the server it connected to does not accept it (0x95 Packet too large, 0x9B QoS not
    /// supported, 0x9A Retain not supported). Exactly one such event ends every identifier
    /// [`Session::publish`](super::Session::publish) returned.
    Published {
        /// The identifier [`Session::publish`](super::Session::publish) returned.
        packet_id: PacketId,
        /// Success, or why the server refused it.
        code: ReasonCode,
        /// Properties of the acknowledgement (5.0).
        properties: Properties,
    },
    /// A QoS 0 message waiting in the queue was dropped: the queue was full, its Message
    /// Expiry Interval passed, or the server it connected to does not accept it.
    Dropped {
        /// The message.
        publish: Publish,
    },
    /// The server answered a SUBSCRIBE.
    Subscribed {
        /// The identifier [`Session::subscribe`](super::Session::subscribe) returned.
        packet_id: PacketId,
        /// One code per filter: granted QoS, or a failure.
        codes: Vec<ReasonCode>,
        /// SUBACK properties (5.0).
        properties: Properties,
        /// Whether the session itself re-sent this after the server lost our session.
        resubscribe: bool,
    },
    /// The server answered an UNSUBSCRIBE.
    Unsubscribed {
        /// The identifier [`Session::unsubscribe`](super::Session::unsubscribe) returned.
        packet_id: PacketId,
        /// One code per filter (5.0; empty in 3.x).
        codes: Vec<ReasonCode>,
        /// UNSUBACK properties (5.0).
        properties: Properties,
    },
    /// The server continues an enhanced authentication exchange or re-authentication (5.0):
    /// answer with [`Session::auth`](super::Session::auth).
    AuthChallenge {
        /// Authentication Method.
        method: Option<ByteStr>,
        /// Authentication Data.
        data: Option<bytes::Bytes>,
        /// All AUTH properties.
        properties: Properties,
    },
    /// Re-authentication succeeded (5.0).
    Reauthenticated {
        /// AUTH properties.
        properties: Properties,
    },
    /// The connection is over; close the transport. Session state is kept for the next one.
    Disconnected(DisconnectReason),
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server refused CONNECT (CONNACK with a failure code).
    Refused {
        /// The Connect Reason Code (5.0) or return code (3.x).
        code: ReasonCode,
        /// CONNACK properties (5.0), including Server Reference for a redirect.
        properties: Properties,
    },
    /// The server sent DISCONNECT.
    ByServer {
        /// Its reason code.
        code: ReasonCode,
        /// Its properties: Reason String, Server Reference (redirect), …
        properties: Properties,
    },
    /// The server broke the protocol; we sent DISCONNECT with `code` (5.0) and closed.
    ProtocolError {
        /// The reason code sent: 0x81 malformed, 0x82 protocol error, 0x93, 0x94, 0x95, …
        code: ReasonCode,
        /// What was wrong.
        message: String,
        /// The decode error, when the bytes themselves were malformed.
        decode_error: Option<DecodeError>,
    },
    /// No PINGRESP arrived in time.
    PingTimeout,
    /// No CONNACK (or AUTH step) arrived in time.
    ConnectTimeout,
    /// We sent DISCONNECT ourselves.
    Local {
        /// The reason code we sent.
        code: ReasonCode,
    },
    /// The driver reported the transport gone (or started a new connection without
    /// ending this one).
    TransportLost,
    /// The options make a CONNECT that cannot be sent (an empty client identifier with 3.1,
    /// Will properties before 5.0, …); nothing was sent.
    InvalidOptions {
        /// Why the CONNECT cannot be encoded.
        error: EncodeError,
    },
}

impl DisconnectReason {
    /// The server a redirect (Use another server 0x9C / Server moved 0x9D) points to.
    pub fn server_reference(&self) -> Option<&ByteStr> {
        match self {
            DisconnectReason::Refused { code, properties }
            | DisconnectReason::ByServer { code, properties }
                if matches!(code.get(), 0x9C | 0x9D) =>
            {
                properties.server_reference()
            }
            _ => None,
        }
    }
}
