//! Connection profiles: what the connections view edits and saves, checked field by field,
//! and turned into session options.

use bytes::Bytes;
use std::time::Duration;
use switchboard_mqtt::codec::{ByteStr, Property, Protocol, QoS, Will};
use switchboard_mqtt::session::Options;
use switchboard_mqtt::topic;

/// The MQTT version a profile speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Version {
    /// MQTT 3.1.1.
    #[serde(rename = "3.1.1")]
    V311,
    /// MQTT 5.0.
    #[default]
    #[serde(rename = "5.0")]
    V5,
}

/// A Last Will.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WillSettings {
    /// Where it is published.
    pub topic: String,
    /// What it says.
    pub payload: String,
    /// 0, 1 or 2.
    pub qos: u8,
    /// Whether the broker keeps it.
    pub retain: bool,
    /// Seconds the broker waits before publishing it (5.0).
    pub delay: u32,
}

/// A saved connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Stable identity (not shown).
    pub id: String,
    /// What the user calls it.
    pub name: String,
    /// Broker URLs, tried in turn.
    pub urls: Vec<String>,
    /// The client identifier (may be empty: the broker assigns one).
    pub client_id: String,
    /// Protocol version.
    pub version: Version,
    /// User name.
    pub username: String,
    /// Password; saved only when `remember_password` is set.
    pub password: String,
    /// Whether the password is stored in localStorage.
    pub remember_password: bool,
    /// Keep alive in seconds (0 turns it off).
    pub keep_alive: u16,
    /// Start a new session (clean session in 3.1.1).
    pub clean_start: bool,
    /// Session Expiry Interval in seconds (5.0).
    pub session_expiry: u32,
    /// Receive Maximum (5.0).
    pub receive_maximum: u16,
    /// Last Will (when its topic is not empty).
    pub will: Option<WillSettings>,
    /// CONNECT user properties (5.0).
    pub user_properties: Vec<(String, String)>,
    /// Connect when the app opens.
    pub auto_connect: bool,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            id: String::new(),
            name: "New connection".into(),
            urls: vec!["ws://127.0.0.1:9001".into()],
            client_id: String::new(),
            version: Version::V5,
            username: String::new(),
            password: String::new(),
            remember_password: false,
            keep_alive: 30,
            clean_start: true,
            session_expiry: 0,
            receive_maximum: 65_535,
            will: None,
            user_properties: Vec::new(),
            auto_connect: false,
        }
    }
}

/// A problem with one field of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Which field (`urls`, `client_id`, `will.topic`, …).
    pub field: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

impl Profile {
    /// The preconfigured "Local demo" connection to the broker `./scripts/run` starts.
    pub fn local_demo(url: &str) -> Profile {
        Profile {
            id: "local-demo".into(),
            name: "Local demo".into(),
            urls: vec![url.to_string()],
            client_id: String::new(),
            auto_connect: true,
            ..Profile::default()
        }
    }

    /// Every problem, in form order; empty when the profile can connect.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut err = |field, message: String| errors.push(FieldError { field, message });
        if self.name.trim().is_empty() {
            err("name", "Give the connection a name.".into());
        }
        let urls: Vec<&String> = self.urls.iter().filter(|u| !u.trim().is_empty()).collect();
        if urls.is_empty() {
            err(
                "urls",
                "Add the broker's WebSocket URL, e.g. ws://127.0.0.1:9001.".into(),
            );
        }
        for u in urls {
            if let Err(m) = check_url(u.trim()) {
                err("urls", m);
            }
        }
        if self.client_id.len() > 65_535 {
            err("client_id", "The client id is too long.".into());
        } else if self.client_id.contains('\0') {
            err("client_id", "The client id may not contain U+0000.".into());
        }
        if self.client_id.is_empty() && !self.clean_start {
            err(
                "client_id",
                "Resuming a session needs a client id: generate one, or tick Clean start.".into(),
            );
        }
        if self.version == Version::V5 && self.receive_maximum == 0 {
            err(
                "receive_maximum",
                "Receive Maximum must be at least 1.".into(),
            );
        }
        if let Some(w) = &self.will {
            if !w.topic.is_empty() {
                if let Err(m) = topic::validate_name(&w.topic) {
                    err("will.topic", format!("Will topic: {m}."));
                }
                if w.qos > 2 {
                    err("will.qos", "Will QoS must be 0, 1 or 2.".into());
                }
            }
        }
        for (k, _) in &self.user_properties {
            if k.is_empty() {
                err("user_properties", "A user property needs a name.".into());
                break;
            }
        }
        errors
    }

    /// The broker URLs, trimmed, empty ones left out.
    pub fn clean_urls(&self) -> Vec<String> {
        self.urls
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect()
    }

    /// The session options this profile stands for; `password` is the one typed in when it is
    /// not remembered.
    pub fn options(&self, password: Option<&str>) -> Options {
        let protocol = match self.version {
            Version::V311 => Protocol::V3_1_1,
            Version::V5 => Protocol::V5,
        };
        let mut o = Options::new(protocol, ByteStr::from(self.client_id.clone()));
        o.clean_start = self.clean_start;
        o.keep_alive = self.keep_alive;
        o.ping_timeout = Duration::from_secs(u64::from(self.keep_alive.clamp(5, 30)));
        if self.version == Version::V5 {
            o.session_expiry = self.session_expiry;
            o.receive_maximum = self.receive_maximum.max(1);
            o.user_properties = self
                .user_properties
                .iter()
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (ByteStr::from(k.clone()), ByteStr::from(v.clone())))
                .collect();
        }
        if !self.username.is_empty() {
            o.username = Some(ByteStr::from(self.username.clone()));
        }
        let password = password.unwrap_or(&self.password);
        if !password.is_empty() {
            o.password = Some(Bytes::from(password.as_bytes().to_vec()));
        }
        if let Some(w) = self.will.as_ref().filter(|w| !w.topic.is_empty()) {
            let mut will = Will {
                topic: ByteStr::from(w.topic.clone()),
                payload: Bytes::from(w.payload.clone().into_bytes()),
                qos: QoS::from_u8(w.qos).unwrap_or(QoS::AtMostOnce),
                retain: w.retain,
                ..Will::default()
            };
            if self.version == Version::V5 && w.delay > 0 {
                will.properties.set(Property::WillDelayInterval(w.delay));
            }
            o.will = Some(will);
        }
        o
    }

    /// The profile as saved: the password left out unless the user asked to remember it.
    pub fn for_storage(&self) -> Profile {
        let mut p = self.clone();
        if !p.remember_password {
            p.password.clear();
        }
        p
    }
}

/// Checks a broker URL for the browser: `ws://` or `wss://`, a host, a valid port.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = if let Some(r) = url.strip_prefix("ws://") {
        r
    } else if let Some(r) = url.strip_prefix("wss://") {
        r
    } else if url.starts_with("mqtt://") || url.starts_with("tcp://") || url.starts_with("mqtts://")
    {
        return Err(format!(
            "{url}: browsers can only reach MQTT over WebSocket; use the broker's ws:// or wss:// listener."
        ));
    } else {
        return Err(format!("{url}: a broker URL starts with ws:// or wss://."));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return Err(format!("{url}: the IPv6 address lacks its ']'.")),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url}: the URL has no host."));
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("{url}: '{p}' is not a port (1–65535).")),
        }
    }
    Ok(())
}

/// A client id like `switchboard-3f9a2c1d` from a random number.
pub fn generated_client_id(random: u32) -> String {
    format!("switchboard-{random:08x}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_clear_messages() {
        assert!(check_url("ws://127.0.0.1:9001").is_ok());
        assert!(check_url("wss://broker.example.com/mqtt").is_ok());
        assert!(check_url("ws://[::1]:9001/mqtt").is_ok());
        assert!(check_url("mqtt://h:1883")
            .unwrap_err()
            .contains("WebSocket"));
        assert!(check_url("http://h").unwrap_err().contains("ws://"));
        assert!(check_url("ws://:9001").unwrap_err().contains("no host"));
        assert!(check_url("ws://h:99999")
            .unwrap_err()
            .contains("not a port"));
    }

    #[test]
    fn validation_names_fields() {
        let mut p = Profile::default();
        assert!(p.validate().is_empty());
        p.name = " ".into();
        p.urls = vec!["tcp://x".into()];
        p.clean_start = false;
        p.will = Some(WillSettings {
            topic: "a/+".into(),
            ..WillSettings::default()
        });
        let fields: Vec<&str> = p.validate().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "urls", "client_id", "will.topic"]);
    }

    #[test]
    fn options_follow_the_profile() {
        let mut p = Profile::local_demo("ws://127.0.0.1:9001");
        p.client_id = "c1".into();
        p.version = Version::V5;
        p.session_expiry = 60;
        p.username = "u".into();
        p.password = "secret".into();
        p.will = Some(WillSettings {
            topic: "w".into(),
            payload: "gone".into(),
            qos: 1,
            retain: true,
            delay: 5,
        });
        p.user_properties = vec![("app".into(), "switchboard".into())];
        let o = p.options(None);
        assert_eq!(o.protocol, Protocol::V5);
        assert_eq!(&*o.client_id, "c1");
        assert_eq!(o.session_expiry, 60);
        assert_eq!(o.password.as_deref(), Some(&b"secret"[..]));
        let w = o.will.unwrap();
        assert_eq!((w.qos, w.retain), (QoS::AtLeastOnce, true));
        assert_eq!(w.properties.will_delay_interval(), Some(5));
        assert_eq!(o.user_properties.len(), 1);
        assert!(p.for_storage().password.is_empty());
        p.remember_password = true;
        assert_eq!(p.for_storage().password, "secret");
    }

    #[test]
    fn profiles_round_trip_through_json() {
        let p = Profile::local_demo("ws://h:1");
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"version\":\"5.0\""));
        let back: Profile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        let partial: Profile = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert_eq!(partial.keep_alive, 30);
    }
}
