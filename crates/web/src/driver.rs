//! The loop between the session and the browser: bytes from the socket go into the session,
//! its transmits go to the socket (held back while `bufferedAmount` is high), its events go to
//! waiting commands and listeners, its deadline goes to the timers; lost connections are
//! retried with backoff; the snapshot goes to IndexedDB after every change that matters.
//!
//! Every entry point (a socket, timer or network callback, a command) runs through [`with`]:
//! it borrows the driver, does its work and drains the session, *releases the borrow*, and
//! only then calls listeners. A listener may therefore call back into the client (publish from
//! a message handler, say) without a `RefCell` double borrow, and no borrow is ever held across
//! an `.await`.

use crate::client::Message;
use crate::config::{AuthChallenge, Config, Override};
use crate::error::Error;
use crate::online::{self, Online};
use crate::pending::{Slot, Waiters};
use crate::persist::{self, Store};
use crate::socket::{Socket, SocketEvent};
use crate::status::{describe, LastError, Notice, State, Status};
use crate::timers::{Signal, TimerBackend, TimerKind, Timers};
use bytes::{Bytes, BytesMut};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;
use switchboard_mqtt::codec::{ByteStr, Properties, Publish, QoS, ReasonCode, Subscription};
use switchboard_mqtt::session::{
    DisconnectReason, Event, Instant, Session, SessionError, Snapshot,
};
use wasm_bindgen_futures::spawn_local;

/// The driver, shared by every [`Client`](crate::Client) handle.
pub(crate) type Shared = Rc<RefCell<Driver>>;
/// A registered listener.
pub(crate) type Listener = Rc<dyn Fn(&Notice)>;

/// Transmits are written in batches of up to this many bytes (one WebSocket message each).
const BATCH: usize = 64 * 1024;
/// How often to look at `bufferedAmount` again while transmits are held back.
const DRAIN_POLL: Duration = Duration::from_millis(5);
/// How long a save caused only by acknowledgements may wait, so a stream of PUBACKs does not
/// snapshot the whole queue once per WebSocket message.
const LAZY_SAVE_MS: i32 = 200;

/// What a step produced for listeners, delivered after the borrow is released.
#[derive(Default)]
pub(crate) struct Out {
    notices: Vec<Notice>,
    listeners: Vec<Listener>,
}

impl Out {
    fn run(self) {
        for notice in &self.notices {
            for listener in &self.listeners {
                listener(notice);
            }
        }
    }
}

/// Runs `f` on the driver, then drains the session, then (borrow released) tells listeners.
/// `None` if the driver is borrowed already, which the design above rules out.
pub(crate) fn with<R>(shared: &Shared, f: impl FnOnce(&mut Driver, &mut Out) -> R) -> Option<R> {
    let mut out = Out::default();
    let r = {
        let mut d = shared.try_borrow_mut().ok()?;
        let r = f(&mut d, &mut out);
        d.pump(&mut out);
        if !out.notices.is_empty() {
            out.listeners = d.listeners.iter().map(|(_, l)| l.clone()).collect();
        }
        r
    };
    out.run();
    Some(r)
}

/// Counters for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    /// Times transmits were held back because `bufferedAmount` was above the mark.
    pub(crate) held_back: u32,
    /// Snapshots written to IndexedDB.
    pub(crate) saves: u32,
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    config: Config,
    weak: Weak<RefCell<Driver>>,
    socket: Option<Socket>,
    socket_gen: u32,
    /// The socket of this attempt is open and CONNECT was given to the session.
    open: bool,
    /// An attempt is under way (hook running, socket opening, or connection up).
    attempt_live: bool,
    /// Why the socket closed, to describe the `TransportLost` that follows.
    socket_error: Option<LastError>,
    held: VecDeque<Bytes>,
    pub(crate) timers: Timers,
    /// The backend of the timer being handled, to attribute PINGREQs.
    firing: Option<TimerBackend>,
    store: Option<Store>,
    store_key: Option<String>,
    pub(crate) storage_error: Option<String>,
    /// A save is wanted now (a command was accepted) / soon (acknowledgements arrived).
    dirty_now: bool,
    dirty_lazy: bool,
    save_scheduled: bool,
    lazy_scheduled: bool,
    /// The last snapshot held QoS 2 receptions awaiting PUBREL: incoming bytes may change them.
    qos2_pending: bool,
    /// Publishes wait for the end of the current JS task before they are written, so a
    /// burst goes out as a few large WebSocket messages instead of one per message.
    coalescing: bool,
    pub(crate) status: Status,
    attempt: u32,
    url_index: usize,
    connected_at: Option<Instant>,
    ever_connected: bool,
    closed: bool,
    publishes: Waiters<Result<ReasonCode, Error>>,
    /// Publishes the session's queue had no room for, in call order (see `publish`).
    waiting: VecDeque<(Publish, Slot<Result<ReasonCode, Error>>)>,
    subscribes: Waiters<Result<Vec<ReasonCode>, Error>>,
    unsubscribes: Waiters<Result<Vec<ReasonCode>, Error>>,
    /// [`Client::connect`](crate::Client::connect) waits here for the first outcome.
    first_outcome: Option<Slot<Result<(), Error>>>,
    listeners: Vec<(u32, Listener)>,
    next_listener: u32,
    online: Option<Online>,
    pub(crate) counters: Counters,
}

/// Checks a broker URL has a WebSocket scheme and a host.
fn check_url(url: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .ok_or_else(|| Error::InvalidUrl(format!("{url} (expected ws:// or wss://)")))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::InvalidUrl(format!("{url} (no host)")));
    }
    Ok(())
}

/// Keeps what a snapshot may carry into a new session: all of it when the session resumes,
/// only our unacknowledged messages after a clean start (the API accepted them; the
/// subscriptions and QoS 2 receptions belong to the old server session).
fn prepare(mut snapshot: Snapshot, clean_start: bool) -> Snapshot {
    if clean_start {
        snapshot.established = false;
        snapshot.subscriptions.clear();
        snapshot.requests.clear();
        snapshot.incoming_qos2.clear();
    }
    snapshot
}

/// Starts a driver: restores the session from IndexedDB if asked, then makes the first
/// attempt. With `first`, that slot hears how the first attempt ends, and a failure closes
/// the client.
pub(crate) async fn start(
    config: Config,
    first: Option<Slot<Result<(), Error>>>,
) -> Result<Shared, Error> {
    let Some(first_url) = config.urls.first().cloned() else {
        return Err(Error::InvalidUrl("no broker URL given".into()));
    };
    for url in &config.urls {
        check_url(url)?;
    }
    let options = config.options.clone();
    if options.protocol == switchboard_mqtt::codec::Protocol::V3_1 && options.client_id.is_empty() {
        return Err(Error::InvalidOptions(
            "MQTT 3.1 needs a client id".to_string(),
        ));
    }
    let mut session = Session::new(options.clone());
    let mut store = None;
    let mut storage_error = None;
    let key = (config.persist && !options.client_id.is_empty())
        .then(|| persist::key(&first_url, &options.client_id));
    if let Some(key) = &key {
        match Store::open().await {
            Ok(s) => {
                match s.load(key).await {
                    Ok(Some(bytes)) => match Snapshot::from_bytes(&bytes) {
                        Ok(snap) => {
                            session = Session::restore(
                                options.clone(),
                                prepare(snap, options.clean_start),
                            )
                        }
                        Err(e) => storage_error = Some(e.to_string()),
                    },
                    Ok(None) => {}
                    Err(e) => storage_error = Some(e),
                }
                store = Some(s);
            }
            Err(e) => storage_error = Some(e),
        }
    }
    let prefer_worker = config.timers == crate::config::TimerPreference::Worker;
    let shared: Shared = Rc::new_cyclic(|weak: &Weak<RefCell<Driver>>| {
        let w = weak.clone();
        let on_timer: Rc<dyn Fn(Signal)> = Rc::new(move |signal| {
            if let Some(s) = w.upgrade() {
                with(&s, |d, out| d.on_timer(signal, out));
            }
        });
        let w = weak.clone();
        let on_network: Rc<dyn Fn(bool)> = Rc::new(move |up| {
            if let Some(s) = w.upgrade() {
                with(&s, |d, out| d.on_network(up, out));
            }
        });
        RefCell::new(Driver {
            session,
            weak: weak.clone(),
            socket: None,
            socket_gen: 0,
            open: false,
            attempt_live: false,
            socket_error: None,
            held: VecDeque::new(),
            timers: Timers::new(prefer_worker, on_timer),
            firing: None,
            store_key: key.filter(|_| store.is_some()),
            store,
            storage_error,
            dirty_now: false,
            dirty_lazy: false,
            save_scheduled: false,
            lazy_scheduled: false,
            qos2_pending: true,
            coalescing: false,
            status: Status {
                state: State::Connecting { attempt: 0 },
                url: first_url,
                last_error: None,
            },
            attempt: 0,
            url_index: 0,
            connected_at: None,
            ever_connected: false,
            closed: false,
            publishes: Waiters::new(),
            waiting: VecDeque::new(),
            subscribes: Waiters::new(),
            unsubscribes: Waiters::new(),
            first_outcome: first,
            listeners: Vec::new(),
            next_listener: 0,
            online: Online::watch(on_network),
            counters: Counters::default(),
            config,
        })
    });
    with(&shared, |d, out| {
        // A restored session is written back at once, so the record matches what runs.
        d.dirty_now = true;
        d.start_attempt(out);
    });
    Ok(shared)
}

impl Driver {
    // --- the loop ---------------------------------------------------------------------

    /// Writes what the session wants written and handles its events until both are drained;
    /// then arms the session timer and schedules a save if one is due.
    fn pump(&mut self, out: &mut Out) {
        loop {
            self.flush();
            let mut any = false;
            while let Some(event) = self.session.poll_event() {
                any = true;
                self.on_event(event, out);
            }
            // Acknowledgements and sends make room in the queue for publishes that wait.
            if self.admit_waiting() {
                any = true;
            }
            if !any {
                break;
            }
        }
        self.arm_session_timer();
        self.schedule_save();
    }

    /// Moves the session's transmits to the socket in batches, while `bufferedAmount` stays
    /// under the high-water mark; what is left waits for the drain timer.
    fn flush(&mut self) {
        if self.coalescing {
            return;
        }
        while let Some(bytes) = self.session.poll_transmit() {
            if let (Some(backend), [0xC0, 0x00]) = (self.firing, &bytes[..]) {
                match backend {
                    TimerBackend::Worker => self.timers.stats.pings_from_worker += 1,
                    TimerBackend::MainThread => self.timers.stats.pings_from_main += 1,
                }
            }
            self.held.push_back(bytes);
        }
        let Some(socket) = &self.socket else {
            self.held.clear();
            return;
        };
        while let Some(first) = self.held.pop_front() {
            if socket.buffered_amount() > self.config.high_water {
                self.held.push_front(first);
                self.counters.held_back += 1;
                if self.timers.armed_at(TimerKind::Drain).is_none() {
                    self.timers.arm(TimerKind::Drain, DRAIN_POLL);
                }
                return;
            }
            let sent = if self
                .held
                .front()
                .is_some_and(|next| first.len() + next.len() <= BATCH)
            {
                let mut batch = BytesMut::with_capacity(BATCH.min(first.len() * 4));
                batch.extend_from_slice(&first);
                while let Some(next) = self.held.front() {
                    if batch.len() + next.len() > BATCH {
                        break;
                    }
                    batch.extend_from_slice(next);
                    self.held.pop_front();
                }
                socket.send(&batch)
            } else {
                socket.send(&first)
            };
            if sent.is_err() {
                // The socket is closing; its close event ends the connection.
                self.held.clear();
                return;
            }
        }
    }

    /// Sends everything held, ignoring the high-water mark (before a close).
    fn flush_all(&mut self) {
        self.coalescing = false;
        let high_water = std::mem::replace(&mut self.config.high_water, u32::MAX);
        self.flush();
        self.config.high_water = high_water;
    }

    fn arm_session_timer(&mut self) {
        let Some(at) = self.session.poll_timeout() else {
            return;
        };
        // An earlier timer already armed fires first; the session re-arms from there.
        if self
            .timers
            .armed_at(TimerKind::Session)
            .is_some_and(|armed| armed <= at)
        {
            return;
        }
        let delay = at.saturating_duration_since(Instant::now());
        self.timers.arm(TimerKind::Session, delay);
    }

    fn on_event(&mut self, event: Event, out: &mut Out) {
        match event {
            Event::Connected {
                session_present,
                properties,
            } => {
                self.ever_connected = true;
                self.connected_at = Some(Instant::now());
                self.dirty_now = true;
                self.set_state(State::Connected, out);
                if let Some(slot) = self.first_outcome.take() {
                    slot.complete(Ok(()));
                }
                out.notices.push(Notice::Connected {
                    session_present,
                    properties,
                });
            }
            Event::Message {
                publish,
                subscriptions,
            } => {
                if publish.qos == QoS::ExactlyOnce {
                    self.dirty_now = true;
                    self.qos2_pending = true;
                }
                out.notices.push(Notice::Message(Message {
                    publish,
                    subscriptions,
                }));
            }
            Event::Published {
                packet_id, code, ..
            } => {
                self.dirty_lazy = true;
                if let Some(slot) = self.publishes.remove(&packet_id.get()) {
                    slot.complete(if code.is_success() {
                        Ok(code)
                    } else {
                        Err(Error::Rejected(code))
                    });
                }
            }
            Event::Subscribed {
                packet_id, codes, ..
            } => {
                self.dirty_now = true;
                if let Some(slot) = self.subscribes.remove(&packet_id.get()) {
                    slot.complete(Ok(codes));
                }
            }
            Event::Unsubscribed {
                packet_id, codes, ..
            } => {
                self.dirty_now = true;
                if let Some(slot) = self.unsubscribes.remove(&packet_id.get()) {
                    slot.complete(Ok(codes));
                }
            }
            Event::Disconnected(reason) => {
                let error = match &reason {
                    DisconnectReason::Local { .. } => None,
                    DisconnectReason::TransportLost => self
                        .socket_error
                        .take()
                        .or_else(|| Some(describe(&reason, self.config.options.protocol))),
                    _ => Some(describe(&reason, self.config.options.protocol)),
                };
                self.connection_over(error, Some(reason), out);
            }
            Event::AuthChallenge {
                method,
                data,
                properties,
            } => {
                let challenge = AuthChallenge {
                    method: method.unwrap_or_default(),
                    data,
                    properties,
                };
                self.on_auth_challenge(challenge, out);
            }
            // QoS 0 messages dropped from the queue, and a completed re-authentication (which
            // only the session starts), have nobody waiting on them here.
            _ => {}
        }
    }

    // --- connection attempts --------------------------------------------------------

    fn current_url(&self) -> String {
        let urls = &self.config.urls;
        urls.get(self.url_index % urls.len().max(1))
            .cloned()
            .unwrap_or_default()
    }

    fn start_attempt(&mut self, out: &mut Out) {
        if self.closed || self.attempt_live {
            return;
        }
        self.timers.clear(TimerKind::Reconnect);
        self.attempt_live = true;
        let url = self.current_url();
        self.status.url.clone_from(&url);
        self.set_state(
            State::Connecting {
                attempt: self.attempt,
            },
            out,
        );
        match self.config.before_attempt.clone() {
            Some(hook) => {
                let weak = self.weak.clone();
                let attempt = self.attempt;
                spawn_local(async move {
                    let change = hook(attempt, url.clone()).await;
                    if let Some(s) = weak.upgrade() {
                        with(&s, |d, out| d.open_socket(url, change, out));
                    }
                });
            }
            None => self.open_socket(url, None, out),
        }
    }

    fn open_socket(&mut self, url: String, change: Option<Override>, out: &mut Out) {
        if self.closed || !self.attempt_live || self.socket.is_some() {
            return;
        }
        let mut url = url;
        if let Some(change) = change {
            if change.username.is_some() || change.password.is_some() {
                let mut options = self.session.options().clone();
                if let Some(u) = change.username {
                    options.username = Some(ByteStr::from(u));
                }
                if let Some(p) = change.password {
                    options.password = Some(p);
                }
                // Not connected: the session is all in its snapshot.
                self.session = Session::restore(options, self.session.snapshot());
            }
            if let Some(u) = change.url {
                url = u;
            }
        }
        if let Err(e) = check_url(&url) {
            self.connection_over(Some(error_line(e.to_string())), None, out);
            return;
        }
        self.status.url.clone_from(&url);
        self.socket_gen = self.socket_gen.wrapping_add(1);
        let generation = self.socket_gen;
        let weak = self.weak.clone();
        let on_event: Rc<dyn Fn(SocketEvent)> = Rc::new(move |event| {
            if let Some(s) = weak.upgrade() {
                with(&s, |d, out| d.on_socket(generation, event, out));
            }
        });
        match Socket::open(&url, on_event) {
            Ok(socket) => {
                self.socket = Some(socket);
                self.open = false;
            }
            Err(e) => {
                let line = error_line(format!("cannot open {url}: {e}"));
                self.connection_over(Some(line), None, out);
            }
        }
    }

    fn on_socket(&mut self, generation: u32, event: SocketEvent, out: &mut Out) {
        if generation != self.socket_gen || self.socket.is_none() {
            return;
        }
        let now = Instant::now();
        match event {
            SocketEvent::Open => {
                self.open = true;
                self.session.connect(now);
            }
            SocketEvent::Data(bytes) => {
                if self.qos2_pending {
                    self.dirty_lazy = true;
                }
                let len = bytes.length() as usize;
                // `copy_to` wants exactly `len` bytes, which is what the session hands it.
                self.session
                    .handle_bytes_with(len, |dst| bytes.copy_to(dst), now);
            }
            SocketEvent::Text => {
                self.socket_error = Some(error_line(
                    "the broker sent a text frame (MQTT uses binary frames)".into(),
                ));
                self.session.connection_lost(now);
                self.pump(out);
                self.end_attempt(out);
            }
            SocketEvent::Closed { code, reason } => {
                let mut message = if self.open {
                    format!("the connection closed (WebSocket close code {code}")
                } else {
                    format!(
                        "cannot connect to {} (WebSocket close code {code}",
                        self.status.url
                    )
                };
                if !reason.is_empty() {
                    message.push_str(": ");
                    message.push_str(&reason);
                }
                message.push(')');
                self.socket_error = Some(error_line(message));
                self.session.connection_lost(now);
                self.pump(out);
                self.end_attempt(out);
            }
        }
    }

    /// Ends an attempt the session did not end itself (the socket closed before CONNECT, or
    /// after the session had already ended the connection).
    fn end_attempt(&mut self, out: &mut Out) {
        if self.attempt_live {
            let error = self.socket_error.take();
            self.connection_over(error, None, out);
        }
        self.socket_error = None;
    }

    /// Hands a challenge to the configured handler; its answer goes back on the same
    /// connection, if that is still up. No handler, or a refusal, ends the attempt.
    fn on_auth_challenge(&mut self, challenge: AuthChallenge, out: &mut Out) {
        let Some(handler) = self.config.auth.clone() else {
            self.fail_connection(
                "the broker asked for enhanced authentication and no auth handler is set".into(),
                out,
            );
            return;
        };
        let weak = self.weak.clone();
        let generation = self.socket_gen;
        spawn_local(async move {
            let answer = handler(challenge).await;
            if let Some(s) = weak.upgrade() {
                with(&s, |d, out| d.answer_auth(generation, answer, out));
            }
        });
    }

    fn answer_auth(
        &mut self,
        generation: u32,
        answer: Result<Option<Bytes>, String>,
        out: &mut Out,
    ) {
        if generation != self.socket_gen || !self.open || !self.attempt_live {
            return;
        }
        let mut message = String::from("enhanced authentication failed: ");
        match answer {
            Ok(data) => match self.session.auth(data, false, Instant::now()) {
                Ok(()) => return,
                Err(SessionError::NotAllowed(why)) => message.push_str(why),
                Err(_) => message.push_str("the answer makes no valid AUTH"),
            },
            Err(why) => message.push_str(&why),
        }
        self.fail_connection(message, out);
    }

    /// Ends the current connection from our side (closing the socket without DISCONNECT)
    /// with `message` as its error. The session's own report of the loss comes after and
    /// finds the attempt over already.
    fn fail_connection(&mut self, message: String, out: &mut Out) {
        self.socket_error = Some(error_line(message));
        self.session.connection_lost(Instant::now());
        self.end_attempt(out);
    }

    /// A connection or attempt is over: close the socket, report, and decide what is next.
    fn connection_over(
        &mut self,
        error: Option<LastError>,
        reason: Option<DisconnectReason>,
        out: &mut Out,
    ) {
        if !self.attempt_live {
            return;
        }
        self.attempt_live = false;
        self.flush_all();
        self.open = false;
        self.held.clear();
        self.drop_socket();
        self.timers.clear(TimerKind::Session);
        self.timers.clear(TimerKind::Drain);
        match self.connected_at.take() {
            Some(t) if t.elapsed() >= self.config.backoff.stable_after => self.attempt = 0,
            Some(_) => {}
            // The attempt never got a CONNACK: the next one tries the next URL.
            None => self.url_index = self.url_index.wrapping_add(1),
        }
        if let Some(e) = &error {
            self.status.last_error = Some(e.clone());
            out.notices.push(Notice::Error(e.clone()));
        }
        out.notices.push(Notice::Closed {
            error: error.clone(),
        });
        if let Some(slot) = self.first_outcome.take() {
            // `Client::connect`: the first attempt failed; give up.
            let e = match (&reason, &error) {
                (Some(DisconnectReason::Refused { code, .. }), Some(e)) => Error::Refused {
                    code: code.get(),
                    message: e.message.clone(),
                },
                (_, Some(e)) => Error::ConnectFailed(e.message.clone()),
                (_, None) => Error::Closed,
            };
            slot.complete(Err(e));
            self.close_for_good(out);
            return;
        }
        let hopeless = matches!(
            reason,
            Some(DisconnectReason::Local { .. } | DisconnectReason::InvalidOptions { .. })
        );
        if self.closed || hopeless || !self.config.reconnect {
            self.close_for_good(out);
            return;
        }
        self.schedule_reconnect(out);
    }

    fn schedule_reconnect(&mut self, out: &mut Out) {
        if !online::is_online() {
            self.set_state(State::Offline, out);
            out.notices.push(Notice::Offline);
            return;
        }
        self.attempt = self.attempt.saturating_add(1);
        if self.config.backoff.gives_up(self.attempt) {
            let e = error_line(format!(
                "gave up after {} failed attempts",
                self.attempt.saturating_sub(1)
            ));
            self.status.last_error = Some(e.clone());
            out.notices.push(Notice::Error(e));
            self.close_for_good(out);
            return;
        }
        let delay = self.config.backoff.delay(self.attempt);
        self.set_state(
            State::Reconnecting {
                attempt: self.attempt,
                next_in: delay,
            },
            out,
        );
        out.notices.push(Notice::Reconnecting {
            attempt: self.attempt,
            delay,
        });
        self.timers.arm(TimerKind::Reconnect, delay);
    }

    /// No more attempts: close everything, fail what waits, save the session.
    fn close_for_good(&mut self, out: &mut Out) {
        if self.closed && self.status.state == State::Closed {
            return;
        }
        self.closed = true;
        self.attempt_live = false;
        self.drop_socket();
        self.timers.clear_all();
        if let Some(online) = self.online.take() {
            // We may be inside one of its callbacks: drop it after this task.
            spawn_local(async move { drop(online) });
        }
        self.fail_waiters();
        self.dirty_now = true;
        self.set_state(State::Closed, out);
    }

    fn fail_waiters(&mut self) {
        for (_, slot) in self.publishes.drain() {
            slot.complete(Err(Error::Closed));
        }
        for (_, slot) in self.waiting.drain(..) {
            slot.complete(Err(Error::Closed));
        }
        for (_, slot) in self.subscribes.drain() {
            slot.complete(Err(Error::Closed));
        }
        for (_, slot) in self.unsubscribes.drain() {
            slot.complete(Err(Error::Closed));
        }
        if let Some(slot) = self.first_outcome.take() {
            slot.complete(Err(Error::Closed));
        }
    }

    fn drop_socket(&mut self) {
        if let Some(socket) = self.socket.take() {
            // We may be inside one of its callbacks: drop it (unsetting the handlers and
            // closing) after this task.
            spawn_local(async move { drop(socket) });
        }
    }

    fn set_state(&mut self, state: State, out: &mut Out) {
        if self.status.state != state {
            self.status.state = state;
            out.notices.push(Notice::Status(self.status.clone()));
        }
    }

    // --- timers and network ---------------------------------------------------------

    fn on_timer(&mut self, signal: Signal, out: &mut Out) {
        let (kind, generation, backend) = match signal {
            Signal::Fired(kind, generation, backend) => (kind, generation, backend),
            Signal::WorkerFailed => {
                self.timers.fall_back_to_main();
                return;
            }
        };
        if !self.timers.take_fired(kind, generation, backend) {
            return;
        }
        match kind {
            TimerKind::Session => {
                self.firing = Some(backend);
                self.session.handle_timeout(Instant::now());
                self.flush();
                self.firing = None;
            }
            TimerKind::Reconnect => {
                if matches!(self.status.state, State::Reconnecting { .. }) {
                    self.start_attempt(out);
                }
            }
            // `pump` flushes what was held.
            TimerKind::Drain => {}
        }
    }

    fn on_network(&mut self, up: bool, out: &mut Out) {
        if self.closed {
            return;
        }
        match (up, self.status.state) {
            (true, State::Offline | State::Reconnecting { .. }) => {
                self.timers.clear(TimerKind::Reconnect);
                self.start_attempt(out);
            }
            (false, State::Reconnecting { .. }) => {
                self.timers.clear(TimerKind::Reconnect);
                self.set_state(State::Offline, out);
                out.notices.push(Notice::Offline);
            }
            _ => {}
        }
    }

    // --- persistence ----------------------------------------------------------------

    fn schedule_save(&mut self) {
        if self.store.is_none() {
            self.dirty_now = false;
            self.dirty_lazy = false;
            return;
        }
        if self.dirty_now && !self.save_scheduled {
            self.save_scheduled = true;
            let weak = self.weak.clone();
            spawn_local(async move { save_task(weak).await });
        } else if self.dirty_lazy && !self.save_scheduled && !self.lazy_scheduled {
            self.lazy_scheduled = true;
            let weak = self.weak.clone();
            spawn_local(async move {
                crate::pending::sleep(LAZY_SAVE_MS).await;
                if let Some(s) = weak.upgrade() {
                    if let Ok(mut d) = s.try_borrow_mut() {
                        d.lazy_scheduled = false;
                        if d.dirty_lazy && !d.save_scheduled {
                            d.save_scheduled = true;
                        } else {
                            return;
                        }
                    }
                }
                save_task(weak).await;
            });
        }
    }

    /// The snapshot to write now, and where.
    fn take_save(&mut self) -> Option<(Store, String, Bytes)> {
        self.dirty_now = false;
        self.dirty_lazy = false;
        self.save_scheduled = false;
        let store = self.store.clone()?;
        let key = self.store_key.clone()?;
        let snapshot = self.session.snapshot();
        self.qos2_pending = !snapshot.incoming_qos2.is_empty();
        self.counters.saves += 1;
        Some((store, key, snapshot.to_bytes()))
    }

    fn storage_failed(&mut self, error: String, out: &mut Out) {
        if self.store.take().is_none() {
            return;
        }
        let e = error_line(format!("storage failed, continuing in memory: {error}"));
        self.storage_error = Some(error);
        out.notices.push(Notice::Error(e));
    }

    // --- commands -------------------------------------------------------------------

    /// Publishes, or waits for room: when the session's queue is full (of QoS 1/2 messages:
    /// the session first drops the oldest queued QoS 0 message to make room), the publish
    /// waits here, in call order, and any later publish waits behind it; each goes to the
    /// session as acknowledgements make room. Waiting publishes live in memory only (not yet
    /// in IndexedDB) and fail with [`Error::Closed`] if the client closes first.
    pub(crate) fn publish(&mut self, publish: Publish, slot: Slot<Result<ReasonCode, Error>>) {
        if self.closed {
            return slot.complete(Err(Error::Closed));
        }
        if self.waiting.is_empty() {
            if let Some(refused) = self.offer(publish, slot) {
                self.waiting.push_back(refused);
            }
        } else {
            self.waiting.push_back((publish, slot));
        }
    }

    /// Gives a publish to the session and settles or registers its slot; hands both back
    /// when the queue has no room.
    fn offer(
        &mut self,
        publish: Publish,
        slot: Slot<Result<ReasonCode, Error>>,
    ) -> Option<(Publish, Slot<Result<ReasonCode, Error>>)> {
        let now = Instant::now();
        // The session only refuses for room when its queue is at the limit: only then is a
        // copy kept to wait with.
        let result = if self.session.pending().0 >= self.session.options().queue_limit {
            match self.session.publish_packet(publish.clone(), now) {
                Err(SessionError::QueueFull) => return Some((publish, slot)),
                result => result,
            }
        } else {
            self.session.publish_packet(publish, now)
        };
        if result.is_ok() {
            self.coalesce();
        }
        match result {
            Ok(Some(id)) => {
                self.dirty_now = true;
                self.publishes.insert(id.get(), slot);
            }
            Ok(None) => slot.complete(Ok(ReasonCode::SUCCESS)),
            Err(e) => slot.complete(Err(e.into())),
        }
        None
    }

    /// Moves waiting publishes into the session while it has room; whether any moved.
    fn admit_waiting(&mut self) -> bool {
        if self.closed {
            // Closing fails them instead (`fail_waiters`).
            return false;
        }
        let mut admitted = false;
        while let Some((publish, slot)) = self.waiting.pop_front() {
            if let Some(refused) = self.offer(publish, slot) {
                self.waiting.push_front(refused);
                break;
            }
            admitted = true;
        }
        admitted
    }

    /// Holds transmits back until a microtask at the end of the current JS task writes
    /// them all (see `coalescing`).
    fn coalesce(&mut self) {
        if self.coalescing {
            return;
        }
        self.coalescing = true;
        let weak = self.weak.clone();
        spawn_local(async move {
            if let Some(s) = weak.upgrade() {
                with(&s, |d, _| d.coalescing = false);
            }
        });
    }

    pub(crate) fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
        slot: Slot<Result<Vec<ReasonCode>, Error>>,
    ) {
        if self.closed {
            return slot.complete(Err(Error::Closed));
        }
        match self
            .session
            .subscribe_with(subscriptions, properties, Instant::now())
        {
            Ok(id) => {
                self.dirty_now = true;
                self.subscribes.insert(id.get(), slot);
            }
            Err(e) => slot.complete(Err(e.into())),
        }
    }

    pub(crate) fn unsubscribe(
        &mut self,
        filters: Vec<ByteStr>,
        slot: Slot<Result<Vec<ReasonCode>, Error>>,
    ) {
        if self.closed {
            return slot.complete(Err(Error::Closed));
        }
        match self.session.unsubscribe(filters, Instant::now()) {
            Ok(id) => {
                self.dirty_now = true;
                self.unsubscribes.insert(id.get(), slot);
            }
            Err(e) => slot.complete(Err(e.into())),
        }
    }

    /// Sends DISCONNECT (when connected) and closes for good.
    pub(crate) fn disconnect(&mut self, code: ReasonCode, out: &mut Out) {
        self.closed = true;
        if self.attempt_live && self.open {
            // The session ends the connection (Disconnected(Local)); `pump` closes the rest.
            self.session.disconnect(code, None, Instant::now());
        } else {
            self.close_for_good(out);
        }
    }

    /// Closes without DISCONNECT, as a crash would (the broker publishes the Will).
    pub(crate) fn abort(&mut self, out: &mut Out) {
        self.session.connection_lost(Instant::now());
        while self.session.poll_event().is_some() {}
        self.close_for_good(out);
    }

    pub(crate) fn add_listener(&mut self, listener: Listener) -> u32 {
        self.next_listener = self.next_listener.wrapping_add(1);
        self.listeners.push((self.next_listener, listener));
        self.next_listener
    }

    pub(crate) fn remove_listener(&mut self, id: u32) {
        self.listeners.retain(|(i, _)| *i != id);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.fail_waiters();
    }
}

/// Writes the latest snapshot; a failure degrades the client to memory.
pub(crate) async fn save_task(weak: Weak<RefCell<Driver>>) {
    let Some(shared) = weak.upgrade() else {
        return;
    };
    let job = shared.try_borrow_mut().ok().and_then(|mut d| d.take_save());
    drop(shared);
    let Some((store, key, bytes)) = job else {
        return;
    };
    let result = match store.save(&key, &bytes) {
        Ok(done) => done.await,
        Err(e) => Err(e),
    };
    if let (Err(e), Some(shared)) = (result, weak.upgrade()) {
        with(&shared, |d, out| d.storage_failed(e, out));
    }
}

/// Writes the snapshot now and waits until it (and every save before it) is committed.
pub(crate) async fn persist_now(shared: &Shared) -> Result<(), Error> {
    let job = shared.try_borrow_mut().ok().and_then(|mut d| d.take_save());
    let Some((store, key, bytes)) = job else {
        return Ok(());
    };
    let result = match store.save(&key, &bytes) {
        Ok(done) => done.await,
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        with(shared, |d, out| d.storage_failed(e.clone(), out));
    }
    result.map_err(Error::Storage)
}

/// Forgets the stored session of `url` and `client_id` (for a fresh start).
pub(crate) async fn forget(url: &str, client_id: &str) -> Result<(), Error> {
    let store = Store::open().await.map_err(Error::Storage)?;
    store
        .delete(&persist::key(url, client_id))
        .map_err(Error::Storage)
}

fn error_line(message: String) -> LastError {
    LastError {
        message,
        code: None,
    }
}
