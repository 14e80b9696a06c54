//! Broker URLs: `mqtt://`, `mqtts://`, `ws://` and `wss://`.

use std::fmt;

/// How to reach a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerUrl {
    /// `mqtt`, `mqtts`, `ws` or `wss`.
    pub(crate) scheme: Scheme,
    /// Host name or address.
    pub(crate) host: String,
    /// TCP port.
    pub(crate) port: u16,
    /// Path for WebSocket URLs (`/mqtt` when none is given).
    pub(crate) path: String,
    /// User name from the URL (`mqtt://user:pass@host`), if any.
    pub(crate) username: Option<String>,
    /// Password from the URL, if any.
    pub(crate) password: Option<String>,
}

/// The transport a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// MQTT over TCP.
    Mqtt,
    /// MQTT over TLS.
    Mqtts,
    /// MQTT over WebSocket.
    Ws,
    /// MQTT over WebSocket over TLS.
    Wss,
}

impl Scheme {
    /// Whether the transport is TLS.
    pub(crate) fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    /// Whether the transport is WebSocket.
    pub(crate) fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

impl BrokerUrl {
    /// Parses a broker URL; a bare `host[:port]` means `mqtt://`.
    pub(crate) fn parse(input: &str) -> Result<BrokerUrl, String> {
        let input = input.trim();
        let with_scheme = if input.contains("://") {
            input.to_string()
        } else {
            format!("mqtt://{input}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| format!("invalid broker URL {input:?}: {e}"))?;
        let scheme = match url.scheme() {
            "mqtt" | "tcp" => Scheme::Mqtt,
            "mqtts" | "ssl" | "tls" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            other => {
                return Err(format!(
                    "invalid broker URL {input:?}: unsupported scheme {other:?} \
                     (use mqtt://, mqtts://, ws:// or wss://)"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("invalid broker URL {input:?}: no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port().unwrap_or(match scheme {
            Scheme::Mqtt => 1883,
            Scheme::Mqtts => 8883,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        });
        let path = match url.path() {
            "" | "/" if scheme.is_websocket() => "/mqtt".to_string(),
            p => p.to_string(),
        };
        let decode = |s: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.into_owned()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<String>()
        };
        let username = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(decode);
        Ok(BrokerUrl {
            scheme,
            host,
            port,
            path,
            username,
            password,
        })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Mqtt => "mqtt",
            Scheme::Mqtts => "mqtts",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{host}:{}", self.port)?;
        if self.scheme.is_websocket() {
            f.write_str(&self.path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
// Tests report a failed expectation by panicking.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme_with_defaults() {
        let u = BrokerUrl::parse("mqtt://localhost").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port),
            (Scheme::Mqtt, "localhost", 1883)
        );
        let u = BrokerUrl::parse("ws://127.0.0.1:9001").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.path.as_str()),
            (Scheme::Ws, 9001, "/mqtt")
        );
        let u = BrokerUrl::parse("wss://b.example/ws").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.path.as_str()),
            (Scheme::Wss, 443, "/ws")
        );
        let u = BrokerUrl::parse("mqtts://u:p%40ss@h:8884").unwrap();
        assert_eq!(
            (u.username.as_deref(), u.password.as_deref()),
            (Some("u"), Some("p@ss"))
        );
        assert_eq!(BrokerUrl::parse("127.0.0.1:1884").unwrap().port, 1884);
    }

    #[test]
    fn refuses_bad_urls_clearly() {
        assert!(BrokerUrl::parse("http://x")
            .unwrap_err()
            .contains("unsupported scheme"));
        assert!(BrokerUrl::parse("mqtt://").is_err());
        assert!(BrokerUrl::parse("mqtt://h:99999").is_err());
    }
}
