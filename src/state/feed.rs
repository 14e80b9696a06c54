//! The stores the views read, and the feed that fills them: incoming messages are collected as
//! they arrive and applied in one batch per animation frame, so a flood of messages costs one
//! reactive update per frame, not one per message.

use crate::model::conversations::{Announcement, Conversations};
use crate::model::devices::Devices;
use crate::model::log::MessageLog;
use crate::model::record::{Direction, Record};
use crate::model::settings::Settings;
use crate::model::topic_tree::TopicTree;
use leptos::prelude::*;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Messages waiting for the next frame beyond this are applied at once, so a hidden tab
/// (no animation frames) still keeps memory bounded.
const MAX_PENDING: usize = 20_000;

/// Everything the views show, with one change signal per store.
#[derive(Clone, Copy)]
pub struct Stores {
    /// The topic tree (and per-topic histories).
    pub tree: StoredValue<TopicTree, LocalStorage>,
    /// The message log.
    pub log: StoredValue<MessageLog, LocalStorage>,
    /// Conversations.
    pub conversations: StoredValue<Conversations, LocalStorage>,
    /// Devices.
    pub devices: StoredValue<Devices, LocalStorage>,
    /// Changes once per batch that touched the tree or log.
    pub messages_changed: Trigger,
    /// Changes once per batch that touched a conversation (and on mark-read).
    pub conversations_changed: Trigger,
    /// Changes once per batch that touched a device.
    pub devices_changed: Trigger,
    /// Unread conversation messages (for the navigation badge).
    pub unread: RwSignal<u32>,
    /// Messages received since the page opened.
    pub received: RwSignal<u64>,
    /// Messages per second over the last second.
    pub rate: RwSignal<f64>,
    /// The newest announcements, for toasts (newest last, at most five).
    pub toasts: RwSignal<Vec<Toast>>,
    /// The conversation on screen (its messages arrive read).
    pub open_conversation: RwSignal<Option<String>>,
    pending: StoredValue<Vec<Record>, LocalStorage>,
    throttles: StoredValue<[Throttle; 3], LocalStorage>,
    counted: StoredValue<u64, LocalStorage>,
    scheduled: StoredValue<bool, LocalStorage>,
    seq: StoredValue<u64, LocalStorage>,
    window: StoredValue<(f64, u64), LocalStorage>,
    announce: StoredValue<Option<Announcer>, LocalStorage>,
}

/// How often the views hear of new messages: data is applied every frame, but re-rendering a
/// tree, a log or twenty device tiles sixty times a second under a flood would make every
/// frame a long task; a few times a second reads as live and leaves frames short.
const VIEW_INTERVAL_MS: [f64; 3] = [
    200.0, // messages: tree, log, topic detail, dashboards
    0.0,   // conversations: rare, and a chat should feel instant
    250.0, // devices
];

/// When a change signal last fired, and whether a deferred one is due.
#[derive(Debug, Clone, Copy, Default)]
struct Throttle {
    last: f64,
    deferred: bool,
}

/// Who hears of new conversation messages (browser notifications).
type Announcer = Rc<dyn Fn(&Announcement)>;

/// A toast on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Unique, for keyed rendering and dismissal.
    pub id: u64,
    /// What it announces.
    pub announcement: Announcement,
}

impl Stores {
    /// Empty stores configured by `settings`.
    pub fn new(settings: &Settings) -> Stores {
        Stores {
            tree: StoredValue::new_local(TopicTree::new(settings.topic_history)),
            log: StoredValue::new_local(MessageLog::new(settings.log_limit)),
            conversations: StoredValue::new_local(Conversations::new(
                settings.notifications.clone(),
            )),
            devices: StoredValue::new_local(Devices::new(settings.devices.clone())),
            messages_changed: Trigger::new(),
            conversations_changed: Trigger::new(),
            devices_changed: Trigger::new(),
            unread: RwSignal::new(0),
            received: RwSignal::new(0),
            rate: RwSignal::new(0.0),
            toasts: RwSignal::new(Vec::new()),
            open_conversation: RwSignal::new(None),
            pending: StoredValue::new_local(Vec::new()),
            throttles: StoredValue::new_local([Throttle::default(); 3]),
            counted: StoredValue::new_local(0),
            scheduled: StoredValue::new_local(false),
            seq: StoredValue::new_local(0),
            window: StoredValue::new_local((0.0, 0)),
            announce: StoredValue::new_local(None),
        }
    }

    /// The next sequence number for a record.
    pub fn next_seq(&self) -> u64 {
        self.seq.update_value(|s| *s += 1);
        self.seq.get_value()
    }

    /// Calls `f` for every new conversation message someone else sent (browser notifications).
    pub fn on_announcement(&self, f: impl Fn(&Announcement) + 'static) {
        self.announce.set_value(Some(Rc::new(f)));
    }

    /// Queues a message for the next frame.
    pub fn push(&self, record: Record) {
        let mut len = 0;
        self.pending.update_value(|p| {
            p.push(record);
            len = p.len();
        });
        if len >= MAX_PENDING {
            self.flush();
        } else if !self.scheduled.get_value() {
            self.scheduled.set_value(true);
            let this = *self;
            request_animation_frame(move || this.flush());
            // Hidden tabs get no animation frames; timers still run there (slowly).
            set_timeout(move || this.flush(), Duration::from_millis(250));
        }
    }

    /// Applies every queued message now.
    pub fn flush(&self) {
        self.scheduled.set_value(false);
        let batch = self
            .pending
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        if batch.is_empty() {
            return;
        }
        let open = self.open_conversation.get_untracked();
        let mut conv_changed = false;
        let mut dev_changed = false;
        let mut announcements = Vec::new();
        let records: Vec<Arc<Record>> = batch.into_iter().map(Arc::new).collect();
        // The log shows what we sent too; the tree, conversations and devices show what the
        // broker delivered (a message we publish to a topic we subscribe to comes back).
        self.log
            .update_value(|l| records.iter().for_each(|r| l.push(r.clone())));
        let records: Vec<Arc<Record>> = records
            .into_iter()
            .filter(|r| r.direction == Direction::In)
            .collect();
        let n = records.len() as u64;
        self.tree
            .update_value(|t| records.iter().for_each(|r| t.insert(r)));
        self.conversations.update_value(|c| {
            let before = c.total_unread();
            for r in &records {
                let hit = c.ingest(r, open.as_deref());
                conv_changed |= hit.is_some() || c.get(&r.topic).is_some();
                if let Some(a) = hit {
                    announcements.push(a);
                }
            }
            if c.total_unread() != before {
                self.unread.set(c.total_unread());
            }
        });
        self.devices.update_value(|d| {
            for r in &records {
                dev_changed |= d.ingest(r);
            }
        });
        self.counted.update_value(|c| *c += n);
        self.notify_soon(0);
        if conv_changed {
            self.notify_soon(1);
        }
        if dev_changed {
            self.notify_soon(2);
        }
        self.count_rate(n);
        self.announce_all(announcements);
    }

    fn trigger(&self, which: usize) -> Trigger {
        match which {
            0 => self.messages_changed,
            1 => self.conversations_changed,
            _ => self.devices_changed,
        }
    }

    /// Fires change signal `which` now if its interval has passed, else once when it has.
    fn notify_soon(&self, which: usize) {
        let now = js_sys::Date::now();
        let interval = VIEW_INTERVAL_MS.get(which).copied().unwrap_or(0.0);
        let mut fire = false;
        let mut defer = None;
        self.throttles.update_value(|t| {
            let Some(t) = t.get_mut(which) else { return };
            let wait = t.last + interval - now;
            if wait <= 0.0 {
                t.last = now;
                fire = true;
            } else if !t.deferred {
                t.deferred = true;
                defer = Some(wait);
            }
        });
        if fire {
            self.trigger(which).notify();
            if which == 0 {
                self.received.set(self.counted.get_value());
            }
        }
        if let Some(wait) = defer {
            let this = *self;
            set_timeout(
                move || {
                    this.throttles.update_value(|t| {
                        if let Some(t) = t.get_mut(which) {
                            t.deferred = false;
                        }
                    });
                    this.notify_soon(which);
                },
                Duration::from_millis(wait.ceil() as u64),
            );
        }
    }

    fn count_rate(&self, n: u64) {
        let now = js_sys::Date::now();
        let mut rate = None;
        self.window.update_value(|(start, count)| {
            *count += n;
            let elapsed = now - *start;
            if elapsed >= 1000.0 {
                rate = Some(*count as f64 * 1000.0 / elapsed);
                *start = now;
                *count = 0;
            }
        });
        if let Some(r) = rate {
            self.rate.set(r);
        }
    }

    fn announce_all(&self, announcements: Vec<Announcement>) {
        if announcements.is_empty() {
            return;
        }
        // One toast per conversation per batch: a flood shows its newest message, not a pile.
        let mut latest: Vec<Announcement> = Vec::new();
        for a in announcements.into_iter().rev() {
            if !latest.iter().any(|l| l.topic == a.topic) {
                latest.push(a);
            }
        }
        latest.reverse();
        if let Some(f) = self.announce.get_value() {
            latest.iter().for_each(|a| f(a));
        }
        self.toasts.update(|t| {
            for a in latest {
                let id = t.last().map_or(1, |l| l.id + 1);
                t.push(Toast {
                    id,
                    announcement: a,
                });
            }
            let excess = t.len().saturating_sub(5);
            t.drain(..excess);
        });
    }

    /// Marks a conversation read.
    pub fn mark_read(&self, topic: &str) {
        let mut changed = false;
        self.conversations.update_value(|c| {
            changed = c.mark_read(topic);
            self.unread.set(c.total_unread());
        });
        if changed {
            self.conversations_changed.notify();
        }
    }

    /// Applies new settings: limits at once, patterns to messages from now on.
    pub fn apply_settings(&self, settings: &Settings) {
        self.tree
            .update_value(|t| t.set_history_capacity(settings.topic_history));
        self.log
            .update_value(|l| l.set_capacity(settings.log_limit));
        let same_conv = self
            .conversations
            .with_value(|c| c.settings() == &settings.notifications);
        if !same_conv {
            self.conversations
                .set_value(Conversations::new(settings.notifications.clone()));
            self.unread.set(0);
            self.conversations_changed.notify();
        }
        let same_dev = self
            .devices
            .with_value(|d| d.settings() == &settings.devices);
        if !same_dev {
            self.devices
                .set_value(Devices::new(settings.devices.clone()));
            self.devices_changed.notify();
        }
        self.messages_changed.notify();
    }

    /// Forgets every message (a new connection).
    pub fn clear(&self) {
        self.pending.update_value(Vec::clear);
        self.tree.update_value(TopicTree::clear);
        self.log.update_value(MessageLog::clear);
        self.conversations.update_value(Conversations::clear);
        self.devices.update_value(Devices::clear);
        self.unread.set(0);
        self.messages_changed.notify();
        self.conversations_changed.notify();
        self.devices_changed.notify();
    }
}

/// Puts the stores in context.
pub fn provide_stores(settings: &Settings) -> Stores {
    let s = Stores::new(settings);
    provide_context(s);
    s
}

/// The stores.
pub fn use_stores() -> Stores {
    expect_context::<Stores>()
}
