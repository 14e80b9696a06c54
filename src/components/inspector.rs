//! The packet inspector: paste bytes (or pick a sample), choose a version, see every packet.

use super::results::Results;
use super::source_panel::SourcePanel;
use crate::inspect::hex::{parse_input, InputError, InputFormat};
use crate::inspect::model::{inspect, Inspection};
use crate::inspect::preset_from_hash;
use crate::inspect::samples::{self, DEFAULT_SAMPLE};
use leptos::prelude::*;
use switchboard_mqtt::codec::Protocol;

/// What the inspector shows for the current input: how it was read and what it decodes to,
/// or why it is not bytes.
pub type Outcome = Result<(InputFormat, Inspection), InputError>;

/// The packet inspector view. It opens with a sample loaded and decodes on every keystroke.
#[component]
pub fn Inspector() -> impl IntoView {
    // A link may preset the input (`#/inspector?sample=…` or `?hex=…&version=…`).
    let hash = window().location().hash().unwrap_or_default();
    let preset = preset_from_hash(&hash);
    let first = match (&preset.hex, preset.sample) {
        (Some(_), _) => None,
        (None, Some(s)) => Some(s),
        (None, None) => samples::find(DEFAULT_SAMPLE),
    };
    let initial_text = preset
        .hex
        .clone()
        .or_else(|| first.map(|s| s.text()))
        .unwrap_or_default();
    let initial_version = preset
        .version
        .or(first.map(|s| s.version))
        .unwrap_or(Protocol::V5);
    let text = RwSignal::new(initial_text);
    let version = RwSignal::new(initial_version);
    let sample = RwSignal::new(first.map_or_else(String::new, |s| s.id.to_owned()));
    let outcome: Memo<Outcome> = Memo::new(move |_| {
        let version = version.get();
        text.with(|t| parse_input(t).map(|p| (p.format, inspect(&p.bytes, version))))
    });

    view! {
        <section class="inspector" aria-labelledby="inspector-title">
            <div class="page-head">
                <h1 id="inspector-title">"Packet inspector"</h1>
                <p class="lede">
                    "Paste MQTT bytes as hex, or pick a sample. Every packet is decoded as you type by the client's own strict codec, compiled to WebAssembly."
                </p>
            </div>
            <SourcePanel text=text version=version sample=sample outcome=outcome />
            <Results outcome=outcome />
        </section>
    }
}
