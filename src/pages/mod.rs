//! The views, one folder each.

pub mod connections;
pub mod dashboards;
pub mod devices;
pub mod explorer;
pub mod notifications;

use crate::model::conversations::Conversations;
use crate::model::devices::Devices;
use crate::model::settings::Settings;

/// The subscriptions the views need, each with the view that needs it. An embed's `filter`
/// replaces them: the embedding page says exactly what to subscribe to.
pub fn view_filters(
    settings: &Settings,
    dashboard_topics: &[String],
    embed_filter: Option<&str>,
) -> Vec<(String, &'static str)> {
    if let Some(f) = embed_filter.filter(|f| !f.trim().is_empty()) {
        return f
            .split(',')
            .map(|f| (f.trim().to_string(), "Embed"))
            .filter(|(f, _)| switchboard_mqtt::topic::validate_filter(f).is_ok())
            .collect();
    }
    let mut out = Vec::new();
    for f in Conversations::new(settings.notifications.clone()).filters() {
        out.push((f, "Notifications"));
    }
    for f in Devices::new(settings.devices.clone()).filters() {
        out.push((f, "Devices"));
    }
    // A topic another filter already covers would arrive twice (once per subscription).
    for t in dashboard_topics {
        if !out
            .iter()
            .any(|(f, _)| switchboard_mqtt::topic::matches(f, t))
        {
            out.push((t.clone(), "Dashboards"));
        }
    }
    out
}
