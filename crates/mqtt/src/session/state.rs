//! `Session`: the state machine itself.

use super::event::{DisconnectReason, Event};
use super::options::Options;
use super::outgoing::{Outgoing, OutgoingStore, Stage};
use super::packet_ids::PacketIds;
use super::{Instant, SessionError};
use crate::codec::{
    Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, Packet, PacketId,
    Properties, Property, PubResponse, Publish, QoS, ReasonCode, Status, SubAck, Subscribe,
    Subscription, UnsubAck, Unsubscribe,
};
use crate::topic;
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

/// The timers a session asks its driver for; [`Session::poll_timeout`] gives the earliest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Send PINGREQ when nothing else was sent for the keep alive period.
    KeepAlive = 0,
    /// Give up on the connection when PINGRESP is late.
    PingResponse = 1,
    /// Give up when CONNACK (or the next AUTH step) is late.
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
    /// QoS 2 messages delivered to the application whose PUBREL has not arrived.
    incoming_qos2: BTreeSet<u16>,
    requests: BTreeMap<u16, Request>,
    subscriptions: BTreeMap<ByteStr, Held>,
    subscription_ids: HashMap<u32, Vec<ByteStr>>,
    next_subscription_id: u32,
    server: ServerLimits,
    aliases_in: HashMap<u16, ByteStr>,
    aliases_out: HashMap<ByteStr, u16>,
    timers: [Option<Instant>; TIMERS],
    /// Whether any connection of this session has been accepted (later ones resume).
    established: bool,
    /// Whether a re-authentication we started is in progress.
    reauthenticating: bool,
    /// Clean Start of the last CONNECT.
    sent_clean_start: bool,
}

impl Session {
    /// A session that has not connected yet.
    pub fn new(opts: Options) -> Session {
        let mut decoder = Decoder::new(opts.protocol);
        if let Some(max) = opts.maximum_packet_size {
            decoder = decoder.with_max_packet_size(max as usize);
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
            incoming_qos2: BTreeSet::new(),
            requests: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            subscription_ids: HashMap::new(),
            next_subscription_id: 1,
            server: ServerLimits::defaults(keep_alive),
            aliases_in: HashMap::new(),
            aliases_out: HashMap::new(),
            timers: [None; TIMERS],
            established: false,
            reauthenticating: false,
            sent_clean_start: true,
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

    /// Messages waiting to be sent, and QoS 1/2 messages sent but not yet acknowledged.
    pub fn pending(&self) -> (usize, usize) {
        (self.outgoing.queued(), self.outgoing.in_flight())
    }

    /// The subscriptions the session holds (made again if the server loses the session).
    pub fn subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.subscriptions.values().map(|h| &h.subscription)
    }

    /// Starts a connection: queues CONNECT. Call when the transport is open. The first
    /// connection uses `Options::clean_start`; later ones resume the session.
    pub fn connect(&mut self, now: Instant) {
        self.reset_connection();
        let o = &self.opts;
        let mut c = Connect::new(o.protocol, o.client_id.clone());
        // 5.0 resumes with Clean Start 0 (Session Expiry decides persistence); 3.x keeps
        // Clean Session as configured, so a clean session never becomes a persistent one.
        c.clean_start = o.clean_start && !(self.established && o.protocol.is_v5());
        self.sent_clean_start = c.clean_start;
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
        self.state = State::Connecting;
        self.send(&Packet::Connect(Box::new(c)), now);
        self.set_timer(Timer::Handshake, Some(now + self.opts.connect_timeout));
    }

    /// Clears what belongs to one network connection only.
    fn reset_connection(&mut self) {
        self.rx.clear();
        self.tx.clear();
        self.decoder.set_version(self.opts.protocol);
        self.aliases_in.clear();
        self.aliases_out.clear();
        self.timers = [None; TIMERS];
        self.server = ServerLimits::defaults(self.opts.keep_alive);
        self.reauthenticating = false;
    }

    /// Feeds bytes the transport read. Any number of packets, or part of one, may arrive at
    /// once. A protocol violation by the server queues DISCONNECT (5.0) and ends the
    /// connection with [`Event::Disconnected`]; nothing panics.
    pub fn handle_bytes(&mut self, bytes: &[u8], now: Instant) {
        if self.state == State::Idle {
            return;
        }
        self.rx.extend_from_slice(bytes);
        while self.state != State::Idle {
            match self.decoder.poll(&mut self.rx) {
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
            (State::Connected, Packet::SubAck(a)) => self.on_suback(a),
            (State::Connected, Packet::UnsubAck(a)) => self.on_unsuback(a),
            (State::Connected, Packet::PingResp) => {}
            (State::Connected, Packet::Auth(auth)) => self.on_auth(auth, now),
            (_, Packet::Disconnect(d)) => self.end(DisconnectReason::ByServer {
                code: d.code,
                properties: d.properties,
            }),
            (_, other) => {
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
        if ack.code != ReasonCode::SUCCESS {
            self.end(DisconnectReason::Refused {
                code: ack.code,
                properties: ack.properties,
            });
            return;
        }
        if ack.session_present && self.sent_clean_start {
            // We asked for a clean start and the server claims a session [MQTT-3.2.2-4].
            let msg = "CONNACK reports a session present after a clean start".to_string();
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        let p = &ack.properties;
        let s = &mut self.server;
        s.receive_maximum = p.receive_maximum().unwrap_or(u16::MAX);
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
        if let Some(k) = p.server_keep_alive() {
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
            self.retransmit(now);
        } else {
            self.start_over(now);
        }
        self.flush_queue(now);
    }

    /// The server kept our session: resend what it has not acknowledged, in the original
    /// order and with the original identifiers [MQTT-4.4.0-1].
    fn retransmit(&mut self, now: Instant) {
        for (seq, stage, id) in self.outgoing.order() {
            match (stage, id) {
                (Stage::Sent, Some(_)) => {
                    if let Some(out) = self.outgoing.get_seq(seq) {
                        let mut p = out.publish.clone();
                        p.dup = true;
                        self.send(&Packet::Publish(p), now);
                    }
                }
                (Stage::Released, Some(id)) => {
                    self.send(&Packet::PubRel(PubResponse::new(id)), now);
                }
                _ => {}
            }
        }
        self.resend_requests(now);
    }

    /// The server has no session for us: what it had acknowledged stays done, what it had not
    /// is sent again as new, and every subscription is made again.
    fn start_over(&mut self, now: Instant) {
        self.incoming_qos2.clear();
        let released: Vec<PacketId> = self
            .outgoing
            .iter()
            .filter(|o| o.stage == Stage::Released)
            .filter_map(|o| o.publish.packet_id)
            .collect();
        for id in released {
            // PUBREC said the server had it; only the PUBCOMP went missing.
            self.outgoing.remove(id);
            self.ids.release(id);
            self.events.push_back(Event::Published {
                packet_id: id,
                code: ReasonCode::SUCCESS,
                properties: Properties::new(),
            });
        }
        self.outgoing.requeue_sent();
        self.resend_requests(now);
        if self.subscriptions.is_empty() {
            return;
        }
        // One SUBSCRIBE per Subscription Identifier, as they were made.
        let mut groups: BTreeMap<Option<u32>, Vec<Subscription>> = BTreeMap::new();
        let pending: BTreeSet<ByteStr> = self
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
        for held in self.subscriptions.values() {
            if !pending.contains(&held.subscription.filter) {
                groups
                    .entry(held.identifier)
                    .or_default()
                    .push(held.subscription.clone());
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
            let packet = Subscribe {
                packet_id,
                properties,
                subscriptions,
            };
            self.send(&Packet::Subscribe(packet.clone()), now);
            self.requests.insert(
                packet_id.get(),
                Request::Subscribe {
                    packet,
                    identifier,
                    resubscribe: true,
                },
            );
        }
    }

    fn resend_requests(&mut self, now: Instant) {
        let packets: Vec<Packet> = self
            .requests
            .values()
            .map(|r| match r {
                Request::Subscribe { packet, .. } => Packet::Subscribe(packet.clone()),
                Request::Unsubscribe(u) => Packet::Unsubscribe(u.clone()),
            })
            .collect();
        for p in packets {
            self.send(&p, now);
        }
    }

    /// Sends queued messages while the server's Receive Maximum leaves room.
    fn flush_queue(&mut self, now: Instant) {
        if self.state != State::Connected || self.outgoing.queued() == 0 {
            return;
        }
        for (seq, stage, id) in self.outgoing.order() {
            if stage != Stage::Queued {
                continue;
            }
            let is_qos0 = id.is_none();
            if !is_qos0 && self.outgoing.in_flight() >= usize::from(self.server.receive_maximum) {
                // Later QoS 0 messages wait too, to keep publish order.
                break;
            }
            let Some(out) = self.outgoing.get_seq(seq) else {
                continue;
            };
            let mut publish = out.publish.clone();
            if let Some(at) = out.queued_at {
                if !age_expiry(&mut publish, now.saturating_duration_since(at)) {
                    // Expired while waiting: the server would not deliver it either.
                    if let Some(id) = id {
                        self.outgoing.remove(id);
                        self.ids.release(id);
                        self.events.push_back(Event::Published {
                            packet_id: id,
                            code: ReasonCode::UNSPECIFIED_ERROR,
                            properties: Properties::new(),
                        });
                    } else {
                        self.outgoing.take_seq(seq);
                    }
                    continue;
                }
            }
            match id {
                Some(id) => {
                    self.outgoing.set_stage(id, Stage::Sent);
                    self.transmit_publish(publish, now);
                }
                None => {
                    self.outgoing.take_seq(seq);
                    self.transmit_publish(publish, now);
                }
            }
        }
    }

    /// Publishes a message. QoS 0 is sent now if connected, else queued; QoS 1 and 2 get a
    /// packet identifier (returned) and are sent now if connected and the server's Receive
    /// Maximum allows, else queued, and are kept until acknowledged
    /// ([`Event::Published`]), across reconnects.
    ///
    /// Queue policy (`Options::queue_limit`): when the queue is full, the oldest queued QoS 0
    /// message is dropped ([`Event::Dropped`]) to make room; if none is queued, the new
    /// message is refused with [`SessionError::QueueFull`] — QoS 1/2 messages are never
    /// dropped.
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
        if self.state == State::Connected {
            if publish.qos > self.server.maximum_qos {
                return Err(SessionError::QoSNotSupported);
            }
            if publish.retain && !self.server.retain_available {
                return Err(SessionError::RetainNotSupported);
            }
        }
        publish.dup = false;
        publish.packet_id = None;
        let connected = self.state == State::Connected;
        if publish.qos == QoS::AtMostOnce {
            self.check_size(&publish)?;
            if connected && self.outgoing.queued() == 0 {
                self.transmit_publish(publish, now);
                return Ok(None);
            }
            self.make_room()?;
            self.outgoing.push(Outgoing {
                publish,
                stage: Stage::Queued,
                queued_at: Some(now),
            });
            return Ok(None);
        }
        let can_send = connected
            && self.outgoing.queued() == 0
            && self.outgoing.in_flight() < usize::from(self.server.receive_maximum);
        if !can_send {
            self.make_room()?;
        }
        let id = self.ids.allocate().ok_or(SessionError::NoPacketIds)?;
        publish.packet_id = Some(id);
        if let Err(e) = self.check_size(&publish) {
            self.ids.release(id);
            return Err(e);
        }
        let stage = if can_send { Stage::Sent } else { Stage::Queued };
        if can_send {
            self.transmit_publish(publish.clone(), now);
        }
        self.outgoing.push(Outgoing {
            publish,
            stage,
            queued_at: (!can_send).then_some(now),
        });
        Ok(Some(id))
    }

    /// Checks the message can be encoded and fits the server's Maximum Packet Size.
    fn check_size(&self, publish: &Publish) -> Result<(), SessionError> {
        let size = publish.encoded_len(self.opts.protocol)?;
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

    /// Sends a PUBLISH, replacing its topic with a Topic Alias where the server allows.
    fn transmit_publish(&mut self, mut publish: Publish, now: Instant) {
        if self.server.topic_alias_maximum > 0 && self.opts.protocol.is_v5() {
            if let Some(&alias) = self.aliases_out.get(&publish.topic) {
                publish.topic = ByteStr::new();
                publish.properties.push(Property::TopicAlias(alias));
            } else if self.aliases_out.len() < usize::from(self.server.topic_alias_maximum) {
                let alias = self.aliases_out.len() as u16 + 1;
                self.aliases_out.insert(publish.topic.clone(), alias);
                publish.properties.push(Property::TopicAlias(alias));
            }
        }
        self.send(&Packet::Publish(publish), now);
    }

    fn on_publish(&mut self, mut p: Publish, now: Instant) {
        if let Some(alias) = p.properties.topic_alias() {
            if alias > self.opts.topic_alias_maximum {
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
                        let msg = format!("unknown Topic Alias {alias}");
                        self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
                        return;
                    }
                }
            } else {
                self.aliases_in.insert(alias, p.topic.clone());
            }
        }
        let subscriptions: Vec<ByteStr> = p
            .properties
            .subscription_identifiers()
            .filter_map(|i| self.subscription_ids.get(&i))
            .flatten()
            .cloned()
            .collect();
        match (p.qos, p.packet_id) {
            (QoS::AtLeastOnce, Some(id)) => {
                self.events.push_back(Event::Message {
                    publish: p,
                    subscriptions,
                });
                self.send(&Packet::PubAck(PubResponse::new(id)), now);
            }
            (QoS::ExactlyOnce, Some(id)) => {
                if !self.incoming_qos2.contains(&id.get()) {
                    if self.incoming_qos2.len() >= usize::from(self.opts.receive_maximum) {
                        let msg = "the server exceeded our Receive Maximum".to_string();
                        self.protocol_error(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED, msg, None, now);
                        return;
                    }
                    self.incoming_qos2.insert(id.get());
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

    fn on_puback(&mut self, a: PubResponse, now: Instant) {
        match self.outgoing.get(a.packet_id) {
            Some(o) if o.stage == Stage::Sent && o.publish.qos == QoS::AtLeastOnce => {
                self.finish(a.packet_id, a.code, a.properties, now);
            }
            // A late or duplicate acknowledgement: nothing is waiting for it.
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
            Some(Stage::Sent) if !a.code.is_success() => {
                self.finish(a.packet_id, a.code, a.properties, now);
            }
            Some(Stage::Sent) | Some(Stage::Released) => {
                self.outgoing.set_stage(a.packet_id, Stage::Released);
                self.send(&Packet::PubRel(PubResponse::new(a.packet_id)), now);
            }
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
        if !self.incoming_qos2.remove(&a.packet_id.get()) && self.opts.protocol.is_v5() {
            comp.code = ReasonCode::PACKET_IDENTIFIER_NOT_FOUND;
        }
        self.send(&Packet::PubComp(comp), now);
    }

    fn on_pubcomp(&mut self, a: PubResponse, now: Instant) {
        if let Some(Stage::Released) = self.outgoing.get(a.packet_id).map(|o| o.stage) {
            self.finish(a.packet_id, a.code, a.properties, now);
        }
    }

    fn on_suback(&mut self, a: SubAck) {
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
            self.subscription_ids.entry(i).or_default().push(filter);
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

    fn on_unsuback(&mut self, a: UnsubAck) {
        let Some(Request::Unsubscribe(u)) = self.requests.remove(&a.packet_id.get()) else {
            return;
        };
        self.ids.release(a.packet_id);
        for filter in &u.filters {
            if let Some(old) = self.subscriptions.remove(filter) {
                self.forget_identifier(filter, old.identifier);
            }
        }
        self.events.push_back(Event::Unsubscribed {
            packet_id: a.packet_id,
            codes: a.codes,
            properties: a.properties,
        });
    }

    fn on_auth(&mut self, a: Auth, now: Instant) {
        if !self.opts.protocol.is_v5() || self.opts.authentication_method.is_none() {
            let msg = "AUTH without enhanced authentication".to_string();
            self.protocol_error(ReasonCode::PROTOCOL_ERROR, msg, None, now);
            return;
        }
        match a.code {
            ReasonCode::CONTINUE_AUTHENTICATION => {
                if self.state == State::Connecting {
                    self.set_timer(Timer::Handshake, Some(now + self.opts.connect_timeout));
                }
                self.events.push_back(Event::AuthChallenge {
                    method: a.properties.authentication_method().cloned(),
                    data: a.properties.authentication_data().cloned(),
                    properties: a.properties,
                });
            }
            ReasonCode::SUCCESS if self.state == State::Connected && self.reauthenticating => {
                self.reauthenticating = false;
                self.events.push_back(Event::Reauthenticated {
                    properties: a.properties,
                });
            }
            _ => {
                let msg = format!("unexpected AUTH reason {}", a.code);
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
    /// here is used instead of an assigned one).
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
        }
        let v5 = self.opts.protocol.is_v5();
        let mut identifier = properties.subscription_identifiers().next();
        if v5 && identifier.is_none() && self.server.subscription_identifiers {
            let i = self.next_subscription_id;
            self.next_subscription_id = if i >= crate::codec::MAX_VARIABLE_BYTE_INTEGER {
                1
            } else {
                i + 1
            };
            properties.push(Property::SubscriptionIdentifier(i));
            identifier = Some(i);
        }
        let packet_id = self.ids.allocate().ok_or(SessionError::NoPacketIds)?;
        let packet = Subscribe {
            packet_id,
            properties,
            subscriptions,
        };
        if let Err(e) = Packet::Subscribe(packet.clone()).encoded_len(self.opts.protocol) {
            self.ids.release(packet_id);
            return Err(e.into());
        }
        if self.state == State::Connected {
            self.send(&Packet::Subscribe(packet.clone()), now);
        }
        self.requests.insert(
            packet_id.get(),
            Request::Subscribe {
                packet,
                identifier,
                resubscribe: false,
            },
        );
        Ok(packet_id)
    }

    /// Unsubscribes. Sent now if connected, else when the connection is up.
    pub fn unsubscribe(
        &mut self,
        filters: Vec<ByteStr>,
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
            properties: Properties::new(),
            filters,
        };
        if self.state == State::Connected {
            self.send(&Packet::Unsubscribe(packet.clone()), now);
        }
        self.requests
            .insert(packet_id.get(), Request::Unsubscribe(packet));
        Ok(packet_id)
    }

    /// Ends the connection with DISCONNECT. In 5.0, `code` 0x04 asks the server to publish
    /// the Will anyway; `session_expiry` may shorten the session (not lengthen it from 0).
    /// The session state stays for a later [`Session::connect`].
    pub fn disconnect(&mut self, code: ReasonCode, session_expiry: Option<u32>, now: Instant) {
        if self.state == State::Idle {
            return;
        }
        let mut d = Disconnect {
            code,
            properties: Properties::new(),
        };
        if let (Some(e), true) = (session_expiry, self.opts.protocol.is_v5()) {
            if self.opts.session_expiry > 0 || e == 0 {
                d.properties.push(Property::SessionExpiryInterval(e));
                self.opts.session_expiry = e;
            }
        }
        if !self.opts.protocol.is_v5() {
            d.code = ReasonCode::SUCCESS;
        }
        self.send(&Packet::Disconnect(d), now);
        self.end(DisconnectReason::Local { code });
    }

    /// Answers an [`Event::AuthChallenge`] (reason Continue authentication), or starts a
    /// re-authentication when connected and `reauthenticate` is true (5.0 only).
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
            if self.state != State::Connected {
                return Err(SessionError::NotAllowed(
                    "re-authentication needs a connection",
                ));
            }
            self.reauthenticating = true;
            ReasonCode::REAUTHENTICATE
        } else {
            ReasonCode::CONTINUE_AUTHENTICATION
        };
        let mut properties = Properties::new();
        properties.push(Property::AuthenticationMethod(method));
        if let Some(d) = data {
            properties.push(Property::AuthenticationData(d));
        }
        self.send(&Packet::Auth(Auth { code, properties }), now);
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
        let mut p = Publish::new(topic, payload);
        p.qos = qos;
        p.properties
            .push(Property::ResponseTopic(response_topic.into()));
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
    /// unacknowledged messages are sent again then.
    pub fn connection_lost(&mut self, _now: Instant) {
        if self.state != State::Idle {
            self.end(DisconnectReason::TransportLost);
        }
        self.tx.clear();
    }

    /// The next bytes to write to the transport, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.tx.pop_front()
    }

    /// The next event for the application.
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
    /// PINGRESP or CONNACK is late.
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
            self.set_timer(Timer::PingResponse, Some(now + self.opts.ping_timeout));
        }
    }

    fn due(&mut self, timer: Timer, now: Instant) -> bool {
        match self.timers.get(timer as usize).copied().flatten() {
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
        super::Snapshot {
            client_id: self.opts.client_id.clone(),
            established: self.established,
            next_packet_id: self.ids.next(),
            outgoing: self
                .outgoing
                .iter()
                .map(|o| (o.publish.clone(), o.stage == Stage::Released))
                .collect(),
            incoming_qos2: self.incoming_qos2.iter().copied().collect(),
            subscriptions: self
                .subscriptions
                .values()
                .map(|h| (h.subscription.clone(), h.identifier))
                .collect(),
            next_subscription_id: self.next_subscription_id,
        }
    }

    /// A session that continues from a snapshot (after a reload, say): unacknowledged
    /// messages are re-sent and subscriptions remade as the next CONNACK requires.
    pub fn restore(opts: Options, snapshot: super::Snapshot) -> Session {
        let mut s = Session::new(opts);
        if !snapshot.client_id.is_empty() {
            s.opts.client_id = snapshot.client_id;
        }
        s.established = snapshot.established;
        s.ids.set_next(snapshot.next_packet_id);
        for (publish, released) in snapshot.outgoing {
            if let Some(id) = publish.packet_id {
                if !s.ids.claim(id) {
                    continue;
                }
            }
            // Everything not yet acknowledged counts as sent: a resumed session resends it
            // with DUP, a lost one sends it as new.
            let stage = match (released, publish.packet_id) {
                (true, Some(_)) => Stage::Released,
                (false, Some(_)) => Stage::Sent,
                (_, None) => Stage::Queued,
            };
            s.outgoing.push(Outgoing {
                publish,
                stage,
                queued_at: None,
            });
        }
        s.incoming_qos2 = snapshot.incoming_qos2.into_iter().collect();
        for (subscription, identifier) in snapshot.subscriptions {
            s.hold(subscription, identifier);
        }
        s.next_subscription_id = snapshot.next_subscription_id.max(1);
        s
    }
}

/// Lowers a waiting message's Message Expiry Interval by the time it waited; false if it
/// expired [MQTT-3.3.2-6 applies the same rule on the server].
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
