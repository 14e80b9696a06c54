//! The MQTT connection the app runs: one [`Client`] at a time, its status as a signal, the
//! subscriptions it holds, and publishing. Messages go to the [`Stores`] feed.

use super::feed::Stores;
use super::records::record;
use super::storage;
use crate::model::profile::Profile;
use crate::model::record::Direction;
use bytes::Bytes;
use leptos::prelude::*;
use leptos::task::spawn_local;
use switchboard_mqtt::codec::{ByteStr, Properties, Publish, QoS, RetainHandling, Subscription};
use switchboard_web::{Client, Config, Notice, State, Status};

/// Who asked for a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The user, in the explorer.
    User,
    /// A view that needs it (notifications, devices, dashboards).
    View(&'static str),
}

/// What the broker said about a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Not answered yet (or not connected).
    Waiting,
    /// Granted at this QoS.
    Granted(u8),
    /// Refused, in words.
    Refused(String),
}

/// A subscription as the explorer lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubEntry {
    /// The filter.
    pub filter: String,
    /// Requested QoS.
    pub qos: u8,
    /// No Local (5.0).
    #[serde(default)]
    pub no_local: bool,
    /// Retain As Published (5.0).
    #[serde(default)]
    pub retain_as_published: bool,
    /// Retain Handling 0–2 (5.0).
    #[serde(default)]
    pub retain_handling: u8,
    /// Its colour in the tree and log (CSS colour).
    #[serde(default)]
    pub color: String,
    /// Who asked for it.
    #[serde(skip, default = "user")]
    pub source: Source,
    /// The broker's answer.
    #[serde(skip, default = "waiting")]
    pub grant: Grant,
}

fn user() -> Source {
    Source::User
}

fn waiting() -> Grant {
    Grant::Waiting
}

/// Colours handed to new subscriptions in turn.
pub const PALETTE: [&str; 8] = [
    "#4f8cff", "#2eb88a", "#e0a030", "#d9534f", "#9b6cff", "#1fb6c9", "#e06bb3", "#7a8b99",
];

impl SubEntry {
    /// A user subscription at `qos` with the next palette colour.
    pub fn new(filter: impl Into<String>, qos: u8, index: usize) -> SubEntry {
        SubEntry {
            filter: filter.into(),
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: 0,
            color: PALETTE
                .get(index % PALETTE.len())
                .copied()
                .unwrap_or("#4f8cff")
                .to_string(),
            source: Source::User,
            grant: Grant::Waiting,
        }
    }

    fn subscription(&self) -> Subscription {
        let mut s = Subscription::new(
            ByteStr::from(self.filter.clone()),
            QoS::from_u8(self.qos).unwrap_or(QoS::AtMostOnce),
        );
        s.options.no_local = self.no_local;
        s.options.retain_as_published = self.retain_as_published;
        s.options.retain_handling = match self.retain_handling {
            1 => RetainHandling::SendAtNewSubscribe,
            2 => RetainHandling::DoNotSend,
            _ => RetainHandling::SendAtSubscribe,
        };
        s
    }
}

/// The connection context.
#[derive(Clone, Copy)]
pub struct Connection {
    client: StoredValue<Option<Client>, LocalStorage>,
    /// The client's status; `None` when no client runs.
    pub status: RwSignal<Option<Status>>,
    /// The profile in use.
    pub profile: RwSignal<Option<Profile>>,
    /// Subscriptions: the user's (saved per profile) and the views'.
    pub subscriptions: RwSignal<Vec<SubEntry>>,
    /// The last error a command (publish, subscribe) met, in words.
    pub command_error: RwSignal<Option<String>>,
    stores: Stores,
}

impl Connection {
    fn new(stores: Stores) -> Connection {
        Connection {
            client: StoredValue::new_local(None),
            status: RwSignal::new(None),
            profile: RwSignal::new(None),
            subscriptions: RwSignal::new(Vec::new()),
            command_error: RwSignal::new(None),
            stores,
        }
    }

    /// Whether CONNACK accepted us and the connection is up.
    pub fn is_connected(&self) -> bool {
        self.status.with(|s| {
            matches!(
                s,
                Some(Status {
                    state: State::Connected,
                    ..
                })
            )
        })
    }

    /// Starts a client for `profile` (stopping any other): it connects in the background and
    /// reconnects with backoff; the status signal follows it. `password` is the one typed in
    /// when the profile does not remember it.
    pub fn connect(
        &self,
        profile: Profile,
        password: Option<String>,
        view_filters: Vec<(String, &'static str)>,
    ) {
        self.disconnect();
        self.stores.clear();
        let mut config = Config::new(String::new(), profile.options(password.as_deref()));
        config.urls = profile.clean_urls();
        // An empty client id gets a new session from the broker each time: nothing to resume.
        config.persist = !profile.client_id.is_empty();
        let mut subs: Vec<SubEntry> = storage::load(&subs_key(&profile.id)).unwrap_or_default();
        for (filter, view) in view_filters {
            if !subs.iter().any(|s| s.filter == filter) {
                let mut e = SubEntry::new(filter, 0, subs.len());
                e.source = Source::View(view);
                subs.push(e);
            }
        }
        self.subscriptions.set(subs);
        self.profile.set(Some(profile));
        self.status.set(None);
        self.command_error.set(None);
        let this = *self;
        spawn_local(async move {
            match Client::start(config).await {
                Ok(client) => {
                    this.status.set(Some(client.status()));
                    client.on_notice(move |n| this.on_notice(n));
                    this.client.set_value(Some(client));
                }
                Err(e) => {
                    this.status.set(Some(Status {
                        state: State::Closed,
                        url: String::new(),
                        last_error: Some(switchboard_web::LastError {
                            message: e.to_string(),
                            code: e.reason_code(),
                        }),
                    }));
                }
            }
        });
    }

    fn on_notice(&self, notice: &Notice) {
        match notice {
            Notice::Message(m) => {
                let seq = self.stores.next_seq();
                let r = record(
                    &m.publish,
                    &m.subscriptions,
                    seq,
                    js_sys::Date::now(),
                    Direction::In,
                );
                self.stores.push(r);
            }
            Notice::Status(s) => self.status.set(Some(s.clone())),
            Notice::Connected { .. } => {
                let this = *self;
                // Not from inside the client's callback: commands re-enter the driver.
                spawn_local(async move { this.subscribe_all() });
            }
            _ => {}
        }
    }

    /// (Re)subscribes to every listed filter. With a resumed session the broker still has
    /// them; subscribing again is harmless and brings their retained messages.
    fn subscribe_all(&self) {
        let subs = self.subscriptions.get_untracked();
        for s in subs {
            self.send_subscribe(s);
        }
    }

    fn send_subscribe(&self, entry: SubEntry) {
        let Some(client) = self.client.get_value() else {
            return;
        };
        let filter = entry.filter.clone();
        let pending = client.subscribe(vec![entry.subscription()]);
        let this = *self;
        spawn_local(async move {
            let grant = match pending.await {
                Ok(codes) => match codes.first() {
                    Some(c) if c.get() <= 2 => Grant::Granted(c.get()),
                    Some(c) => Grant::Refused(format!("refused (0x{:02X})", c.get())),
                    None => Grant::Refused("no answer".into()),
                },
                Err(e) => Grant::Refused(e.to_string()),
            };
            this.subscriptions.update(|subs| {
                if let Some(s) = subs.iter_mut().find(|s| s.filter == filter) {
                    s.grant = grant;
                }
            });
        });
    }

    /// Adds (or replaces) a user subscription and subscribes now when connected.
    pub fn subscribe(&self, mut entry: SubEntry) {
        entry.grant = Grant::Waiting;
        self.subscriptions.update(|subs| {
            match subs.iter_mut().find(|s| s.filter == entry.filter) {
                Some(s) => *s = entry.clone(),
                None => subs.push(entry.clone()),
            }
        });
        self.save_subscriptions();
        self.send_subscribe(entry);
    }

    /// Removes a subscription and unsubscribes.
    pub fn unsubscribe(&self, filter: &str) {
        self.subscriptions
            .update(|subs| subs.retain(|s| s.filter != filter));
        self.save_subscriptions();
        if let Some(client) = self.client.get_value() {
            let pending = client.unsubscribe(vec![ByteStr::from(filter.to_string())]);
            spawn_local(async move {
                let _ = pending.await;
            });
        }
    }

    fn save_subscriptions(&self) {
        let Some(id) = self
            .profile
            .with_untracked(|p| p.as_ref().map(|p| p.id.clone()))
        else {
            return;
        };
        let user: Vec<SubEntry> = self
            .subscriptions
            .get_untracked()
            .into_iter()
            .filter(|s| s.source == Source::User)
            .collect();
        if let Err(e) = storage::save(&subs_key(&id), &user) {
            self.command_error.set(Some(e));
        }
    }

    /// Publishes; resolves with `Ok` when the QoS flow completed, or a sentence saying why not.
    /// The message also appears in the log as sent.
    pub async fn publish(
        &self,
        topic: String,
        payload: Bytes,
        qos: u8,
        retain: bool,
        properties: Properties,
    ) -> Result<(), String> {
        switchboard_mqtt::topic::validate_name(&topic).map_err(|m| format!("Topic: {m}."))?;
        let qos = QoS::from_u8(qos).ok_or("QoS must be 0, 1 or 2.")?;
        let client = self
            .client
            .get_value()
            .ok_or("Not connected: connect to a broker first.")?;
        let mut p = Publish::new(ByteStr::from(topic), payload);
        p.qos = qos;
        p.retain = retain;
        p.properties = properties;
        let seq = self.stores.next_seq();
        let rec = record(&p, &[], seq, js_sys::Date::now(), Direction::Out);
        let result = client.publish_packet(p).await;
        self.stores.push(rec);
        match result {
            Ok(code) if code.get() < 0x80 => Ok(()),
            Ok(code) => Err(format!(
                "The broker refused the message (0x{:02X}).",
                code.get()
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Publishes and reports a failure in the command error line instead of returning it.
    pub fn publish_quietly(&self, topic: String, payload: Bytes, qos: u8, retain: bool) {
        let this = *self;
        spawn_local(async move {
            if let Err(e) = this
                .publish(topic, payload, qos, retain, Properties::new())
                .await
            {
                this.command_error.set(Some(e));
            }
        });
    }

    /// Sends DISCONNECT and stops the client.
    pub fn disconnect(&self) {
        if let Some(client) = self.client.try_update_value(Option::take).flatten() {
            spawn_local(async move { client.disconnect().await });
        }
        self.status.set(None);
    }

    /// Whether a client runs (connected or trying).
    pub fn is_running(&self) -> bool {
        self.client.with_value(Option::is_some)
    }
}

fn subs_key(profile_id: &str) -> String {
    format!("subs.{profile_id}")
}

/// Puts the connection in context.
pub fn provide_connection(stores: Stores) -> Connection {
    let c = Connection::new(stores);
    provide_context(c);
    c
}

/// The connection.
pub fn use_connection() -> Connection {
    expect_context::<Connection>()
}
