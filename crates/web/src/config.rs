//! How a [`Client`](crate::Client) connects.

use crate::backoff::Backoff;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use switchboard_mqtt::codec::{ByteStr, Properties};
use switchboard_mqtt::session::Options;

/// What an [`AttemptHook`] may change before an attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Override {
    /// Connect to this URL instead (this attempt only).
    pub url: Option<String>,
    /// Use this user name from now on.
    pub username: Option<String>,
    /// Use this password from now on (a refreshed token, say).
    pub password: Option<Bytes>,
}

/// Called before each connection attempt with the attempt number (0 for the first) and the
/// URL about to be used; may return new credentials or another URL.
pub type AttemptHook = Rc<dyn Fn(u32, String) -> Pin<Box<dyn Future<Output = Option<Override>>>>>;

/// A step of an MQTT 5.0 enhanced authentication exchange: the server's AUTH with reason
/// Continue authentication (0x18).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthChallenge {
    /// The Authentication Method (the one the CONNECT named).
    pub method: ByteStr,
    /// The server's Authentication Data, if it sent any.
    pub data: Option<Bytes>,
    /// All properties of the AUTH (Reason String, User Properties, …).
    pub properties: Properties,
}

/// Answers an [`AuthChallenge`] with the Authentication Data of the client's next AUTH (`None`:
/// an AUTH without data), or refuses with a reason that ends the attempt. It may be slow
/// (a call to a token service); the exchange waits for it within the connect timeout.
pub type AuthHandler =
    Rc<dyn Fn(AuthChallenge) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>, String>>>>>;

/// Where to run timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimerPreference {
    /// In a dedicated Web Worker when the browser allows (the default).
    #[default]
    Worker,
    /// On the main thread (throttled in hidden tabs).
    MainThread,
}

/// Everything a client needs to connect.
#[derive(Clone)]
pub struct Config {
    /// Broker URLs (`ws://` or `wss://`), tried in turn: a failed attempt moves to the next.
    pub urls: Vec<String>,
    /// The session's options (client id, version, keep alive, will, credentials, …).
    pub options: Options,
    /// Whether to reconnect after a connection is lost (and after a failed attempt when
    /// started with [`Client::start`](crate::Client::start)).
    pub reconnect: bool,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Whether to keep the session in IndexedDB (keyed by the first URL and the client id;
    /// not done for an empty client id, which the server assigns anew each time).
    pub persist: bool,
    /// Where timers run.
    pub timers: TimerPreference,
    /// Transmits are held back while the socket's `bufferedAmount` is above this many bytes.
    pub high_water: u32,
    /// Called before each attempt.
    pub before_attempt: Option<AttemptHook>,
    /// Answers the server's challenges in an enhanced authentication exchange (5.0), which
    /// `options.authentication_method` (and `authentication_data`, the first step) start.
    /// Without it, a challenge ends the attempt.
    pub auth: Option<AuthHandler>,
}

impl Config {
    /// Connect to `url` with `options`: reconnecting, persistent, timers in a worker, a 1 MiB
    /// high-water mark.
    pub fn new(url: impl Into<String>, options: Options) -> Config {
        Config {
            urls: vec![url.into()],
            options,
            reconnect: true,
            backoff: Backoff::default(),
            persist: true,
            timers: TimerPreference::Worker,
            high_water: 1 << 20,
            before_attempt: None,
            auth: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("urls", &self.urls)
            .field("options", &self.options)
            .field("reconnect", &self.reconnect)
            .field("backoff", &self.backoff)
            .field("persist", &self.persist)
            .field("timers", &self.timers)
            .field("high_water", &self.high_water)
            .field("before_attempt", &self.before_attempt.is_some())
            .field("auth", &self.auth.is_some())
            .finish()
    }
}
