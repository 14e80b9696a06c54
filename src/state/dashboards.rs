//! The user's dashboards, as a signal that writes through to localStorage.

use super::storage;
use crate::model::dashboard::{starter, Dashboard};
use leptos::prelude::*;

const KEY: &str = "dashboards";

/// The dashboards context.
#[derive(Clone, Copy)]
pub struct Dashboards {
    /// Every dashboard, in tab order.
    pub list: RwSignal<Vec<Dashboard>>,
    /// Why the last save failed, if it did.
    pub save_error: RwSignal<Option<String>>,
}

impl Dashboards {
    /// Changes the dashboards and saves them.
    pub fn update(&self, f: impl FnOnce(&mut Vec<Dashboard>)) {
        self.list.update(f);
        self.save_error
            .set(storage::save(KEY, &self.list.get_untracked()).err());
    }

    /// Every topic a widget shows (the subscriptions dashboards need).
    pub fn topics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.list.with_untracked(|l| {
            for w in l.iter().flat_map(|d| &d.widgets) {
                if !w.topic.is_empty() && !out.contains(&w.topic) {
                    out.push(w.topic.clone());
                }
            }
        });
        out
    }
}

/// Loads the dashboards (a first visit gets the demo device's) and puts them in context.
pub fn provide_dashboards() -> Dashboards {
    let list = storage::load(KEY).unwrap_or_else(|| vec![starter()]);
    let d = Dashboards {
        list: RwSignal::new(list),
        save_error: RwSignal::new(None),
    };
    provide_context(d);
    d
}

/// The dashboards.
pub fn use_dashboards() -> Dashboards {
    expect_context::<Dashboards>()
}
