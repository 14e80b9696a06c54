//! The protocol version picker.

use crate::inspect::{version_from_str, VERSIONS};
use leptos::prelude::*;
use switchboard_mqtt::codec::Protocol;

/// A select for the version packets are decoded with (a CONNECT then switches to its own).
#[component]
pub fn VersionPicker(
    /// The version.
    version: RwSignal<Protocol>,
) -> impl IntoView {
    let options = VERSIONS
        .into_iter()
        .map(|v| {
            view! {
                <option value=v.to_string() prop:selected=move || version.get() == v>
                    {format!("MQTT {v}")}
                </option>
            }
        })
        .collect_view();
    view! {
        <div class="control">
            <label for="version-select">"Protocol version"</label>
            <select
                id="version-select"
                data-testid="version-select"
                on:change=move |ev| {
                    if let Some(v) = version_from_str(&event_target_value(&ev)) {
                        version.set(v);
                    }
                }
            >
                {options}
            </select>
        </div>
    }
}
