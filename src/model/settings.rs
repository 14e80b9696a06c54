//! The app's settings: theme, history limits, and how notifications and devices are found.
//! Saved in localStorage as one JSON object.

use super::conversations::NotificationSettings;
use super::devices::DeviceSettings;

/// Light, dark, or whatever the system says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// The next theme in the toggle's cycle.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    /// Its name on the toggle.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System theme",
            Theme::Light => "Light theme",
            Theme::Dark => "Dark theme",
        }
    }
}

/// Everything the settings panel changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The colour theme.
    pub theme: Theme,
    /// Messages the explorer's log keeps.
    pub log_limit: usize,
    /// Messages kept per topic (the topic history and its plot).
    pub topic_history: usize,
    /// Conversations.
    pub notifications: NotificationSettings,
    /// Devices.
    pub devices: DeviceSettings,
    /// Whether the user allowed browser notifications (and wants them).
    pub browser_notifications: bool,
    /// Whether toasts appear for new conversation messages.
    pub toasts: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            theme: Theme::System,
            log_limit: 5_000,
            topic_history: 200,
            notifications: NotificationSettings::default(),
            devices: DeviceSettings::default(),
            browser_notifications: false,
            toasts: true,
        }
    }
}

impl Settings {
    /// The limits users may choose for histories, so a typo cannot exhaust memory.
    pub const LIMITS: std::ops::RangeInclusive<usize> = 10..=100_000;

    /// The settings with limits clamped into [`Settings::LIMITS`].
    pub fn clamped(mut self) -> Settings {
        self.log_limit = self
            .log_limit
            .clamp(*Self::LIMITS.start(), *Self::LIMITS.end());
        self.topic_history = self.topic_history.clamp(*Self::LIMITS.start(), 10_000);
        self.devices.history = self.devices.history.clamp(*Self::LIMITS.start(), 10_000);
        self.notifications.history = self
            .notifications
            .history
            .clamp(*Self::LIMITS.start(), 10_000);
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_fills_in_defaults_and_limits_clamp() {
        let s: Settings = serde_json::from_str(r#"{"theme":"dark","log_limit":1}"#).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.clamped().log_limit, 10);
        assert_eq!(Theme::Dark.next(), Theme::System);
    }
}
