//! Connection options shared by `pub`, `sub`, `sim` and `bench`, mosquitto-style.

use super::properties::{self, CliProperties, Target};
use crate::client::{default_tls, tls_trusting, Backoff, BrokerUrl, Client, Config, Notice};
use bytes::Bytes;
use std::time::Duration;
use switchboard_mqtt::codec::{ByteStr, Property, Protocol, QoS, Will};
use switchboard_mqtt::session::Options;
use tokio::sync::mpsc;

/// How to reach and log in to the broker.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConnectArgs {
    /// Broker URL: mqtt://HOST[:PORT], mqtts://, ws://HOST[:PORT][/PATH] or wss://.
    #[arg(
        short = 'L',
        long,
        value_name = "URL",
        default_value = "mqtt://127.0.0.1:1883"
    )]
    pub(crate) url: String,

    /// Client identifier (default: a random one; empty lets the broker assign one).
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub(crate) client_id: Option<String>,

    /// Protocol version: 31, 311 or 5 (also mqttv31, mqttv311, mqttv5).
    #[arg(
        short = 'V',
        long = "protocol-version",
        value_name = "VERSION",
        default_value = "311",
        value_parser = super::decode::parse_version
    )]
    pub(crate) version: Protocol,

    /// User name.
    #[arg(short = 'u', long)]
    pub(crate) username: Option<String>,

    /// Password.
    #[arg(short = 'P', long)]
    pub(crate) password: Option<String>,

    /// Keep alive in seconds (0 turns it off).
    #[arg(short = 'k', long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) keepalive: u16,

    /// Will topic: published by the broker if we vanish without DISCONNECT.
    #[arg(long, value_name = "TOPIC")]
    pub(crate) will_topic: Option<String>,

    /// Will payload.
    #[arg(long, value_name = "PAYLOAD", requires = "will_topic")]
    pub(crate) will_payload: Option<String>,

    /// Will QoS.
    #[arg(long, value_name = "QOS", default_value = "0", value_parser = parse_qos, requires = "will_topic")]
    pub(crate) will_qos: QoS,

    /// Retain the will.
    #[arg(long, requires = "will_topic")]
    pub(crate) will_retain: bool,

    /// An MQTT 5.0 property: -D COMMAND NAME VALUE (COMMAND: connect, publish, subscribe,
    /// unsubscribe, disconnect, will; user-property takes NAME and VALUE). Repeatable.
    #[arg(short = 'D', long = "property", value_names = ["COMMAND", "NAME", "VALUE"], num_args = 3..=4, action = clap::ArgAction::Append)]
    pub(crate) properties: Vec<String>,

    /// Trust the CA certificates in this PEM file for mqtts:// and wss:// instead of the
    /// web's root certificates (a private CA, a self-signed broker).
    #[arg(long, value_name = "FILE")]
    pub(crate) cafile: Option<std::path::PathBuf>,

    /// Do not reconnect when a connection that was up is lost.
    #[arg(long)]
    pub(crate) no_reconnect: bool,
}

/// Parses a QoS argument.
pub(crate) fn parse_qos(s: &str) -> Result<QoS, String> {
    match s.trim() {
        "0" => Ok(QoS::AtMostOnce),
        "1" => Ok(QoS::AtLeastOnce),
        "2" => Ok(QoS::ExactlyOnce),
        _ => Err("QoS must be 0, 1 or 2".to_string()),
    }
}

/// The longest time argument taken: far beyond any use, and small enough that adding it to
/// the clock cannot overflow (which would panic).
const MAX_SECONDS: f64 = u32::MAX as f64;

/// Parses a number of seconds, 0 or more (fractions allowed).
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.0..=MAX_SECONDS).contains(&v) {
        return Err(format!("seconds must be between 0 and {MAX_SECONDS}"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Parses a number of seconds above 0.
pub(crate) fn parse_positive_seconds(s: &str) -> Result<Duration, String> {
    let d = parse_seconds(s)?;
    if d.is_zero() {
        return Err("seconds must be above 0".to_string());
    }
    Ok(d)
}

/// A client identifier unlikely to collide: the prefix, the process id and the clock.
pub(crate) fn random_client_id(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:08x}", std::process::id())
}

impl ConnectArgs {
    /// The `-D` properties, checked.
    pub(crate) fn cli_properties(&self) -> Result<CliProperties, String> {
        let props = properties::parse(&self.properties)?;
        if !props.items.is_empty() && !self.version.is_v5() {
            return Err("-D properties need MQTT 5.0 (-V 5)".to_string());
        }
        Ok(props)
    }

    /// The client configuration these arguments describe. `persistent` keeps the session
    /// (`-c`), with `session_expiry` seconds in 5.0.
    pub(crate) fn config(
        &self,
        prefix: &str,
        persistent: bool,
        session_expiry: Option<u32>,
    ) -> Result<Config, String> {
        let url = BrokerUrl::parse(&self.url)?;
        if persistent && self.client_id.as_deref().is_none_or(str::is_empty) {
            return Err("a persistent session (-c) needs a client identifier (-i ID)".to_string());
        }
        let client_id = self
            .client_id
            .clone()
            .unwrap_or_else(|| random_client_id(prefix));
        let mut o = Options::new(self.version, client_id);
        o.keep_alive = self.keepalive;
        o.clean_start = !persistent;
        o.session_expiry = match (persistent, session_expiry) {
            (_, Some(e)) => e,
            (true, None) => u32::MAX,
            (false, None) => 0,
        };
        o.username = self
            .username
            .clone()
            .or(url.username.clone())
            .map(ByteStr::from);
        o.password = self
            .password
            .clone()
            .or(url.password.clone())
            .map(|p| Bytes::from(p.into_bytes()));
        let props = self.cli_properties()?;
        for p in props.for_target(Target::Connect) {
            match p.clone() {
                Property::SessionExpiryInterval(e) => o.session_expiry = e,
                Property::ReceiveMaximum(r) => o.receive_maximum = r.max(1),
                Property::MaximumPacketSize(m) => o.maximum_packet_size = Some(m),
                Property::TopicAliasMaximum(t) => o.topic_alias_maximum = t,
                Property::RequestProblemInformation(r) => {
                    o.request_problem_information = Some(r == 1)
                }
                Property::RequestResponseInformation(r) => o.request_response_information = r == 1,
                Property::UserProperty(k, v) => o.user_properties.push((k, v)),
                Property::AuthenticationMethod(m) => o.authentication_method = Some(m),
                Property::AuthenticationData(d) => o.authentication_data = Some(d),
                _ => {}
            }
        }
        if let Some(topic) = &self.will_topic {
            switchboard_mqtt::topic::validate_name(topic)
                .map_err(|e| format!("invalid will topic {topic:?}: {e}"))?;
            o.will = Some(Will {
                topic: ByteStr::from(topic.clone()),
                payload: Bytes::from(self.will_payload.clone().unwrap_or_default()),
                qos: self.will_qos,
                retain: self.will_retain,
                properties: props.for_target(Target::Will).cloned().collect(),
            });
        }
        let tls = match &self.cafile {
            Some(path) => tls_trusting(path)?,
            None => default_tls(),
        };
        Ok(Config {
            url,
            options: o,
            reconnect: !self.no_reconnect,
            backoff: Backoff::default(),
            tls,
        })
    }

    /// Connects or explains in one line why not.
    pub(crate) async fn connect(
        &self,
        config: Config,
    ) -> Result<(Client, mpsc::UnboundedReceiver<Notice>), String> {
        crate::client::connect(config).await
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, so a command can end with DISCONNECT (no Will,
/// a clean end of the session) instead of being killed mid-connection. The handlers are
/// installed when this is called, so a signal that arrives later is never missed.
pub(crate) fn stop_requested() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                _ = next_signal(interrupt) => {}
                _ = next_signal(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The next delivery of `signal`; never, if its handler could not be installed.
#[cfg(unix)]
async fn next_signal(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Prints a reconnect notice on stderr.
pub(crate) fn report_reconnect(attempt: u32, delay: Duration, error: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "warning: {error}; reconnecting in {:.1}s (attempt {attempt})",
        delay.as_secs_f64()
    );
}
