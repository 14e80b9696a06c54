//! Saved connection profiles and app settings, as signals that write through to localStorage.

use super::storage;
use crate::model::profile::{generated_client_id, Profile};
use crate::model::settings::Settings;
use leptos::prelude::*;

const PROFILES: &str = "profiles";
const SETTINGS: &str = "settings";
const LAST: &str = "last-profile";

/// The profiles context.
#[derive(Clone, Copy)]
pub struct Profiles {
    /// Every saved profile.
    pub list: RwSignal<Vec<Profile>>,
    /// Why the last save failed, if it did.
    pub save_error: RwSignal<Option<String>>,
}

impl Profiles {
    /// Loads the saved profiles; a first visit gets the "Local demo" profile pointing at
    /// `demo_url`, which connects by itself.
    fn load(demo_url: &str) -> Profiles {
        let mut list: Vec<Profile> = storage::load(PROFILES).unwrap_or_default();
        if !list.iter().any(|p| p.id == "local-demo") {
            let mut demo = Profile::local_demo(demo_url);
            demo.client_id = generated_client_id(random_u32());
            list.insert(0, demo);
        }
        Profiles {
            list: RwSignal::new(list),
            save_error: RwSignal::new(None),
        }
    }

    fn persist(&self) {
        let stored: Vec<Profile> = self
            .list
            .with_untracked(|l| l.iter().map(Profile::for_storage).collect());
        self.save_error.set(storage::save(PROFILES, &stored).err());
    }

    /// Adds or replaces a profile (by id) and saves.
    pub fn upsert(&self, profile: Profile) {
        self.list
            .update(|l| match l.iter_mut().find(|p| p.id == profile.id) {
                Some(p) => *p = profile,
                None => l.push(profile),
            });
        self.persist();
    }

    /// Removes a profile and saves.
    pub fn remove(&self, id: &str) {
        self.list.update(|l| l.retain(|p| p.id != id));
        self.persist();
    }

    /// The profile `id`.
    pub fn get(&self, id: &str) -> Option<Profile> {
        self.list
            .with_untracked(|l| l.iter().find(|p| p.id == id).cloned())
    }

    /// A fresh id for a new profile.
    pub fn fresh_id(&self) -> String {
        format!("p-{:08x}", random_u32())
    }

    /// Remembers which profile was used last.
    pub fn set_last(&self, id: &str) {
        let _ = storage::save(LAST, &id.to_string());
    }

    /// The profile used last, if it still exists.
    pub fn last(&self) -> Option<Profile> {
        let id: String = storage::load(LAST)?;
        self.get(&id)
    }
}

/// A random number from the browser.
pub fn random_u32() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

/// The settings context: a signal that saves on every change.
#[derive(Clone, Copy)]
pub struct SettingsCtx {
    /// The settings.
    pub settings: RwSignal<Settings>,
}

impl SettingsCtx {
    /// Changes the settings and saves them.
    pub fn update(&self, f: impl FnOnce(&mut Settings)) {
        self.settings.update(|s| {
            f(s);
            *s = s.clone().clamped();
        });
        let _ = storage::save(SETTINGS, &self.settings.get_untracked());
    }
}

/// Loads profiles and settings and puts them in context.
pub fn provide_profiles(demo_url: &str) -> (Profiles, SettingsCtx) {
    let p = Profiles::load(demo_url);
    let settings: Settings = storage::load::<Settings>(SETTINGS)
        .unwrap_or_default()
        .clamped();
    let s = SettingsCtx {
        settings: RwSignal::new(settings),
    };
    provide_context(p);
    provide_context(s);
    (p, s)
}

/// The profiles.
pub fn use_profiles() -> Profiles {
    expect_context::<Profiles>()
}

/// The settings.
pub fn use_settings() -> SettingsCtx {
    expect_context::<SettingsCtx>()
}
