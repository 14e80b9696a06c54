//! The Rust API: a cloneable [`Client`] handle over the driver.

use crate::config::Config;
use crate::driver::{self, with, Shared};
use crate::error::Error;
use crate::pending::{Pending, Slot};
use crate::status::{Notice, State, Status};
use crate::timers::TimerStats;
use bytes::Bytes;
use futures_core::Stream;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use switchboard_mqtt::codec::{ByteStr, Properties, Publish, QoS, ReasonCode, Subscription};

/// A message that arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The PUBLISH (topic resolved if the server used a Topic Alias).
    pub publish: Publish,
    /// The filters of our subscriptions it matched, from its Subscription Identifiers (5.0).
    pub subscriptions: Vec<ByteStr>,
}

impl Message {
    /// The topic.
    pub fn topic(&self) -> &str {
        &self.publish.topic
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.publish.payload
    }
}

/// Identifies a listener, to remove it with [`Client::remove_listener`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u32);

/// A handle to a running MQTT client in the browser; clones share it. Dropping the last
/// handle closes the WebSocket without DISCONNECT (as a crash would) and stops the timers;
/// the persisted session stays for the next client with the same id.
///
/// Commands (`publish`, `subscribe`, …) take effect when called; the returned [`Pending`]
/// resolves when the server answered.
#[derive(Clone)]
pub struct Client {
    shared: Shared,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("status", &self.status())
            .finish()
    }
}

impl Client {
    /// Starts a client and returns at once; it connects (and reconnects) in the background,
    /// and commands made while it is not connected wait in the session's queue. The session
    /// is first restored from IndexedDB when the config asks for persistence.
    pub async fn start(config: Config) -> Result<Client, Error> {
        let shared = driver::start(config, None).await?;
        Ok(Client { shared })
    }

    /// Starts a client and waits for its first connection: `Ok` once CONNACK accepted it,
    /// an error if the first attempt fails (refused, unreachable, timed out), in which case
    /// the client is closed. Later losses are retried as the config says.
    pub async fn connect(config: Config) -> Result<Client, Error> {
        let (first, slot) = Pending::new();
        let shared = driver::start(config, Some(slot)).await?;
        let client = Client { shared };
        first.await?;
        Ok(client)
    }

    fn run<R>(&self, f: impl FnOnce(&mut driver::Driver, &mut driver::Out) -> R) -> Option<R> {
        with(&self.shared, f)
    }

    /// Runs a command that completes `slot`; a closed client fails it at once.
    fn run_command<T>(
        &self,
        slot: Slot<Result<T, Error>>,
        f: impl FnOnce(&mut driver::Driver, Slot<Result<T, Error>>),
    ) {
        let slot = Cell::new(Some(slot));
        let ran = self.run(|d, _| {
            if let Some(slot) = slot.take() {
                f(d, slot);
            }
        });
        if let (None, Some(slot)) = (ran, slot.take()) {
            slot.complete(Err(Error::Closed));
        }
    }

    /// Publishes `payload` to `topic`. Resolves at once for QoS 0 (sent, or queued while
    /// offline), and for QoS 1/2 when the flow completes (PUBACK, PUBCOMP) with the reason
    /// code, or [`Error::Rejected`] when the server refused it.
    ///
    /// When the queue (`Options::queue_limit`) is full, the oldest queued QoS 0 message is
    /// dropped to make room; when it holds only QoS 1/2 messages, the publish waits for room
    /// instead of failing, in call order with any publish after it, and joins the queue (and
    /// IndexedDB) as acknowledgements free space. Until then it lives in memory only, and
    /// fails with [`Error::Closed`] if the client closes first.
    pub fn publish(
        &self,
        topic: impl Into<ByteStr>,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
    ) -> Pending<Result<ReasonCode, Error>> {
        let mut p = Publish::new(topic, payload);
        p.qos = qos;
        p.retain = retain;
        self.publish_packet(p)
    }

    /// Publishes a prepared PUBLISH (for 5.0 properties). See [`Client::publish`].
    pub fn publish_packet(&self, publish: Publish) -> Pending<Result<ReasonCode, Error>> {
        let (pending, slot) = Pending::new();
        self.publish_then(publish, slot);
        pending
    }

    /// [`Client::publish_packet`], completing `slot`.
    pub(crate) fn publish_then(&self, publish: Publish, slot: Slot<Result<ReasonCode, Error>>) {
        self.run_command(slot, |d, slot| d.publish(publish, slot));
    }

    /// Subscribes; resolves with one code per filter (the granted QoS, or a failure code).
    pub fn subscribe(
        &self,
        subscriptions: Vec<Subscription>,
    ) -> Pending<Result<Vec<ReasonCode>, Error>> {
        self.subscribe_with(subscriptions, Properties::new())
    }

    /// Subscribes with SUBSCRIBE properties (5.0).
    pub fn subscribe_with(
        &self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Pending<Result<Vec<ReasonCode>, Error>> {
        let (pending, slot) = Pending::new();
        self.subscribe_then(subscriptions, properties, slot);
        pending
    }

    /// [`Client::subscribe_with`], completing `slot`.
    pub(crate) fn subscribe_then(
        &self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
        slot: Slot<Result<Vec<ReasonCode>, Error>>,
    ) {
        self.run_command(slot, |d, slot| d.subscribe(subscriptions, properties, slot));
    }

    /// Unsubscribes; resolves with one code per filter (5.0; empty for 3.x).
    pub fn unsubscribe(&self, filters: Vec<ByteStr>) -> Pending<Result<Vec<ReasonCode>, Error>> {
        let (pending, slot) = Pending::new();
        self.unsubscribe_then(filters, slot);
        pending
    }

    /// [`Client::unsubscribe`], completing `slot`.
    pub(crate) fn unsubscribe_then(
        &self,
        filters: Vec<ByteStr>,
        slot: Slot<Result<Vec<ReasonCode>, Error>>,
    ) {
        self.run_command(slot, |d, slot| d.unsubscribe(filters, slot));
    }

    /// Sends DISCONNECT (when connected) and closes the client for good. Commands still
    /// waiting fail with [`Error::Closed`]; their messages stay persisted.
    pub async fn disconnect(&self) {
        self.run(|d, out| d.disconnect(ReasonCode::SUCCESS, out));
        // Let the final save run before the caller drops the client.
        let _ = self.persisted().await;
    }

    /// Closes the WebSocket without DISCONNECT, as a crash would: the broker publishes the
    /// Will. The client is closed for good.
    pub fn abort(&self) {
        self.run(|d, out| d.abort(out));
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.shared
            .try_borrow()
            .map(|d| d.status.clone())
            .unwrap_or(Status {
                state: State::Closed,
                url: String::new(),
                last_error: None,
            })
    }

    /// Whether the client is connected now.
    pub fn is_connected(&self) -> bool {
        self.status().state == State::Connected
    }

    /// Calls `listener` for everything the client reports. It runs outside the client's own
    /// borrow, so it may call the client.
    pub fn on_notice(&self, listener: impl Fn(&Notice) + 'static) -> ListenerId {
        let id = self
            .shared
            .try_borrow_mut()
            .map(|mut d| d.add_listener(Rc::new(listener)))
            .unwrap_or(0);
        ListenerId(id)
    }

    /// Calls `listener` for every message.
    pub fn on_message(&self, listener: impl Fn(&Message) + 'static) -> ListenerId {
        self.on_notice(move |n| {
            if let Notice::Message(m) = n {
                listener(m)
            }
        })
    }

    /// Removes a listener.
    pub fn remove_listener(&self, id: ListenerId) {
        if let Ok(mut d) = self.shared.try_borrow_mut() {
            d.remove_listener(id.0);
        }
    }

    /// A stream of the messages that arrive from now on (unbounded: poll it). It ends when
    /// the client closes.
    pub fn messages(&self) -> Messages {
        Messages(Feed::attach(self, |n| match n {
            Notice::Message(m) => Some(m.clone()),
            _ => None,
        }))
    }

    /// A stream of status changes, starting with the current status. It ends after
    /// [`State::Closed`].
    pub fn statuses(&self) -> StatusStream {
        let feed = Feed::attach(self, |n| match n {
            Notice::Status(s) => Some(s.clone()),
            _ => None,
        });
        if let Ok(mut q) = feed.queue.try_borrow_mut() {
            q.items.push_back(self.status());
        }
        StatusStream(feed)
    }

    /// Which timer backend runs, and how often each fired.
    pub fn timer_stats(&self) -> Option<TimerStats> {
        self.shared.try_borrow().ok().map(|d| d.timers.stats)
    }

    /// How many times transmits were held back because `bufferedAmount` was high.
    pub fn backpressure_holds(&self) -> u32 {
        self.shared.try_borrow().map_or(0, |d| d.counters.held_back)
    }

    /// Writes the session to IndexedDB now and waits until that (and every earlier save) is
    /// committed. `Ok` also when persistence is off.
    pub async fn persisted(&self) -> Result<(), Error> {
        driver::persist_now(&self.shared).await
    }

    /// Why persistence is off after a failure, if it failed.
    pub fn storage_error(&self) -> Option<String> {
        self.shared
            .try_borrow()
            .ok()
            .and_then(|d| d.storage_error.clone())
    }

    /// Messages waiting to be sent, and QoS 1/2 messages sent but not acknowledged (the
    /// session's counts: publishes still waiting for room in the queue are not in them).
    pub fn pending(&self) -> (usize, usize) {
        self.shared
            .try_borrow()
            .map_or((0, 0), |d| d.session.pending())
    }

    /// Deletes the stored session of `url` and `client_id` from IndexedDB.
    pub async fn forget_session(url: &str, client_id: &str) -> Result<(), Error> {
        driver::forget(url, client_id).await
    }
}

// --- streams ------------------------------------------------------------------------------

struct Queue<T> {
    items: VecDeque<T>,
    waker: Option<Waker>,
    ended: bool,
}

/// A listener that queues what it hears for a stream; unregistered when dropped.
struct Feed<T> {
    queue: Rc<RefCell<Queue<T>>>,
    driver: Weak<RefCell<driver::Driver>>,
    id: ListenerId,
}

impl<T: 'static> Feed<T> {
    fn attach(client: &Client, pick: impl Fn(&Notice) -> Option<T> + 'static) -> Feed<T> {
        let queue = Rc::new(RefCell::new(Queue {
            items: VecDeque::new(),
            waker: None,
            ended: client.shared.try_borrow().map_or(true, |d| d.is_closed()),
        }));
        let q = Rc::downgrade(&queue);
        let id = client.on_notice(move |n| {
            let Some(q) = q.upgrade() else { return };
            let Ok(mut q) = q.try_borrow_mut() else {
                return;
            };
            if let Some(item) = pick(n) {
                q.items.push_back(item);
            }
            if matches!(n, Notice::Status(s) if s.state == State::Closed) {
                q.ended = true;
            }
            if let Some(w) = q.waker.take() {
                w.wake();
            }
        });
        Feed {
            queue,
            driver: Rc::downgrade(&client.shared),
            id,
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let Ok(mut q) = self.queue.try_borrow_mut() else {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        match q.items.pop_front() {
            Some(item) => Poll::Ready(Some(item)),
            None if q.ended => Poll::Ready(None),
            None => {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Feed<T> {
    fn drop(&mut self) {
        if let Some(d) = self.driver.upgrade() {
            if let Ok(mut d) = d.try_borrow_mut() {
                d.remove_listener(self.id.0);
            }
        }
    }
}

/// The messages that arrive: [`Client::messages`].
pub struct Messages(Feed<Message>);

impl Stream for Messages {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.0.poll(cx)
    }
}

/// Status changes: [`Client::statuses`].
pub struct StatusStream(Feed<Status>);

impl Stream for StatusStream {
    type Item = Status;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Status>> {
        self.0.poll(cx)
    }
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Messages")
    }
}

impl std::fmt::Debug for StatusStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusStream")
    }
}
