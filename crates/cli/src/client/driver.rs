//! Runs a [`Session`] over a real connection with tokio: reads, writes, timers, commands
//! from the application, and reconnection with backoff.

use super::backoff::Backoff;
use super::transport::{self, Reader, Writer};
use super::url::BrokerUrl;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Duration;
use switchboard_mqtt::codec::{
    ByteStr, PacketId, PacketType, Properties, Protocol, Publish, ReasonCode, Subscription,
};
use switchboard_mqtt::session::{DisconnectReason, Event, Instant, Options, Session, SessionError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How to connect and whether to come back.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Where the broker is.
    pub(crate) url: BrokerUrl,
    /// The session's options.
    pub(crate) options: Options,
    /// Reconnect after a connection that was up is lost.
    pub(crate) reconnect: bool,
    /// Delays between attempts.
    pub(crate) backoff: Backoff,
    /// TLS settings for `mqtts://` and `wss://`.
    pub(crate) tls: std::sync::Arc<rustls::ClientConfig>,
}

/// What the client reports besides session events.
#[derive(Debug)]
pub(crate) enum Notice {
    /// A session event.
    Event(Event),
    /// The connection is down; the next attempt comes after `delay`.
    Reconnecting {
        /// 1 for the first attempt after a loss.
        attempt: u32,
        /// Wait before it.
        delay: Duration,
        /// Why the last attempt or connection failed.
        error: String,
    },
}

/// A command refused by the session, or the client gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientError {
    /// The session refused it.
    Session(SessionError),
    /// The client has stopped.
    Stopped,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Session(e) => e.fmt(f),
            ClientError::Stopped => f.write_str("the client has stopped"),
        }
    }
}

type PublishReply = oneshot::Sender<Result<Option<PacketId>, SessionError>>;

enum Command {
    Publish(
        Publish,
        oneshot::Sender<Result<Option<PacketId>, SessionError>>,
    ),
    Subscribe(
        Vec<Subscription>,
        Properties,
        oneshot::Sender<Result<PacketId, SessionError>>,
    ),
    Unsubscribe(
        Vec<ByteStr>,
        Properties,
        oneshot::Sender<Result<PacketId, SessionError>>,
    ),
    Disconnect(ReasonCode, Option<u32>, oneshot::Sender<()>),
    Abort,
}

/// A handle to a running client; cheap to clone. Dropping every handle disconnects.
#[derive(Clone)]
pub(crate) struct Client {
    commands: mpsc::UnboundedSender<Command>,
}

impl Client {
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, SessionError>>) -> Command,
    ) -> Result<T, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .map_err(|_| ClientError::Stopped)?;
        rx.await
            .map_err(|_| ClientError::Stopped)?
            .map_err(ClientError::Session)
    }

    /// Publishes; resolves when the session accepted the message (sent or queued), with its
    /// packet identifier for QoS 1/2. When the queue is full it waits for room.
    pub(crate) async fn publish(&self, publish: Publish) -> Result<Option<PacketId>, ClientError> {
        self.ask(|tx| Command::Publish(publish, tx)).await
    }

    /// Hands a message over at once and returns what [`Client::publish`] would resolve to,
    /// to await later: a caller with many messages keeps several on their way, and the
    /// client then takes them in batches, many to one socket write.
    pub(crate) fn publish_pipelined(
        &self,
        publish: Publish,
    ) -> impl std::future::Future<Output = Result<Option<PacketId>, ClientError>> {
        let (tx, rx) = oneshot::channel();
        let sent = self.commands.send(Command::Publish(publish, tx)).is_ok();
        async move {
            if !sent {
                return Err(ClientError::Stopped);
            }
            rx.await
                .map_err(|_| ClientError::Stopped)?
                .map_err(ClientError::Session)
        }
    }

    /// Subscribes; resolves with the packet identifier the SUBACK event will carry.
    pub(crate) async fn subscribe(
        &self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Result<PacketId, ClientError> {
        self.ask(|tx| Command::Subscribe(subscriptions, properties, tx))
            .await
    }

    /// Unsubscribes; resolves with the packet identifier the UNSUBACK event will carry.
    pub(crate) async fn unsubscribe(
        &self,
        filters: Vec<ByteStr>,
        properties: Properties,
    ) -> Result<PacketId, ClientError> {
        self.ask(|tx| Command::Unsubscribe(filters, properties, tx))
            .await
    }

    /// Sends DISCONNECT and stops the client once it is written.
    pub(crate) async fn disconnect(&self, code: ReasonCode, session_expiry: Option<u32>) {
        let (tx, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Disconnect(code, session_expiry, tx))
            .is_ok()
        {
            let _ = rx.await;
        }
    }
}

impl Client {
    /// Drops the connection without DISCONNECT, as a crash or a network failure would: the
    /// broker publishes the Will. The client stops.
    pub(crate) fn abort(&self) {
        let _ = self.commands.send(Command::Abort);
    }
}

/// One open connection: the reading half, and a task that owns the writing half.
struct Conn {
    reader: Reader,
    out: mpsc::UnboundedSender<Bytes>,
    writer: JoinHandle<()>,
}

impl Conn {
    fn new(reader: Reader, mut writer: Writer) -> Conn {
        let (out, mut queue) = mpsc::unbounded_channel::<Bytes>();
        let writer = tokio::spawn(async move {
            while let Some(bytes) = queue.recv().await {
                if writer.write(bytes).await.is_err() {
                    return;
                }
            }
            writer.close().await;
        });
        Conn {
            reader,
            out,
            writer,
        }
    }
}

/// Describes why a connection ended, in one line.
pub(crate) fn describe(reason: &DisconnectReason, protocol: Protocol) -> String {
    match reason {
        DisconnectReason::Refused { code, properties } => {
            let name = code.name_in(PacketType::ConnAck, protocol_of_connack(protocol, *code));
            let head = format!("connection refused: {:#04x} {name}", code.get());
            with_details(head, reason, properties)
        }
        DisconnectReason::ByServer { code, properties } => {
            let name = code.name_in(PacketType::Disconnect, protocol);
            let head = format!("the broker disconnected: {:#04x} {name}", code.get());
            with_details(head, reason, properties)
        }
        DisconnectReason::ProtocolError { code, message, .. } => {
            format!(
                "protocol error from the broker ({:#04x} sent): {message}",
                code.get()
            )
        }
        DisconnectReason::PingTimeout => "no PINGRESP from the broker in time".to_string(),
        DisconnectReason::ConnectTimeout => "no CONNACK from the broker in time".to_string(),
        DisconnectReason::Local { .. } => "disconnected".to_string(),
        DisconnectReason::TransportLost => "connection lost".to_string(),
        DisconnectReason::InvalidOptions { error } => {
            format!("invalid connection options: {error}")
        }
        _ => format!("{reason:?}"),
    }
}

/// Appends the Reason String and, for a redirect, the Server Reference the broker sent.
fn with_details(mut line: String, reason: &DisconnectReason, properties: &Properties) -> String {
    if let Some(r) = properties.reason_string() {
        line.push_str(&format!(" ({r})"));
    }
    if let Some(r) = reason.server_reference() {
        line.push_str(&format!("; the server points to {r}"));
    }
    line
}

/// A 5.0 client talking to a 3.1.1-only broker gets a 3.1.1 CONNACK (return code 0x01
/// Unacceptable protocol version): name its code as such. Every 5.0 refusal is 0x80 or above,
/// and a 5.0 refusal may well come without properties (mosquitto's do).
fn protocol_of_connack(protocol: Protocol, code: ReasonCode) -> Protocol {
    if protocol.is_v5() && code.get() < 0x80 {
        Protocol::V3_1_1
    } else {
        protocol
    }
}

/// Connects, waits for CONNACK, and starts the client. A first connection that fails
/// (unreachable, refused, malformed CONNACK, timeout) is an error: only a connection that
/// was up is retried.
pub(crate) async fn connect(
    config: Config,
) -> Result<(Client, mpsc::UnboundedReceiver<Notice>), String> {
    let mut session = Session::new(config.options.clone());
    let timeout = config.options.connect_timeout;
    let (reader, writer) = tokio::time::timeout(timeout, transport::open(&config.url, &config.tls))
        .await
        .map_err(|_| format!("cannot connect to {}: timed out", config.url))?
        .map_err(|e| format!("cannot connect to {}: {e}", config.url))?;
    let mut conn = Conn::new(reader, writer);
    session.connect(Instant::now());
    let (notices, notice_rx) = mpsc::unbounded_channel();
    let mut rx = BytesMut::new();
    loop {
        flush(&mut session, &conn);
        while let Some(ev) = session.poll_event() {
            match ev {
                Event::Connected { .. } => {
                    let _ = notices.send(Notice::Event(ev));
                    let (commands, command_rx) = mpsc::unbounded_channel();
                    let runner = Runner {
                        session,
                        conn: Some(conn),
                        config,
                        commands: command_rx,
                        notices,
                        blocked: VecDeque::new(),
                        rx,
                    };
                    tokio::spawn(runner.run());
                    return Ok((Client { commands }, notice_rx));
                }
                Event::Disconnected(reason) => {
                    return Err(describe(&reason, config.options.protocol));
                }
                other => {
                    let _ = notices.send(Notice::Event(other));
                }
            }
        }
        let deadline = session.poll_timeout();
        tokio::select! {
            r = conn.reader.read(&mut rx) => match r {
                Ok(true) => {
                    session.handle_bytes(&rx, Instant::now());
                    rx.clear();
                }
                Ok(false) => return Err(format!("{} closed the connection before CONNACK", config.url)),
                Err(e) => return Err(format!("connection to {} failed: {e}", config.url)),
            },
            _ = sleep_until(deadline) => session.handle_timeout(Instant::now()),
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Hands everything the session wants written to the writer task, as one write.
fn flush(session: &mut Session, conn: &Conn) {
    let Some(first) = session.poll_transmit() else {
        return;
    };
    let Some(second) = session.poll_transmit() else {
        let _ = conn.out.send(first);
        return;
    };
    let mut batch = BytesMut::with_capacity(first.len() + second.len());
    batch.extend_from_slice(&first);
    batch.extend_from_slice(&second);
    while let Some(more) = session.poll_transmit() {
        batch.extend_from_slice(&more);
    }
    let _ = conn.out.send(batch.freeze());
}

/// The most commands taken per wakeup.
const COMMAND_BATCH: usize = 256;

struct Runner {
    session: Session,
    conn: Option<Conn>,
    config: Config,
    commands: mpsc::UnboundedReceiver<Command>,
    notices: mpsc::UnboundedSender<Notice>,
    /// Publishes refused for a full queue, retried as acknowledgements make room.
    blocked: VecDeque<(Publish, PublishReply)>,
    rx: BytesMut,
}

impl Runner {
    async fn run(mut self) {
        let mut attempt = 0u32;
        let mut last_error = String::new();
        loop {
            if let Some(conn) = &self.conn {
                flush(&mut self.session, conn);
            }
            let mut stop = false;
            while let Some(ev) = self.session.poll_event() {
                match &ev {
                    Event::Connected { .. } => attempt = 0,
                    // Both free room in the session's queue.
                    Event::Published { .. } | Event::Dropped { .. } => self.retry_blocked(),
                    Event::Disconnected(reason) => {
                        last_error = describe(reason, self.config.options.protocol);
                        // Dropping the sender lets the writer finish what is queued, then close.
                        self.conn = None;
                        stop = matches!(reason, DisconnectReason::Local { .. });
                    }
                    _ => {}
                }
                let _ = self.notices.send(Notice::Event(ev));
            }
            if stop {
                return;
            }
            let Some(conn) = self.conn.as_mut() else {
                if !self.config.reconnect || self.commands.is_closed() {
                    return;
                }
                attempt += 1;
                let delay = self.config.backoff.delay(attempt);
                let _ = self.notices.send(Notice::Reconnecting {
                    attempt,
                    delay,
                    error: last_error.clone(),
                });
                if !self.wait_offline(delay).await {
                    return;
                }
                match transport::open(&self.config.url, &self.config.tls).await {
                    Ok((reader, writer)) => {
                        self.rx.clear();
                        self.conn = Some(Conn::new(reader, writer));
                        self.session.connect(Instant::now());
                    }
                    Err(e) => last_error = format!("cannot connect to {}: {e}", self.config.url),
                }
                continue;
            };
            let deadline = self.session.poll_timeout();
            let mut lost = false;
            tokio::select! {
                r = conn.reader.read(&mut self.rx) => match r {
                    Ok(true) => {
                        self.session.handle_bytes(&self.rx, Instant::now());
                        self.rx.clear();
                    }
                    _ => lost = true,
                },
                _ = &mut conn.writer => lost = true,
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => {
                        self.command(cmd);
                        // Whatever else is waiting goes in the same wakeup and, below, the
                        // same socket write; bounded, so reads are not kept waiting.
                        for _ in 1..COMMAND_BATCH {
                            match self.commands.try_recv() {
                                Ok(cmd) => self.command(cmd),
                                Err(_) => break,
                            }
                        }
                    }
                    None => self.session.disconnect(ReasonCode::SUCCESS, None, Instant::now()),
                },
                _ = sleep_until(deadline) => self.session.handle_timeout(Instant::now()),
            }
            if lost {
                // The writer task may be finished: never poll its handle again.
                self.conn = None;
                self.session.connection_lost(Instant::now());
            }
        }
    }

    /// Waits `delay` while the connection is down, still taking commands (publishes queue in
    /// the session). False if the client should stop.
    async fn wait_offline(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return true,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Disconnect(_, _, done)) => {
                        let _ = done.send(());
                        return false;
                    }
                    Some(Command::Abort) => return false,
                    Some(cmd) => self.command(cmd),
                    None => return false,
                },
            }
        }
    }

    fn command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Publish(p, reply) => {
                if !self.blocked.is_empty() {
                    self.blocked.push_back((p, reply));
                    return;
                }
                // Only a full queue can refuse it for room: keep a copy for a retry only then,
                // not on every message.
                let (queued, _) = self.session.pending();
                if queued < self.session.options().queue_limit {
                    let _ = reply.send(self.session.publish_packet(p, now));
                    return;
                }
                match self.session.publish_packet(p.clone(), now) {
                    Err(SessionError::QueueFull) => self.blocked.push_back((p, reply)),
                    r => {
                        let _ = reply.send(r);
                    }
                }
            }
            Command::Subscribe(subs, props, reply) => {
                let _ = reply.send(self.session.subscribe_with(subs, props, now));
            }
            Command::Unsubscribe(filters, props, reply) => {
                let _ = reply.send(self.session.unsubscribe_with(filters, props, now));
            }
            Command::Abort => {
                // Closing the socket without DISCONNECT: the writer task shuts it down.
                self.conn = None;
                self.session.connection_lost(now);
                self.config.reconnect = false;
            }
            Command::Disconnect(code, expiry, done) => {
                self.session.disconnect(code, expiry, now);
                if let Some(conn) = self.conn.take() {
                    flush(&mut self.session, &conn);
                    // Let the writer drain and close before reporting done.
                    drop(conn.out);
                    let writer = conn.writer;
                    tokio::spawn(async move {
                        let _ = writer.await;
                        let _ = done.send(());
                    });
                } else {
                    let _ = done.send(());
                }
            }
        }
    }

    fn retry_blocked(&mut self) {
        while let Some((p, reply)) = self.blocked.pop_front() {
            match self.session.publish_packet(p.clone(), Instant::now()) {
                Err(SessionError::QueueFull) => {
                    self.blocked.push_front((p, reply));
                    return;
                }
                r => {
                    let _ = reply.send(r);
                }
            }
        }
    }
}
