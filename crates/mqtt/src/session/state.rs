//! `Session`: the state machine itself.

use super::event::{DisconnectReason, Event};
use super::options::Options;
use super::outgoing::{Outgoing, OutgoingStore, Stage};
use super::packet_ids::PacketIds;
use super::sorted::{SortedMap, SortedSet};
use super::{Instant, SessionError};
use crate::codec::{
    Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, Packet, PacketId,
    PacketType, Properties, Property, PropertyId, PubResponse, Publish, QoS, ReasonCode, Status,
    SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe,
};
use crate::topic;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Duration;

/// The timers a session asks its driver for; [`Session::poll_timeout`] gives the earliest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Send PINGREQ when nothing else was sent for the keep alive period.
    KeepAlive = 0,
    /// Give up on the connection when PINGRESP is late.
    PingResponse = 1,
    /// Give up when CONNACK (or the next AUTH step, also of a re-authentication) is late.
    Handshake = 2,
}
const TIMERS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No connection.
    Idle,
    /// CONNECT sent; waiting for CONNACK (or AUTH).
    Connecting,
    /// Connected.
    Connected,
}

/// What the server told us it allows (CONNACK properties, 5.0).
#[derive(Debug, Clone)]
struct ServerLimits {
    receive_maximum: u16,
    maximum_packet_size: Option<u32>,
    topic_alias_maximum: u16,
    maximum_qos: QoS,
    retain_available: bool,
    subscription_identifiers: bool,
    wildcard_subscriptions: bool,
    shared_subscriptions: bool,
    keep_alive: u16,
}

impl ServerLimits {
    fn defaults(keep_alive: u16) -> ServerLimits {
        ServerLimits {
            receive_maximum: u16::MAX,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            subscription_identifiers: true,
            wildcard_subscriptions: true,
            shared_subscriptions: true,
            keep_alive,
        }
    }
}

/// A subscription we hold, to make again if the server loses our session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    subscription: Subscription,
    identifier: Option<u32>,
}

/// A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement.
#[derive(Debug, Clone)]
enum Request {
    Subscribe {
        packet: Subscribe,
        identifier: Option<u32>,
        resubscribe: bool,
    },
    Unsubscribe(Unsubscribe),
}

impl Request {
    fn packet(&self) -> Packet {
        match self {
            Request::Subscribe { packet, .. } => Packet::Subscribe(packet.clone()),
            Request::Unsubscribe(u) => Packet::Unsubscribe(u.clone()),
        }
    }
}

/// Where an enhanced authentication exchange stands (5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthState {
    /// No exchange, or waiting for the server's next step.
    Waiting,
    /// The server sent Continue authentication; [`Session::auth`] answers it.
    Challenged,
}

/// An MQTT client session. See the [module docs](super) for how a driver uses it.
#[derive(Debug)]
pub struct Session {
    opts: Options,
    state: State,
    decoder: Decoder,
    rx: BytesMut,
    tx: VecDeque<Bytes>,
    events: VecDeque<Event>,
    ids: PacketIds,
    outgoing: OutgoingStore,
    /// QoS 2 messages delivered to the application whose PUBREL has not arrived: a PUBLISH
    /// with one of these identifiers is a redelivery and is not delivered again.
    incoming_qos2: SortedSet<u16>,
    /// Those of `incoming_qos2` the server sent (or sent again) on this connection: what
    /// counts against our Receive Maximum, since the server's send quota starts afresh
    /// with each connection [MQTT-4.9.0-1].
    incoming_quota: SortedSet<u16>,
    requests: SortedMap<u16, Request>,
    subscriptions: SortedMap<ByteStr, Held>,
    subscription_ids: SortedMap<u32, Vec<ByteStr>>,
    next_subscription_id: u32,
    server: ServerLimits,
    aliases_in: SortedMap<u16, ByteStr>,
    aliases_out: SortedMap<ByteStr, u16>,
    timers: [Option<Instant>; TIMERS],
    /// Whether any connection of this session has been accepted (later ones resume).
    established: bool,
    /// Whether a re-authentication we started is in progress.
    reauthenticating: bool,
    auth: AuthState,
    /// Clean Start of the last CONNECT.
    sent_clean_start: bool,
    /// Session Expiry Interval of the last CONNECT (5.0): DISCONNECT may not raise it from 0.
    sent_session_expiry: u32,
}

impl Session {
    /// A session that has not connected yet.
    pub fn new(opts: Options) -> Session {
        let mut decoder = Decoder::new(opts.protocol);
        if let Some(max) = opts.maximum_packet_size {
            decoder = decoder.with_max_packet_size(max.max(1) as usize);
        }
        let keep_alive = opts.keep_alive;
        Session {
            opts,
            state: State::Idle,
            decoder,
            rx: BytesMut::new(),
            tx: VecDeque::new(),
            events: VecDeque::new(),
            ids: PacketIds::new(),
            outgoing: OutgoingStore::default(),
            incoming_qos2: SortedSet::new(),
            incoming_quota: SortedSet::new(),
            requests: SortedMap::new(),
            subscriptions: SortedMap::new(),
            subscription_ids: SortedMap::new(),
            next_subscription_id: 1,
            server: ServerLimits::defaults(keep_alive),
            aliases_in: SortedMap::new(),
            aliases_out: SortedMap::new(),
            timers: [None; TIMERS],
            established: false,
            reauthenticating: false,
            auth: AuthState::Waiting,
            sent_clean_start: true,
            sent_session_expiry: 0,
        }
    }

    /// The options (the client identifier is the one the server assigned, if it did).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Whether the session is connected (CONNACK accepted and not disconnected since).
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// Messages waiting to be sent (or sent again), and QoS 1/2 messages sent on this
    /// connection but not yet acknowledged.
    pub fn pending(&self) -> (usize, usize) {
        (self.outgoing.queued(), self.outgoing.in_flight())
    }

    /// The subscriptions the session holds (made again if the server loses the session).
    pub fn subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.subscriptions.values().map(|h| &h.subscription)
    }

    /// Starts a connection: queues CONNECT. Call when the transport is open. The first
    /// connection uses `Options::clean_start`; later ones resume the session (5.0, or 3.x
    /// with Clean Session 0). A connection still open is ended first
    /// ([`DisconnectReason::TransportLost`]). If the options cannot make a CONNECT, the
    /// attempt ends at once with [`DisconnectReason::InvalidOptions`].
    pub fn connect(&mut self, now: Instant) {
        if self.state != State::Idle {
            self.end(DisconnectReason::TransportLost);
        }
        self.reset_connection();
        let o = &self.opts;
        let mut c = Connect::new(o.protocol, o.client_id.clone());
        // 5.0 resumes with Clean Start 0 (Session Expiry decides persistence); 3.x keeps
        // Clean Session as configured, so a clean session never becomes a persistent one.
        c.clean_start = o.clean_start && !(self.established && o.protocol.is_v5());
        c.keep_alive = o.keep_alive;
        c.username = o.username.clone();
        c.password = o.password.clone();
        c.will = o.will.clone();
        if o.protocol.is_v5() {
            let p = &mut c.properties;
            if o.session_expiry > 0 {
                p.push(Property::SessionExpiryInterval(o.session_expiry));
            }
            if o.receive_maximum != u16::MAX {
                p.push(Property::ReceiveMaximum(o.receive_maximum.max(1)));
            }
            if let Some(max) = o.maximum_packet_size {
                p.push(Property::MaximumPacketSize(max.max(1)));
            }
            if o.topic_alias_maximum > 0 {
                p.push(Property::TopicAliasMaximum(o.topic_alias_maximum));
            }
            if o.request_response_information {
                p.push(Property::RequestResponseInformation(1));
            }
            if let Some(r) = o.request_problem_information {
                p.push(Property::RequestProblemInformation(u8::from(r)));
            }
            for (k, v) in &o.user_properties {
                p.push(Property::UserProperty(k.clone(), v.clone()));
            }
            if let Some(m) = &o.authentication_method {
                p.push(Property::AuthenticationMethod(m.clone()));
                if let Some(d) = &o.authentication_data {
                    p.push(Property::AuthenticationData(d.clone()));
                }
            }
        }
        let packet = Packet::Connect(Box::new(c));
        let bytes = match packet.to_bytes(self.opts.protocol) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.events
                    .push_back(Event::Disconnected(DisconnectReason::InvalidOptions {
                        error,
                    }));
                return;
            }
        };
        if let Packet::Connect(c) = &packet {
            self.sent_clean_start = c.clean_start;
            self.sent_session_expiry = c.properties.session_expiry_interval().unwrap_or(0);
        }
        self.state = State::Connecting;
        self.tx.push_back(bytes);
        self.set_timer(Timer::Handshake, Some(now + self.opts.connect_timeout));
    }

    /// Clears what belongs to one network connection only.
    fn reset_connection(&mut self) {
        self.rx.clear();
        self.tx.clear();
        self.decoder.set_version(self.opts.protocol);
        self.aliases_in.clear();
        self.aliases_out.clear();
        self.incoming_quota.clear();
        self.timers = [None; TIMERS];
        self.server = ServerLimits::defaults(self.opts.keep_alive);
        self.reauthenticating = false;
        self.auth = AuthState::Waiting;
    }

    /// Feeds bytes the transport read. Any number of packets, or part of one, may arrive at
    /// once. A protocol violation by the server queues DISCONNECT (5.0) with the reason code
    /// the spec names and ends the connection with [`Event::Disconnected`]; nothing panics.
    /// Bytes that arrive while there is no connection are ignored.
    pub fn handle_bytes(&mut self, bytes: &[u8], now: Instant) {
        if self.state == State::Idle {
            return;
        }
        self.rx.extend_from_slice(bytes);
        self.decode_received(now);
    }

    /// [`Session::handle_bytes`] for a transport that writes the bytes itself: `write` fills
    /// `len` bytes at the end of the session's receive buffer. In the browser that is one copy
    /// from the WebSocket's `ArrayBuffer` straight into wasm memory, with no `Vec` (and its
    /// allocation and second copy) in between. While there is no connection, `write` is not
    /// called and the bytes are ignored.
    ///
    /// ```
    /// use switchboard_mqtt::codec::Protocol;
    /// use switchboard_mqtt::session::{Event, Instant, Options, Session};
    ///
    /// let now = Instant::now();
    /// let mut session = Session::new(Options::new(Protocol::V5, "demo"));
    /// session.connect(now);
    /// // What the transport read, still in its own buffer: a CONNACK (success).
    /// let frame: &[u8] = &[0x20, 0x03, 0x00, 0x00, 0x00];
    /// session.handle_bytes_with(frame.len(), |dst| dst.copy_from_slice(frame), now);
    /// assert!(matches!(session.poll_event(), Some(Event::Connected { .. })));
    /// ```
    pub fn handle_bytes_with(&mut self, len: usize, write: impl FnOnce(&mut [u8]), now: Instant) {
        if self.state == State::Idle {
            return;
        }
        let start = self.rx.len();
        self.rx.resize(start + len, 0);
        if let Some(dst) = self.rx.get_mut(start..) {
            write(dst);
        }
        self.decode_received(now);
    }

    /// Decodes and handles every whole packet in the receive buffer.
    fn decode_received(&mut self, now: Instant) {
        while self.state != State::Idle {
            match self.decoder.poll_as_client(&mut self.rx) {
                Ok(Status::Packet(packet)) => self.handle_packet(packet, now),
                Ok(Status::NeedMore { .. }) => break,
                Err(e) => {
                    let code = e.reason_code();
                    self.protocol_error(code, e.to_string(), Some(e), now);
                }
            }
        }
    }

    /// Reports what went wrong, sends DISCONNECT with `code` (5.0) and ends the connection.
    fn protocol_error(
        &mut self,
        code: ReasonCode,
        message: String,
        decode_error: Option<DecodeError>,
        now: Instant,
    ) {
        if self.opts.protocol.is_v5() {
            let d = Disconnect {
                code,
                properties: Properties::new(),
            };
            self.send(&Packet::Disconnect(d), now);
        }
        self.end(DisconnectReason::ProtocolError {
            code,
            message,
            decode_error,
        });
    }

    /// The connection is over: keep the session, forget the connection.
    fn end(&mut self, reason: DisconnectReason) {
        self.state = State::Idle;
        self.timers = [None; TIMERS];
        self.rx.clear();
        self.events.push_back(Event::Disconnected(reason));
    }

    fn handle_packet(&mut self, packet: Packet, now: Instant) {
        // Anything from the server shows the connection is alive.
        self.set_timer(Timer::PingResponse, None);
        match (self.state, packet) {
            (State::Connecting, Packet::ConnAck(ack)) => self.on_connack(ack, now),
            (State::Connecting, Packet::Auth(auth)) => self.on_auth(auth, now),
            (State::Connected, Packet::Publish(p)) => self.on_publish(p, now),
            (State::Connected, Packet::PubAck(a)) => self.on_puback(a, now),
            (State::Connected, Packet::PubRec(a)) => self.on_pubrec(a, now),
            (State::Connected, Packet::PubRel(a)) => self.on_pubrel(a, now),
            (State::Connected, Packet::PubComp(a)) => self.on_pubcomp(a, now),
            (State::Connected, Packet::SubAck(a)) => self.on_suback(a, now),
            (State::Connected, Packet::UnsubAck(a)) => self.on_unsuback(a, now),
            (State::Connected, Packet::PingResp) => {}
            (State::Connected, Packet::Auth(auth)) => self.on_auth(auth, now),
            (_, Packet::Disconnect(d)) => self.end(DisconnectReason::ByServer {
                code: d.code,
                properties: d.properties,
            }),
            (_, other) => {
                // A second CONNACK, anything but CONNACK/AUTH before CONNACK, or a packet
                // only a client sends.
                let message = format!(
                    "unexpected {} from the server{}",
                    other.packet_type(),
                    if self.state == State::Connecting {
                        " before CONNACK"
                    } else {
                        ""
                    }
                );
                self.protocol_error(ReasonCode::PROTOCOL_ERROR, message, None, now);
            }
        }
    }

    fn on_connack(&mut self, ack: ConnAck, now: Instant) {
        self.set_timer(Timer::Handshake, None);
        self.auth = AuthState::Waiting;
        if ack.code != ReasonCode::SUCCESS {
            self.end(DisconnectReason::Refused {
                code: ack.code,
                properties: ack.properties,
            });
            return;
        }
        if ack.session_present && self.sent_clean_start {
            // We asked for a clean start and the server claims a session [MQTT-3.2.2-2 in
            // 5.0, MQTT-3.2.2-1 in 3.1.1].
            let msg = "CONNACK reports a session present after a clean start".to_string();
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        let p = &ack.properties;
        let s = &mut self.server;
        s.receive_maximum = if self.opts.protocol.is_v5() {
            p.receive_maximum().unwrap_or(u16::MAX)
        } else {
            self.opts.send_maximum_v3.max(1)
        };
        s.maximum_packet_size = p.maximum_packet_size();
        s.topic_alias_maximum = if self.opts.outgoing_topic_aliases {
            p.topic_alias_maximum().unwrap_or(0)
        } else {
            0
        };
        s.maximum_qos = match p.maximum_qos() {
            Some(0) => QoS::AtMostOnce,
            Some(1) => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        };
        s.retain_available = p.retain_available().unwrap_or(true);
        s.subscription_identifiers = p.subscription_identifier_available().unwrap_or(true);
        s.wildcard_subscriptions = p.wildcard_subscription_available().unwrap_or(true);
        s.shared_subscriptions = p.shared_subscription_available().unwrap_or(true);
        if let Some(k) = p.server_keep_alive() {
            // The server's value wins [MQTT-3.2.2-21]; 0 turns keep alive off.
            s.keep_alive = k;
        }
        if let Some(id) = p.assigned_client_identifier() {
            self.opts.client_id = id.clone();
        }
        self.state = State::Connected;
        self.established = true;
        self.arm_keep_alive(now);
        self.events.push_back(Event::Connected {
            session_present: ack.session_present,
            properties: ack.properties,
        });
        if ack.session_present {
            self.resume(now);
        } else {
            self.start_over(now);
        }
        self.flush_queue(now);
    }

    /// The server kept our session: PUBREL again what it acknowledged with PUBREC (in PUBREC
    /// order), and line up the unacknowledged PUBLISHes to be sent again with DUP and their
    /// original identifiers, in publish order [MQTT-4.4.0-1, MQTT-4.6.0-1]. They go out
    /// through the queue, so the new connection's Receive Maximum holds for them too.
    fn resume(&mut self, now: Instant) {
        for id in self.outgoing.released_order() {
            self.send(&Packet::PubRel(PubResponse::new(id)), now);
        }
        self.outgoing.requeue(true);
        self.resend_requests(now);
    }

    /// The server has no session for us: what it had acknowledged stays done, what it had not
    /// is sent again as new, and every subscription is made again.
    fn start_over(&mut self, now: Instant) {
        // The server will not send PUBREL for what it sent before: forget those identifiers,
        // or a new message that reuses one would be taken for a duplicate.
        self.incoming_qos2.clear();
        self.incoming_quota.clear();
        for id in self.outgoing.released_order() {
            // PUBREC said the server had it; only the PUBCOMP went missing.
            self.outgoing.remove(id);
            self.ids.release(id);
            self.events.push_back(Event::Published {
                packet_id: id,
                code: ReasonCode::SUCCESS,
                properties: Properties::new(),
            });
        }
        self.outgoing.requeue(false);
        self.resend_requests(now);
        if self.subscriptions.is_empty() {
            return;
        }
        // Filters a pending SUBSCRIBE or UNSUBSCRIBE names: that request decides.
        let pending: SortedSet<ByteStr> = self
            .requests
            .values()
            .flat_map(|r| match r {
                Request::Subscribe { packet, .. } => packet
                    .subscriptions
                    .iter()
                    .map(|s| s.filter.clone())
                    .collect(),
                Request::Unsubscribe(u) => u.filters.clone(),
            })
            .collect();
        // One SUBSCRIBE per Subscription Identifier, as they were made.
        let mut groups: SortedMap<Option<u32>, Vec<Subscription>> = SortedMap::new();
        for held in self.subscriptions.values() {
            if !pending.contains(&held.subscription.filter) {
                let subscription = held.subscription.clone();
                match groups.get_mut(&held.identifier) {
                    Some(group) => group.push(subscription),
                    None => {
                        groups.insert(held.identifier, vec![subscription]);
                    }
                }
            }
        }
        for (identifier, subscriptions) in groups {
            let Some(packet_id) = self.ids.allocate() else {
                break;
            };
            let mut properties = Properties::new();
            if let (Some(i), true) = (identifier, self.opts.protocol.is_v5()) {
                properties.push(Property::SubscriptionIdentifier(i));
            }
            let request = Request::Subscribe {
                packet: Subscribe {
                    packet_id,
                    properties,
                    subscriptions,
                },
                identifier,
                resubscribe: true,
            };
            self.requests.insert(packet_id.get(), request);
            self.send_request(packet_id.get(), now);
        }
    }

    fn resend_requests(&mut self, now: Instant) {
        let ids: Vec<u16> = self.requests.keys().copied().collect();
        for id in ids {
            self.send_request(id, now);
        }
    }

    /// Sends a pending SUBSCRIBE or UNSUBSCRIBE. A server that said it has no Subscription
    /// Identifiers (3.2.2.3.12) would close the connection over one (DISCONNECT 0xA1), so a
    /// request made before its CONNACK goes without, and the subscription is held without.
    fn send_request(&mut self, id: u16, now: Instant) {
        let strip = self.opts.protocol.is_v5() && !self.server.subscription_identifiers;
        let Some(request) = self.requests.get_mut(&id) else {
            return;
        };
        if let (
            true,
            Request::Subscribe {
                packet, identifier, ..
            },
        ) = (strip, &mut *request)
        {
            packet.properties.remove(PropertyId::SubscriptionIdentifier);
            *identifier = None;
        }
        let packet = request.packet();
        self.send(&packet, now);
    }

    /// Sends queued messages, in publish order, while the server's Receive Maximum leaves
    /// room. A message transmitted before to this server session goes again with DUP and
    /// unchanged; one never transmitted has its Message Expiry Interval lowered by the time
    /// it waited, or is given up when that ran out.
    fn flush_queue(&mut self, now: Instant) {
        // A message given up leaves room for one more: look again until none is.
        let mut gave_up = true;
        while gave_up {
            gave_up = false;
            if self.state != State::Connected || self.outgoing.queued() == 0 {
                return;
            }
            let room =
                usize::from(self.server.receive_maximum).saturating_sub(self.outgoing.in_flight());
            for (seq, id) in self.outgoing.queued_order(room) {
                let Some(out) = self.outgoing.get_seq(seq) else {
                    continue;
                };
                if id.is_some() && !self.window_open(out.publish.qos) {
                    // Later messages wait too, to keep publish order.
                    break;
                }
                let mut publish = out.publish.clone();
                if out.transmitted {
                    publish.dup = true;
                } else if let Some(at) = out.published_at {
                    if !age_expiry(&mut publish, now.saturating_duration_since(at)) {
                        // The server would not deliver it either [MQTT-3.3.2-5].
                        self.give_up(
                            seq,
                            ReasonCode::UNSPECIFIED_ERROR,
                            "the Message Expiry Interval passed before the message could be sent",
                        );
                        gave_up = true;
                        continue;
                    }
                }
                // The limits of the server we are connected to now (it may not be the one that
                // was there when the message was published).
                if let Err(e) = self.server_accepts(&publish) {
                    let (code, why) = match e {
                        SessionError::QoSNotSupported => (
                            ReasonCode::QOS_NOT_SUPPORTED,
                            "the server does not support this QoS",
                        ),
                        SessionError::RetainNotSupported => (
                            ReasonCode::RETAIN_NOT_SUPPORTED,
                            "the server does not support retained messages",
                        ),
                        SessionError::PacketTooLarge { .. } => (
                            ReasonCode::PACKET_TOO_LARGE,
                            "the message exceeds the server's Maximum Packet Size",
                        ),
                        _ => (
                            ReasonCode::UNSPECIFIED_ERROR,
                            "the message cannot be encoded",
                        ),
                    };
                    self.give_up(seq, code, why);
                    gave_up = true;
                    continue;
                }
                match id {
                    Some(_) => self.outgoing.mark_sent(seq),
                    None => {
                        self.outgoing.take_seq(seq);
                    }
                }
                self.transmit_publish(publish, now);
            }
        }
    }

    /// Drops a queued message the session will not send, and says so: [`Event::Published`]
    /// with `code` (and `why` as Reason String) for QoS 1/2, [`Event::Dropped`] for QoS 0.
    fn give_up(&mut self, seq: u64, code: ReasonCode, why: &'static str) {
        let Some(out) = self.outgoing.take_seq(seq) else {
            return;
        };
        match out.publish.packet_id {
            Some(id) => {
                self.ids.release(id);
                let mut properties = Properties::new();
                properties.push(Property::ReasonString(ByteStr::from_static(why)));
                self.events.push_back(Event::Published {
                    packet_id: id,
                    code,
                    properties,
                });
            }
            None => self.events.push_back(Event::Dropped {
                publish: out.publish,
            }),
        }
    }

    /// Publishes a message. QoS 0 is sent now if connected, else queued; QoS 1 and 2 get a
    /// packet identifier (returned) and are sent now if connected and the server's Receive
    /// Maximum allows, else queued, and are kept until acknowledged
    /// ([`Event::Published`]), across reconnects.
    ///
    /// Queue policy (`Options::queue_limit` bounds the messages waiting to be sent):
    /// - QoS 0: queued while offline; when the queue is full the *oldest queued QoS 0*
    ///   message is dropped ([`Event::Dropped`]) to make room for any new message. Lost with
    ///   the transport once written (at most once).
    /// - QoS 1 and 2: never dropped. When the queue is full and holds no QoS 0 message to
    ///   drop, the new message is refused with [`SessionError::QueueFull`]; try again after
    ///   an [`Event::Published`]. Messages in flight (sent, not yet acknowledged) do not
    ///   count against the limit.
    ///
    /// While connected, the server's Maximum QoS, Retain Available and Maximum Packet Size
    /// refuse a message at once; a message queued while offline is checked against the
    /// server it is finally sent to.
    pub fn publish(
        &mut self,
        topic: impl Into<ByteStr>,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
        now: Instant,
    ) -> Result<Option<PacketId>, SessionError> {
        let mut p = Publish::new(topic, payload);
        p.qos = qos;
        p.retain = retain;
        self.publish_packet(p, now)
    }

    /// Publishes a prepared PUBLISH (for properties); its packet identifier and DUP flag
    /// are set by the session. See [`Session::publish`].
    pub fn publish_packet(
        &mut self,
        mut publish: Publish,
        now: Instant,
    ) -> Result<Option<PacketId>, SessionError> {
        topic::validate_name(&publish.topic).map_err(SessionError::InvalidTopic)?;
        if publish.properties.topic_alias().is_some() {
            return Err(SessionError::NotAllowed(
                "topic aliases are assigned by the session (Options::outgoing_topic_aliases)",
            ));
        }
        if publish
            .properties
            .subscription_identifiers()
            .next()
            .is_some()
        {
            return Err(SessionError::NotAllowed(
                "a PUBLISH from a client may not carry a Subscription Identifier [MQTT-3.3.4-6]",
            ));
        }
        publish.dup = false;
        publish.packet_id = if publish.qos == QoS::AtMostOnce {
            None
        } else {
            // A stand-in of the same size, to check the packet before taking an identifier.
            PacketId::new(1)
        };
        let connected = self.state == State::Connected;
        if connected {
            self.server_accepts(&publish)?;
        } else {
            publish.encoded_len(self.opts.protocol)?;
        }
        if publish.qos == QoS::AtMostOnce {
            if connected && self.outgoing.queued() == 0 {
                self.transmit_publish(publish, now);
                return Ok(None);
            }
            self.make_room()?;
            self.outgoing.push(Outgoing {
                publish,
                stage: Stage::Queued,
                published_at: Some(now),
                transmitted: false,
            });
            return Ok(None);
        }
        let can_send = connected && self.outgoing.queued() == 0 && self.window_open(publish.qos);
        if !can_send {
            self.make_room()?;
        }
        let id = self.ids.allocate().ok_or(SessionError::NoPacketIds)?;
        publish.packet_id = Some(id);
        if can_send {
            self.transmit_publish(publish.clone(), now);
        }
        self.outgoing.push(Outgoing {
            publish,
            stage: if can_send { Stage::Sent } else { Stage::Queued },
            published_at: Some(now),
            transmitted: can_send,
        });
        Ok(Some(id))
    }

    /// Whether one more QoS `qos` message may be in flight: under the server's Receive
    /// Maximum (5.0) or our own window (3.x), and on 3.x under the QoS 2 window too.
    fn window_open(&self, qos: QoS) -> bool {
        self.outgoing.in_flight() < usize::from(self.server.receive_maximum)
            && (qos != QoS::ExactlyOnce
                || self.opts.protocol.is_v5()
                || self.outgoing.in_flight_qos2()
                    < usize::from(self.opts.send_maximum_v3_qos2.max(1)))
    }

    /// Checks the message can be encoded and that the connected server takes it: its
    /// Maximum QoS [MQTT-3.2.2-11], Retain Available [MQTT-3.2.2-14] and Maximum Packet
    /// Size [MQTT-3.2.2-15].
    fn server_accepts(&self, publish: &Publish) -> Result<(), SessionError> {
        let size = publish.encoded_len(self.opts.protocol)?;
        if publish.qos > self.server.maximum_qos {
            return Err(SessionError::QoSNotSupported);
        }
        if publish.retain && !self.server.retain_available {
            return Err(SessionError::RetainNotSupported);
        }
        self.fits(size)
    }

    fn fits(&self, size: usize) -> Result<(), SessionError> {
        match self.server.maximum_packet_size {
            Some(max) if size > max as usize => Err(SessionError::PacketTooLarge { size, max }),
            _ => Ok(()),
        }
    }

    fn make_room(&mut self) -> Result<(), SessionError> {
        if self.outgoing.queued() < self.opts.queue_limit {
            return Ok(());
        }
        match self.outgoing.drop_oldest_qos0() {
            Some(out) => {
                self.events.push_back(Event::Dropped {
                    publish: out.publish,
                });
                Ok(())
            }
            None => Err(SessionError::QueueFull),
        }
    }

    /// Sends a PUBLISH, replacing its topic with a Topic Alias where the server allows
    /// (aliases are assigned in order up to the server's Topic Alias Maximum and belong to
    /// this connection only). An alias is not used where it would make the packet exceed
    /// the server's Maximum Packet Size.
    fn transmit_publish(&mut self, publish: Publish, now: Instant) {
        let mut aliased = None;
        if self.server.topic_alias_maximum > 0 && self.opts.protocol.is_v5() {
            let mut p = publish.clone();
            if let Some(&alias) = self.aliases_out.get(&publish.topic) {
                p.topic = ByteStr::new();
                p.properties.push(Property::TopicAlias(alias));
                aliased = Some((p, None));
            } else if self.aliases_out.len() < usize::from(self.server.topic_alias_maximum) {
                let alias = u16::try_from(self.aliases_out.len() + 1).unwrap_or(u16::MAX);
                p.properties.push(Property::TopicAlias(alias));
                aliased = Some((p, Some(alias)));
            }
        }
        if let Some((p, new_alias)) = aliased {
            let fits = p
                .encoded_len(self.opts.protocol)
                .is_ok_and(|size| self.fits(size).is_ok());
            if fits {
                if let Some(alias) = new_alias {
                    self.aliases_out.insert(publish.topic.clone(), alias);
                }
                self.send(&Packet::Publish(p), now);
                return;
            }
        }
        self.send(&Packet::Publish(publish), now);
    }

    /// The filters of our subscriptions (held, or still waiting for SUBACK: the server may
    /// send matching messages before SUBACK) that carry Subscription Identifier `i`.
    fn filters_for(&self, i: u32, out: &mut Vec<ByteStr>) {
        let held = self.subscription_ids.get(&i).into_iter().flatten();
        let pending = self
            .requests
            .values()
            .filter_map(|r| match r {
                Request::Subscribe {
                    packet,
                    identifier: Some(id),
                    ..
                } if *id == i => Some(packet.subscriptions.iter().map(|s| &s.filter)),
                _ => None,
            })
            .flatten();
        for f in held.chain(pending) {
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
    }

    fn on_publish(&mut self, mut p: Publish, now: Instant) {
        if let Some(alias) = p.properties.topic_alias() {
            if alias > self.opts.topic_alias_maximum {
                // [MQTT-3.3.2-10]
                let msg = format!(
                    "Topic Alias {alias} exceeds our Topic Alias Maximum {}",
                    self.opts.topic_alias_maximum
                );
                self.protocol_error(ReasonCode::TOPIC_ALIAS_INVALID, msg, None, now);
                return;
            }
            if p.topic.is_empty() {
                match self.aliases_in.get(&alias) {
                    Some(t) => p.topic = t.clone(),
                    None => {
                        // A Protocol Error, as 3.3.4 says for an alias with no mapping.
                        let msg = format!("unknown Topic Alias {alias}");
                        self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
                        return;
                    }
                }
            } else {
                self.aliases_in.insert(alias, p.topic.clone());
            }
        }
        let mut subscriptions = Vec::new();
        for i in p.properties.subscription_identifiers() {
            self.filters_for(i, &mut subscriptions);
        }
        match (p.qos, p.packet_id) {
            (QoS::AtLeastOnce, Some(id)) => {
                self.events.push_back(Event::Message {
                    publish: p,
                    subscriptions,
                });
                self.send(&Packet::PubAck(PubResponse::new(id)), now);
            }
            (QoS::ExactlyOnce, Some(id)) => {
                if self.opts.protocol.is_v5()
                    && !self.incoming_quota.contains(&id.get())
                    && self.incoming_quota.len() >= usize::from(self.opts.receive_maximum.max(1))
                {
                    // [MQTT-3.3.4-9]
                    let msg = format!(
                        "the server exceeded our Receive Maximum {}",
                        self.opts.receive_maximum.max(1)
                    );
                    self.protocol_error(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED, msg, None, now);
                    return;
                }
                self.incoming_quota.insert(id.get());
                if self.incoming_qos2.insert(id.get()) {
                    self.events.push_back(Event::Message {
                        publish: p,
                        subscriptions,
                    });
                }
                // A duplicate is acknowledged again but not delivered again.
                self.send(&Packet::PubRec(PubResponse::new(id)), now);
            }
            _ => self.events.push_back(Event::Message {
                publish: p,
                subscriptions,
            }),
        }
    }

    fn finish(&mut self, id: PacketId, code: ReasonCode, properties: Properties, now: Instant) {
        self.outgoing.remove(id);
        self.ids.release(id);
        self.events.push_back(Event::Published {
            packet_id: id,
            code,
            properties,
        });
        self.flush_queue(now);
    }

    /// PUBACK. One for an identifier nothing is waiting on (a duplicate, or a PUBACK for a
    /// QoS 2 message) changes nothing: the spec gives no reason code for it, and ignoring it
    /// cannot lose or duplicate a message.
    fn on_puback(&mut self, a: PubResponse, now: Instant) {
        match self.outgoing.get(a.packet_id) {
            Some(o) if o.stage == Stage::Sent && o.publish.qos == QoS::AtLeastOnce => {
                self.finish(a.packet_id, a.code, a.properties, now);
            }
            _ => {}
        }
    }

    fn on_pubrec(&mut self, a: PubResponse, now: Instant) {
        let stage = self
            .outgoing
            .get(a.packet_id)
            .filter(|o| o.publish.qos == QoS::ExactlyOnce)
            .map(|o| o.stage);
        match stage {
            // A refusal ends the exchange: PUBREL follows only a PUBREC below 0x80
            // [MQTT-4.3.3-4], and the identifier is free again (4.3.3).
            Some(Stage::Sent) if !a.code.is_success() => {
                self.finish(a.packet_id, a.code, a.properties, now);
            }
            Some(Stage::Sent) | Some(Stage::Released) => {
                self.outgoing.mark_released(a.packet_id);
                self.send(&Packet::PubRel(PubResponse::new(a.packet_id)), now);
            }
            // PUBREC for a message we never sent (or a QoS 1 one): answer so the server can
            // finish its side, saying the identifier is unknown (5.0).
            _ => {
                let mut rel = PubResponse::new(a.packet_id);
                if self.opts.protocol.is_v5() {
                    rel.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
                }
                self.send(&Packet::PubRel(rel), now);
            }
        }
    }

    fn on_pubrel(&mut self, a: PubResponse, now: Instant) {
        let mut comp = PubResponse::new(a.packet_id);
        self.incoming_quota.remove(&a.packet_id.get());
        if !self.incoming_qos2.remove(&a.packet_id.get()) && self.opts.protocol.is_v5() {
            comp.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
        }
        self.send(&Packet::PubComp(comp), now);
    }

    /// PUBCOMP. One for a message not released (unknown, or no PUBREC yet) is ignored, as
    /// for PUBACK.
    fn on_pubcomp(&mut self, a: PubResponse, now: Instant) {
        if let Some(Stage::Released) = self.outgoing.get(a.packet_id).map(|o| o.stage) {
            self.finish(a.packet_id, a.code, a.properties, now);
        }
    }

    fn on_suback(&mut self, a: SubAck, now: Instant) {
        let expected = match self.requests.get(&a.packet_id.get()) {
            // Nothing waits for it: a duplicate; ignored as for PUBACK.
            None => return,
            Some(Request::Unsubscribe(_)) => {
                let msg = format!("SUBACK {} answers an UNSUBSCRIBE", a.packet_id);
                self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
                return;
            }
            Some(Request::Subscribe { packet, .. }) => packet.subscriptions.len(),
        };
        if a.codes.len() != expected {
            // [MQTT-3.8.4-6, 3.9.3]: one code per filter. The request stays pending, to be
            // sent again on the next connection.
            let msg = format!(
                "SUBACK {} has {} reason codes for {expected} topic filters",
                a.packet_id,
                a.codes.len()
            );
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        let Some(Request::Subscribe {
            packet,
            identifier,
            resubscribe,
        }) = self.requests.remove(&a.packet_id.get())
        else {
            return;
        };
        self.ids.release(a.packet_id);
        for (sub, code) in packet.subscriptions.iter().zip(&a.codes) {
            if code.is_success() {
                self.hold(sub.clone(), identifier);
            } else if resubscribe {
                // The server no longer takes it: it is not ours any more either.
                self.unhold(&sub.filter);
            }
        }
        self.events.push_back(Event::Subscribed {
            packet_id: a.packet_id,
            codes: a.codes,
            properties: a.properties,
            resubscribe,
        });
    }

    fn hold(&mut self, subscription: Subscription, identifier: Option<u32>) {
        let filter = subscription.filter.clone();
        if let Some(old) = self.subscriptions.insert(
            filter.clone(),
            Held {
                subscription,
                identifier,
            },
        ) {
            self.forget_identifier(&filter, old.identifier);
        }
        if let Some(i) = identifier {
            match self.subscription_ids.get_mut(&i) {
                Some(filters) => filters.push(filter),
                None => {
                    self.subscription_ids.insert(i, vec![filter]);
                }
            }
        }
    }

    fn unhold(&mut self, filter: &ByteStr) {
        if let Some(old) = self.subscriptions.remove(filter) {
            self.forget_identifier(filter, old.identifier);
        }
    }

    fn forget_identifier(&mut self, filter: &ByteStr, identifier: Option<u32>) {
        if let Some(i) = identifier {
            if let Some(list) = self.subscription_ids.get_mut(&i) {
                list.retain(|f| f != filter);
                if list.is_empty() {
                    self.subscription_ids.remove(&i);
                }
            }
        }
    }

    fn on_unsuback(&mut self, a: UnsubAck, now: Instant) {
        let expected = match self.requests.get(&a.packet_id.get()) {
            None => return,
            Some(Request::Subscribe { .. }) => {
                let msg = format!("UNSUBACK {} answers a SUBSCRIBE", a.packet_id);
                self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
                return;
            }
            Some(Request::Unsubscribe(u)) => u.filters.len(),
        };
        // 5.0 has one code per filter (3.11.3); 3.x has none.
        let wanted = if self.opts.protocol.is_v5() {
            expected
        } else {
            0
        };
        if a.codes.len() != wanted {
            let msg = format!(
                "UNSUBACK {} has {} reason codes for {expected} topic filters",
                a.packet_id,
                a.codes.len()
            );
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        let Some(Request::Unsubscribe(u)) = self.requests.remove(&a.packet_id.get()) else {
            return;
        };
        self.ids.release(a.packet_id);
        for (i, filter) in u.filters.iter().enumerate() {
            // A refused UNSUBSCRIBE (0x80 and up) leaves the subscription in place; 0x11 No
            // subscription existed is a success.
            let removed = a.codes.get(i).is_none_or(|c| c.is_success());
            if removed {
                self.unhold(filter);
            }
        }
        self.events.push_back(Event::Unsubscribed {
            packet_id: a.packet_id,
            codes: a.codes,
            properties: a.properties,
        });
    }

    fn on_auth(&mut self, a: Auth, now: Instant) {
        let Some(method) = self
            .opts
            .authentication_method
            .clone()
            .filter(|_| self.opts.protocol.is_v5())
        else {
            // No AUTH unless the CONNECT had an Authentication Method (4.12).
            let msg = "AUTH without enhanced authentication".to_string();
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        };
        let given = a.properties.authentication_method();
        // The method may not change within an exchange, nor be left out (3.15.2.2.2) —
        // except from an AUTH Success sent in its short form, with no properties at all.
        let short_success = a.code == ReasonCode::SUCCESS && a.properties.is_empty();
        if given != Some(&method) && !short_success {
            // Quoted by hand: `{:?}` would bring string escaping and Unicode tables into
            // the browser bundle for this one message.
            let msg = match given {
                Some(m) => format!(
                    "AUTH with Authentication Method \"{}\", not \"{}\"",
                    m.as_str(),
                    method.as_str()
                ),
                None => format!(
                    "AUTH without Authentication Method, not \"{}\"",
                    method.as_str()
                ),
            };
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        let in_exchange = self.state == State::Connecting || self.reauthenticating;
        match a.code {
            ReasonCode::CONTINUE_AUTHENTICATION if in_exchange => {
                self.set_timer(Timer::Handshake, Some(now + self.opts.connect_timeout));
                self.auth = AuthState::Challenged;
                self.events.push_back(Event::AuthChallenge {
                    method: Some(method),
                    data: a.properties.authentication_data().cloned(),
                    properties: a.properties,
                });
            }
            ReasonCode::SUCCESS if self.state == State::Connected && self.reauthenticating => {
                self.reauthenticating = false;
                self.auth = AuthState::Waiting;
                self.set_timer(Timer::Handshake, None);
                self.events.push_back(Event::Reauthenticated {
                    properties: a.properties,
                });
            }
            _ => {
                // Success during CONNECT (that is CONNACK's job), Re-authenticate from the
                // server, or anything outside an exchange.
                let msg = format!("unexpected AUTH with reason {}", a.code);
                self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            }
        }
    }

    /// Subscribes. In 5.0, when the server supports it, the subscriptions get a
    /// Subscription Identifier so [`Event::Message`] can say which of them a message matched.
    /// Sent now if connected, else when the connection is up.
    pub fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        now: Instant,
    ) -> Result<PacketId, SessionError> {
        self.subscribe_with(subscriptions, Properties::new(), now)
    }

    /// Subscribes with SUBSCRIBE properties (User Properties; a Subscription Identifier given
    /// here is used instead of an assigned one). While connected, filters the server said it
    /// does not support (wildcards, shared subscriptions) are refused here rather than by a
    /// DISCONNECT from the server.
    pub fn subscribe_with(
        &mut self,
        subscriptions: Vec<Subscription>,
        mut properties: Properties,
        now: Instant,
    ) -> Result<PacketId, SessionError> {
        if subscriptions.is_empty() {
            return Err(SessionError::InvalidFilter(
                "at least one topic filter is needed",
            ));
        }
        for s in &subscriptions {
            topic::validate_filter(&s.filter).map_err(SessionError::InvalidFilter)?;
            if self.state == State::Connected {
                if !self.server.shared_subscriptions && topic::is_shared(&s.filter) {
                    return Err(SessionError::NotAllowed(
                        "the server does not support shared subscriptions",
                    ));
                }
                if !self.server.wildcard_subscriptions && s.filter.contains(['+', '#']) {
                    return Err(SessionError::NotAllowed(
                        "the server does not support wildcard subscriptions",
                    ));
                }
            }
        }
        let v5 = self.opts.protocol.is_v5();
        let mut identifier = properties.subscription_identifiers().next();
        if identifier.is_some()
            && self.state == State::Connected
            && !self.server.subscription_identifiers
        {
            return Err(SessionError::NotAllowed(
                "the server does not support Subscription Identifiers",
            ));
        }
        let assign = v5 && identifier.is_none() && self.server.subscription_identifiers;
        let packet_id = self.ids.allocate().ok_or(SessionError::NoPacketIds)?;
        if assign {
            let i = self.next_subscription_id;
            properties.push(Property::SubscriptionIdentifier(i));
            identifier = Some(i);
        }
        let packet = Subscribe {
            packet_id,
            properties,
            subscriptions,
        };
        if let Err(e) = self.check_request(&Packet::Subscribe(packet.clone())) {
            self.ids.release(packet_id);
            return Err(e);
        }
        if assign {
            self.next_subscription_id =
                if self.next_subscription_id >= crate::codec::MAX_VARIABLE_BYTE_INTEGER {
                    1
                } else {
                    self.next_subscription_id + 1
                };
        }
        self.requests.insert(
            packet_id.get(),
            Request::Subscribe {
                packet,
                identifier,
                resubscribe: false,
            },
        );
        if self.state == State::Connected {
            self.send_request(packet_id.get(), now);
        }
        Ok(packet_id)
    }

    /// Checks a SUBSCRIBE or UNSUBSCRIBE can be encoded and fits the server's Maximum Packet
    /// Size.
    fn check_request(&self, packet: &Packet) -> Result<(), SessionError> {
        let size = packet.encoded_len(self.opts.protocol)?;
        self.fits(size)
    }

    /// Unsubscribes. Sent now if connected, else when the connection is up.
    pub fn unsubscribe(
        &mut self,
        filters: Vec<ByteStr>,
        now: Instant,
    ) -> Result<PacketId, SessionError> {
        self.unsubscribe_with(filters, Properties::new(), now)
    }

    /// Unsubscribes with UNSUBSCRIBE properties (User Properties, 5.0; 3.x sends none).
    pub fn unsubscribe_with(
        &mut self,
        filters: Vec<ByteStr>,
        properties: Properties,
        now: Instant,
    ) -> Result<PacketId, SessionError> {
        if filters.is_empty() {
            return Err(SessionError::InvalidFilter(
                "at least one topic filter is needed",
            ));
        }
        for f in &filters {
            topic::validate_filter(f).map_err(SessionError::InvalidFilter)?;
        }
        let packet_id = self.ids.allocate().ok_or(SessionError::NoPacketIds)?;
        let packet = Unsubscribe {
            packet_id,
            properties,
            filters,
        };
        if let Err(e) = self.check_request(&Packet::Unsubscribe(packet.clone())) {
            self.ids.release(packet_id);
            return Err(e);
        }
        self.requests
            .insert(packet_id.get(), Request::Unsubscribe(packet));
        if self.state == State::Connected {
            self.send_request(packet_id.get(), now);
        }
        Ok(packet_id)
    }

    /// Ends the connection with DISCONNECT. In 5.0, `code` 0x04 asks the server to publish
    /// the Will anyway (a code DISCONNECT cannot carry is sent as 0x00), and
    /// `session_expiry` changes the Session Expiry Interval — except from 0, which the spec
    /// forbids (3.14.2.2.2), so it is then left out. 3.x sends a plain DISCONNECT. The
    /// session state stays for a later [`Session::connect`].
    pub fn disconnect(&mut self, code: ReasonCode, session_expiry: Option<u32>, now: Instant) {
        if self.state == State::Idle {
            return;
        }
        let v5 = self.opts.protocol.is_v5();
        let mut d = Disconnect {
            code,
            properties: Properties::new(),
        };
        if !v5 || !code.is_valid_for(PacketType::Disconnect, self.opts.protocol) {
            d.code = ReasonCode::NORMAL_DISCONNECTION;
        }
        if let (Some(e), true) = (session_expiry, v5) {
            if self.sent_session_expiry > 0 || e == 0 {
                d.properties.push(Property::SessionExpiryInterval(e));
            }
        }
        let code = d.code;
        self.send(&Packet::Disconnect(d), now);
        self.end(DisconnectReason::Local { code });
    }

    /// Answers an [`Event::AuthChallenge`] (sends AUTH Continue authentication with `data`),
    /// or, when connected and `reauthenticate` is true, starts a re-authentication (AUTH
    /// Re-authenticate). 5.0 only, with `Options::authentication_method` set.
    pub fn auth(
        &mut self,
        data: Option<Bytes>,
        reauthenticate: bool,
        now: Instant,
    ) -> Result<(), SessionError> {
        let Some(method) = self.opts.authentication_method.clone() else {
            return Err(SessionError::NotAllowed(
                "no authentication method is configured",
            ));
        };
        if !self.opts.protocol.is_v5() || self.state == State::Idle {
            return Err(SessionError::NotAllowed(
                "AUTH needs an MQTT 5.0 connection",
            ));
        }
        let code = if reauthenticate {
            if self.state != State::Connected || self.reauthenticating {
                return Err(SessionError::NotAllowed(
                    "re-authentication needs a connection with no exchange in progress",
                ));
            }
            ReasonCode::REAUTHENTICATE
        } else {
            if self.auth != AuthState::Challenged {
                // Outside an exchange the server would take AUTH Continue for a Protocol
                // Error (4.12).
                return Err(SessionError::NotAllowed(
                    "no authentication challenge to answer",
                ));
            }
            ReasonCode::CONTINUE_AUTHENTICATION
        };
        let mut properties = Properties::new();
        properties.push(Property::AuthenticationMethod(method));
        if let Some(d) = data {
            properties.push(Property::AuthenticationData(d));
        }
        let packet = Packet::Auth(Auth { code, properties });
        self.check_request(&packet)?;
        if reauthenticate {
            self.reauthenticating = true;
        }
        // The server's next step is due within the connect timeout of this one.
        self.set_timer(Timer::Handshake, Some(now + self.opts.connect_timeout));
        self.auth = AuthState::Waiting;
        self.send(&packet, now);
        Ok(())
    }

    /// Builds and publishes a request (5.0): `response_topic` and `correlation_data` tell the
    /// responder where and how to answer.
    pub fn request(
        &mut self,
        topic: impl Into<ByteStr>,
        payload: impl Into<Bytes>,
        qos: QoS,
        response_topic: impl Into<ByteStr>,
        correlation_data: impl Into<Bytes>,
        now: Instant,
    ) -> Result<Option<PacketId>, SessionError> {
        if !self.opts.protocol.is_v5() {
            return Err(SessionError::NotAllowed(
                "request/response properties need MQTT 5.0",
            ));
        }
        let response_topic = response_topic.into();
        topic::validate_name(&response_topic).map_err(SessionError::InvalidTopic)?;
        let mut p = Publish::new(topic, payload);
        p.qos = qos;
        p.properties.push(Property::ResponseTopic(response_topic));
        p.properties
            .push(Property::CorrelationData(correlation_data.into()));
        self.publish_packet(p, now)
    }

    /// Answers a request message on its Response Topic, echoing its Correlation Data.
    pub fn respond(
        &mut self,
        request: &Publish,
        payload: impl Into<Bytes>,
        qos: QoS,
        now: Instant,
    ) -> Result<Option<PacketId>, SessionError> {
        let Some(topic) = request.properties.response_topic() else {
            return Err(SessionError::NotAllowed(
                "the message has no Response Topic",
            ));
        };
        let mut p = Publish::new(topic.clone(), payload);
        p.qos = qos;
        if let Some(c) = request.properties.correlation_data() {
            p.properties.push(Property::CorrelationData(c.clone()));
        }
        self.publish_packet(p, now)
    }

    /// The transport closed or failed. Session state stays for the next [`Session::connect`];
    /// unacknowledged messages are sent again then. Anything not yet written is dropped.
    pub fn connection_lost(&mut self, _now: Instant) {
        if self.state != State::Idle {
            self.end(DisconnectReason::TransportLost);
        }
        self.tx.clear();
    }

    /// The next bytes to write to the transport, in order. Call after every other method
    /// until it returns `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.tx.pop_front()
    }

    /// The next event for the application. Call after every other method until it returns
    /// `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Session::handle_timeout`] next, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }

    /// Runs the timers that are due at `now`: sends PINGREQ, or ends a connection whose
    /// PINGRESP, CONNACK or AUTH step is late.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.due(Timer::Handshake, now) {
            self.end(DisconnectReason::ConnectTimeout);
            return;
        }
        if self.due(Timer::PingResponse, now) {
            self.end(DisconnectReason::PingTimeout);
            return;
        }
        if self.due(Timer::KeepAlive, now) && self.state == State::Connected {
            self.send(&Packet::PingReq, now);
            // The deadline runs from the first unanswered PINGREQ: a keep alive shorter than
            // the ping timeout must not push it back with every PINGREQ.
            if self.timer(Timer::PingResponse).is_none() {
                self.set_timer(Timer::PingResponse, Some(now + self.opts.ping_timeout));
            }
        }
    }

    fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.get(timer as usize).copied().flatten()
    }

    fn due(&mut self, timer: Timer, now: Instant) -> bool {
        match self.timer(timer) {
            Some(at) if at <= now => {
                self.set_timer(timer, None);
                true
            }
            _ => false,
        }
    }

    fn set_timer(&mut self, timer: Timer, at: Option<Instant>) {
        if let Some(slot) = self.timers.get_mut(timer as usize) {
            *slot = at;
        }
    }

    fn arm_keep_alive(&mut self, now: Instant) {
        let k = self.server.keep_alive;
        let at = (k > 0).then(|| now + Duration::from_secs(u64::from(k)));
        self.set_timer(Timer::KeepAlive, at);
    }

    /// Encodes and queues a packet; every write restarts the keep alive period.
    fn send(&mut self, packet: &Packet, now: Instant) {
        match packet.to_bytes(self.opts.protocol) {
            Ok(bytes) => self.tx.push_back(bytes),
            // Commands check encodability before queuing, so this is a bug in the session;
            // dropping the packet is better than panicking in a library.
            Err(_) => return,
        }
        if self.state == State::Connected {
            self.arm_keep_alive(now);
        }
    }

    /// The state worth persisting: see [`Snapshot`](super::Snapshot).
    pub fn snapshot(&self) -> super::Snapshot {
        // Released messages first, in PUBREC order (the order PUBRELs go again in), then
        // the rest in publish order. DUP marks a message the server's session may have.
        let released = self.outgoing.released_order();
        let released_msgs = released.iter().filter_map(|id| self.outgoing.get(*id));
        let others = self.outgoing.iter().filter(|o| o.stage != Stage::Released);
        let outgoing = released_msgs
            .chain(others)
            .map(|o| {
                let mut p = o.publish.clone();
                p.dup = o.transmitted && p.qos != QoS::AtMostOnce;
                (p, o.stage == Stage::Released)
            })
            .collect();
        super::Snapshot {
            client_id: self.opts.client_id.clone(),
            established: self.established,
            next_packet_id: self.ids.next(),
            outgoing,
            incoming_qos2: self.incoming_qos2.iter().copied().collect(),
            subscriptions: self
                .subscriptions
                .values()
                .map(|h| (h.subscription.clone(), h.identifier))
                .collect(),
            next_subscription_id: self.next_subscription_id,
            requests: self.requests.values().map(Request::packet).collect(),
        }
    }

    /// A session that continues from a snapshot (after a reload, say): unacknowledged
    /// messages are sent again and subscriptions remade as the next CONNACK requires.
    /// Message Expiry Intervals do not age for the time the snapshot spent stored.
    pub fn restore(opts: Options, snapshot: super::Snapshot) -> Session {
        let mut s = Session::new(opts);
        if !snapshot.client_id.is_empty() {
            s.opts.client_id = snapshot.client_id;
        }
        s.established = snapshot.established;
        s.ids.set_next(snapshot.next_packet_id);
        for (mut publish, released) in snapshot.outgoing {
            let transmitted = publish.dup;
            publish.dup = false;
            if publish.qos == QoS::AtMostOnce {
                publish.packet_id = None;
            } else {
                // An identifier in use twice (a hand-made snapshot) would mix two messages
                // up: the second gets a new one, as does a QoS 1/2 message without one.
                let id = match publish.packet_id {
                    Some(id) if s.ids.claim(id) => Some(id),
                    _ => s.ids.allocate(),
                };
                let Some(id) = id else { continue };
                if publish.packet_id != Some(id) && released {
                    // A PUBREL under another identifier would mean nothing to the server.
                    s.ids.release(id);
                    continue;
                }
                publish.packet_id = Some(id);
            }
            // Everything not yet acknowledged waits in the queue: a resumed session sends it
            // again with DUP, a lost one as new, and Receive Maximum holds either way.
            let stage = if released && publish.qos == QoS::ExactlyOnce {
                Stage::Released
            } else {
                Stage::Queued
            };
            s.outgoing.push(Outgoing {
                publish,
                stage,
                published_at: None,
                transmitted,
            });
        }
        s.incoming_qos2 = snapshot.incoming_qos2.into_iter().collect();
        for (subscription, identifier) in snapshot.subscriptions {
            s.hold(subscription, identifier);
        }
        for packet in snapshot.requests {
            let request = match packet {
                Packet::Subscribe(packet) => {
                    let identifier = packet.properties.subscription_identifiers().next();
                    Request::Subscribe {
                        packet,
                        identifier,
                        resubscribe: false,
                    }
                }
                Packet::Unsubscribe(u) => Request::Unsubscribe(u),
                _ => continue,
            };
            let id = match &request {
                Request::Subscribe { packet, .. } => packet.packet_id,
                Request::Unsubscribe(u) => u.packet_id,
            };
            if s.ids.claim(id) {
                s.requests.insert(id.get(), request);
            }
        }
        s.next_subscription_id = snapshot.next_subscription_id.max(1);
        s
    }
}

/// Lowers a waiting message's Message Expiry Interval by the time it waited; false if it
/// expired (the rule MQTT-3.3.2-6 sets for a server forwarding a message).
fn age_expiry(p: &mut Publish, waited: Duration) -> bool {
    let Some(left) = p.properties.message_expiry_interval() else {
        return true;
    };
    let waited = u32::try_from(waited.as_secs()).unwrap_or(u32::MAX);
    if waited >= left {
        return false;
    }
    p.properties
        .set(Property::MessageExpiryInterval(left - waited));
    true
}
