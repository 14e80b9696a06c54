//! Where the app is: the hash part of the URL (`#/devices/dev-01`, `#/embed/devices?url=…`),
//! parsed and written back. Hash routes keep the app a static page any server can host.

/// The views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Connection profiles.
    Connections,
    /// Topic tree, log, publish.
    Explorer,
    /// Conversations.
    Notifications,
    /// Device tiles.
    Devices,
    /// Widget grids.
    Dashboards,
    /// The packet inspector.
    Inspector,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [View; 6] = [
        View::Connections,
        View::Explorer,
        View::Notifications,
        View::Devices,
        View::Dashboards,
        View::Inspector,
    ];

    /// Its path segment.
    pub fn slug(self) -> &'static str {
        match self {
            View::Connections => "connections",
            View::Explorer => "explorer",
            View::Notifications => "notifications",
            View::Devices => "devices",
            View::Dashboards => "dashboards",
            View::Inspector => "inspector",
        }
    }

    /// Its name in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            View::Connections => "Connections",
            View::Explorer => "Explorer",
            View::Notifications => "Notifications",
            View::Devices => "Devices",
            View::Dashboards => "Dashboards",
            View::Inspector => "Inspector",
        }
    }

    fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// A parsed location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Which view.
    pub view: View,
    /// The item inside it (a device id, a conversation topic, a dashboard id), decoded.
    pub item: Option<String>,
    /// Chrome-less, for iframes (`#/embed/<view>`).
    pub embed: bool,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
}

impl Route {
    /// The route of a view with nothing selected.
    pub fn to(view: View) -> Route {
        Route {
            view,
            item: None,
            embed: false,
            query: Vec::new(),
        }
    }

    /// The same route with `item` selected.
    pub fn with_item(mut self, item: impl Into<String>) -> Route {
        self.item = Some(item.into());
        self
    }

    /// Parses `location.hash`. Unknown or empty hashes go to `fallback`.
    pub fn parse(hash: &str, fallback: View) -> Route {
        let h = hash.strip_prefix('#').unwrap_or(hash);
        let h = h.strip_prefix('/').unwrap_or(h);
        let (path, query) = h.split_once('?').unwrap_or((h, ""));
        let mut parts = path.splitn(2, '/');
        let mut first = parts.next().unwrap_or("");
        let mut rest = parts.next();
        let embed = first == "embed";
        if embed {
            let mut p = rest.unwrap_or("").splitn(2, '/');
            first = p.next().unwrap_or("");
            rest = p.next();
        }
        let query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        match View::from_slug(first) {
            Some(view) => Route {
                view,
                item: rest.filter(|r| !r.is_empty()).map(decode),
                embed,
                query,
            },
            None => Route {
                query,
                embed,
                ..Route::to(fallback)
            },
        }
    }

    /// The hash for this route (`#/devices/dev-01`).
    pub fn href(&self) -> String {
        let mut s = String::from(if self.embed { "#/embed/" } else { "#/" });
        s.push_str(self.view.slug());
        if let Some(item) = &self.item {
            s.push('/');
            s.push_str(&encode(item));
        }
        for (i, (k, v)) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(&encode(k));
            s.push('=');
            s.push_str(&encode(v));
        }
        s
    }

    /// The query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes everything but unreserved characters (topics contain `/`, `+`, `#`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; invalid escapes stay as they are. A `+` stays a `+`: in a hash
/// it is written by people typing filters (`filter=devices/+/status`), not by forms.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn parses_views_items_and_embeds() {
        let r = Route::parse("#/devices/dev-01", View::Explorer);
        assert_eq!(
            (r.view, r.item.as_deref(), r.embed),
            (View::Devices, Some("dev-01"), false)
        );
        let r = Route::parse(
            "#/embed/devices?url=ws%3A%2F%2F127.0.0.1%3A9001&filter=devices/+/status",
            View::Explorer,
        );
        assert!(r.embed);
        assert_eq!(r.view, View::Devices);
        assert_eq!(r.param("url"), Some("ws://127.0.0.1:9001"));
        assert_eq!(r.param("filter"), Some("devices/+/status"));
        assert_eq!(Route::parse("", View::Explorer).view, View::Explorer);
        assert_eq!(Route::parse("#/nope", View::Devices).view, View::Devices);
    }

    #[test]
    fn hrefs_round_trip() {
        let r = Route::to(View::Notifications).with_item("chat/lobby");
        assert_eq!(r.href(), "#/notifications/chat%2Flobby");
        assert_eq!(Route::parse(&r.href(), View::Explorer), r);
        let mut e = Route::to(View::Devices);
        e.embed = true;
        e.query.push(("filter".into(), "devices/+/status".into()));
        assert_eq!(e.href(), "#/embed/devices?filter=devices%2F%2B%2Fstatus");
        assert_eq!(Route::parse(&e.href(), View::Explorer), e);
    }
}
