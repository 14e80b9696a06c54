//! Dashboards: user-made grids of widgets bound to topics, saved in localStorage and
//! imported or exported as JSON.

use switchboard_mqtt::topic;

/// What a widget shows or does.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WidgetKind {
    /// The latest value, big.
    Value,
    /// The latest number on a dial between `min` and `max`.
    Gauge {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
    },
    /// A line chart of recent numbers.
    Line,
    /// An on/off switch: shows whether the value equals `on`, publishes `on`/`off`.
    Switch {
        /// The payload meaning on.
        on: String,
        /// The payload meaning off.
        off: String,
    },
    /// Publishes `payload` when pressed.
    Button {
        /// What to publish.
        payload: String,
    },
    /// Publishes a number between `min` and `max` when moved.
    Slider {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
        /// Step.
        step: f64,
    },
    /// The latest messages as text lines.
    TextLog,
}

impl WidgetKind {
    /// The kinds offered when adding a widget, with default settings.
    pub fn defaults() -> Vec<WidgetKind> {
        vec![
            WidgetKind::Value,
            WidgetKind::Gauge {
                min: 0.0,
                max: 100.0,
            },
            WidgetKind::Line,
            WidgetKind::Switch {
                on: "on".into(),
                off: "off".into(),
            },
            WidgetKind::Button {
                payload: "press".into(),
            },
            WidgetKind::Slider {
                min: 0.0,
                max: 100.0,
                step: 1.0,
            },
            WidgetKind::TextLog,
        ]
    }

    /// Its name in the editor.
    pub fn label(&self) -> &'static str {
        match self {
            WidgetKind::Value => "Value",
            WidgetKind::Gauge { .. } => "Gauge",
            WidgetKind::Line => "Line chart",
            WidgetKind::Switch { .. } => "Switch",
            WidgetKind::Button { .. } => "Button",
            WidgetKind::Slider { .. } => "Slider",
            WidgetKind::TextLog => "Text log",
        }
    }

    /// Whether it publishes.
    pub fn publishes(&self) -> bool {
        matches!(
            self,
            WidgetKind::Switch { .. } | WidgetKind::Button { .. } | WidgetKind::Slider { .. }
        )
    }
}

/// A widget.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Widget {
    /// Stable identity within its dashboard.
    pub id: String,
    /// Its caption.
    #[serde(default)]
    pub title: String,
    /// What it is.
    pub kind: WidgetKind,
    /// The topic it shows (and, unless `command_topic` is set, publishes to).
    pub topic: String,
    /// JSON path into the payload (`temperature`, `a.b[0]`); empty for the whole payload.
    #[serde(default)]
    pub path: String,
    /// Unit shown after values.
    #[serde(default)]
    pub unit: String,
    /// Where switches, buttons and sliders publish; empty means `topic`.
    #[serde(default)]
    pub command_topic: String,
    /// QoS of what it publishes.
    #[serde(default)]
    pub qos: u8,
    /// Whether what it publishes is retained.
    #[serde(default)]
    pub retain: bool,
    /// Grid columns it spans (1–4).
    #[serde(default = "one")]
    pub width: u8,
}

fn one() -> u8 {
    1
}

impl Widget {
    /// A widget of `kind` on `topic`.
    pub fn new(id: impl Into<String>, kind: WidgetKind, topic: impl Into<String>) -> Widget {
        Widget {
            id: id.into(),
            title: String::new(),
            kind,
            topic: topic.into(),
            path: String::new(),
            unit: String::new(),
            command_topic: String::new(),
            qos: 0,
            retain: false,
            width: 1,
        }
    }

    /// The topic it publishes to.
    pub fn publish_topic(&self) -> &str {
        if self.command_topic.trim().is_empty() {
            &self.topic
        } else {
            &self.command_topic
        }
    }

    /// Its caption, or the topic and path when it has none.
    pub fn caption(&self) -> String {
        if !self.title.trim().is_empty() {
            self.title.clone()
        } else if self.path.trim().is_empty() {
            self.topic.clone()
        } else {
            format!("{} · {}", self.topic, self.path)
        }
    }

    /// Problems with its settings, in words.
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.topic.trim().is_empty() {
            out.push("A widget needs a topic.".to_string());
        } else if let Err(m) = topic::validate_name(self.topic.trim()) {
            out.push(format!("Topic: {m}."));
        }
        if self.kind.publishes() && !self.command_topic.trim().is_empty() {
            if let Err(m) = topic::validate_name(self.command_topic.trim()) {
                out.push(format!("Command topic: {m}."));
            }
        }
        if self.qos > 2 {
            out.push("QoS must be 0, 1 or 2.".to_string());
        }
        match &self.kind {
            WidgetKind::Gauge { min, max } | WidgetKind::Slider { min, max, .. }
                if !(min.is_finite() && max.is_finite() && min < max) =>
            {
                out.push("The minimum must be below the maximum.".to_string());
            }
            WidgetKind::Slider { step, .. } if !(step.is_finite() && *step > 0.0) => {
                out.push("The step must be above zero.".to_string());
            }
            _ => {}
        }
        out
    }
}

/// A dashboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dashboard {
    /// Stable identity.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its widgets, in grid order.
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

impl Dashboard {
    /// Moves the widget `id` by `delta` places (clamped to the ends); whether it moved.
    pub fn move_widget(&mut self, id: &str, delta: isize) -> bool {
        let Some(from) = self.widgets.iter().position(|w| w.id == id) else {
            return false;
        };
        let last = self.widgets.len().saturating_sub(1);
        let to = from.saturating_add_signed(delta).min(last);
        if to == from {
            return false;
        }
        let w = self.widgets.remove(from);
        self.widgets.insert(to, w);
        true
    }

    /// A widget id not used yet in this dashboard.
    pub fn fresh_widget_id(&self) -> String {
        (1..)
            .map(|n| format!("w{n}"))
            .find(|id| self.widgets.iter().all(|w| &w.id != id))
            .unwrap_or_default()
    }
}

/// The file format of an export: `{"switchboard": "dashboards", "version": 1, "dashboards": […]}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Export {
    switchboard: String,
    version: u32,
    dashboards: Vec<Dashboard>,
}

/// The dashboards as an export file.
pub fn export(dashboards: &[Dashboard]) -> String {
    let e = Export {
        switchboard: "dashboards".into(),
        version: 1,
        dashboards: dashboards.to_vec(),
    };
    serde_json::to_string_pretty(&e).unwrap_or_default()
}

/// Reads an export file (or a bare array of dashboards), checking every widget; ids that
/// collide with `existing` ones are renamed so an import never overwrites.
pub fn import(json: &str, existing: &[Dashboard]) -> Result<Vec<Dashboard>, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("This is not JSON: {e}."))?;
    let dashboards: Vec<Dashboard> = if value.is_array() {
        serde_json::from_value(value).map_err(|e| format!("Not a list of dashboards: {e}."))?
    } else {
        let e: Export = serde_json::from_value(value)
            .map_err(|e| format!("Not a Switchboard dashboards file: {e}."))?;
        if e.switchboard != "dashboards" {
            return Err("Not a Switchboard dashboards file.".to_string());
        }
        if e.version != 1 {
            return Err(format!(
                "Version {} of the file format is not known.",
                e.version
            ));
        }
        e.dashboards
    };
    let mut taken: Vec<String> = existing.iter().map(|d| d.id.clone()).collect();
    let mut out = Vec::with_capacity(dashboards.len());
    for mut d in dashboards {
        for w in &d.widgets {
            if let Some(problem) = w.validate().into_iter().next() {
                return Err(format!(
                    "Dashboard '{}', widget '{}': {problem}",
                    d.name,
                    w.caption()
                ));
            }
        }
        let mut ids: Vec<String> = Vec::new();
        for w in &mut d.widgets {
            if w.id.is_empty() || ids.contains(&w.id) {
                w.id = (1..)
                    .map(|n| format!("w{n}"))
                    .find(|id| !ids.contains(id))
                    .unwrap_or_default();
            }
            w.width = w.width.clamp(1, 4);
            ids.push(w.id.clone());
        }
        if d.id.is_empty() || taken.contains(&d.id) {
            let base = if d.id.is_empty() {
                "dashboard".to_string()
            } else {
                d.id.clone()
            };
            d.id = (2..)
                .map(|n| format!("{base}-{n}"))
                .find(|id| !taken.contains(id))
                .unwrap_or_default();
        }
        taken.push(d.id.clone());
        out.push(d);
    }
    Ok(out)
}

/// The dashboard a first visit gets: the demo fleet's first device.
pub fn starter() -> Dashboard {
    let mut w = Vec::new();
    let mut add = |id: &str, title: &str, kind: WidgetKind, topic: &str, path: &str, unit: &str| {
        let mut x = Widget::new(id, kind, topic);
        x.title = title.into();
        x.path = path.into();
        x.unit = unit.into();
        w.push(x);
        w.len() - 1
    };
    add(
        "w1",
        "Temperature",
        WidgetKind::Value,
        "devices/dev-01/telemetry",
        "temperature",
        "°C",
    );
    add(
        "w2",
        "Humidity",
        WidgetKind::Gauge {
            min: 0.0,
            max: 100.0,
        },
        "devices/dev-01/telemetry",
        "humidity",
        "%",
    );
    let chart = add(
        "w3",
        "Temperature trend",
        WidgetKind::Line,
        "devices/dev-01/telemetry",
        "temperature",
        "°C",
    );
    let led = add(
        "w4",
        "LED",
        WidgetKind::Switch {
            on: "on".into(),
            off: "off".into(),
        },
        "devices/dev-01/state",
        "led",
        "",
    );
    add(
        "w5",
        "Alerts",
        WidgetKind::TextLog,
        "alerts/warning",
        "message",
        "",
    );
    if let Some(c) = w.get_mut(chart) {
        c.width = 2;
    }
    if let Some(s) = w.get_mut(led) {
        s.command_topic = "devices/dev-01/cmd".into();
        s.qos = 1;
    }
    Dashboard {
        id: "demo".into(),
        name: "Demo device".into(),
        widgets: w,
    }
}

/// The payload a switch publishes: the on/off text, wrapped as `{"<path>": "<text>"}` when the
/// switch reads a JSON field and publishes to a separate command topic (the demo devices'
/// `{"led":"on"}`).
pub fn switch_payload(w: &Widget, on: bool) -> String {
    let WidgetKind::Switch {
        on: on_p,
        off: off_p,
    } = &w.kind
    else {
        return String::new();
    };
    let value = if on { on_p } else { off_p };
    let path = w.path.trim();
    if !path.is_empty() && !w.command_topic.trim().is_empty() && !path.contains(['.', '[']) {
        let mut o = serde_json::Map::new();
        o.insert(path.to_string(), serde_json::Value::from(value.clone()));
        serde_json::Value::Object(o).to_string()
    } else {
        value.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn export_import_round_trip_and_renames_collisions() {
        let d = starter();
        let json = export(std::slice::from_ref(&d));
        let back = import(&json, &[]).unwrap();
        assert_eq!(back, vec![d.clone()]);
        let again = import(&json, &[d]).unwrap();
        assert_eq!(again[0].id, "demo-2");
    }

    #[test]
    fn import_refuses_bad_files_with_reasons() {
        assert!(import("nope", &[])
            .unwrap_err()
            .starts_with("This is not JSON"));
        assert!(import(r#"{"switchboard":"x","version":1,"dashboards":[]}"#, &[]).is_err());
        let bad = r#"[{"id":"a","name":"A","widgets":[{"id":"w1","kind":{"type":"value"},"topic":"a/#"}]}]"#;
        assert!(import(bad, &[]).unwrap_err().contains("Topic"));
        let gauge = r#"[{"id":"a","name":"A","widgets":[{"id":"w1","kind":{"type":"gauge","min":5,"max":1},"topic":"t"}]}]"#;
        assert!(import(gauge, &[]).unwrap_err().contains("minimum"));
    }

    #[test]
    fn reorders_widgets() {
        let mut d = starter();
        assert!(d.move_widget("w1", 1));
        assert_eq!(d.widgets[1].id, "w1");
        assert!(!d.move_widget("w1", -5) || d.widgets[0].id == "w1");
        assert!(!d.move_widget("nope", 1));
        assert_eq!(d.fresh_widget_id(), "w6");
    }

    #[test]
    fn switch_payloads() {
        let d = starter();
        let led = d.widgets.iter().find(|w| w.id == "w4").unwrap();
        assert_eq!(switch_payload(led, true), r#"{"led":"on"}"#);
        let plain = Widget::new(
            "x",
            WidgetKind::Switch {
                on: "1".into(),
                off: "0".into(),
            },
            "t",
        );
        assert_eq!(switch_payload(&plain, false), "0");
    }
}
