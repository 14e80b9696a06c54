//! localStorage as JSON: what profiles, settings and dashboards are saved in. A browser that
//! refuses storage (private mode, quota) degrades to memory; the caller is told.

use serde::de::DeserializeOwned;
use serde::Serialize;

const PREFIX: &str = "switchboard.";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The value saved under `key`, if there is one that still parses.
pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let raw = storage()?
        .get_item(&format!("{PREFIX}{key}"))
        .ok()
        .flatten()?;
    serde_json::from_str(&raw).ok()
}

/// Saves `value` under `key`; `Err` with a sentence when the browser refused.
pub fn save<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
    let s = storage().ok_or("this browser does not allow local storage")?;
    s.set_item(&format!("{PREFIX}{key}"), &json)
        .map_err(|_| "the browser refused to save (storage full or disabled)".to_string())
}
