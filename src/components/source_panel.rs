//! The input side of the inspector: sample and version pickers, the bytes, and how they read.

use super::inspector::Outcome;
use super::sample_picker::SamplePicker;
use super::version_picker::VersionPicker;
use crate::inspect::samples;
use leptos::html::Textarea;
use leptos::prelude::*;
use switchboard_mqtt::codec::Protocol;

/// The input panel. Typing into the box updates `text` (and marks the input as custom);
/// picking a sample fills the box and sets the version the sample is meant for.
#[component]
pub fn SourcePanel(
    /// The text in the input box.
    text: RwSignal<String>,
    /// The protocol version to decode with.
    version: RwSignal<Protocol>,
    /// The id of the sample in the box, or empty for custom input.
    sample: RwSignal<String>,
    /// What the text decodes to.
    outcome: Memo<Outcome>,
) -> impl IntoView {
    let input = NodeRef::<Textarea>::new();
    let fill = move |value: String| {
        if let Some(el) = input.get_untracked() {
            el.set_value(&value);
        }
        text.set(value);
    };
    let pick = Callback::new(move |id: String| {
        if let Some(s) = samples::find(&id) {
            version.set(s.version);
            fill(s.text());
        }
        sample.set(id);
    });
    let clear = move |_| {
        fill(String::new());
        sample.set(String::new());
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    let status = move || {
        outcome.with(|o| match o {
            Ok((format, inspection)) if inspection.total > 0 => {
                let n = inspection.total;
                let unit = if n == 1 { "byte" } else { "bytes" };
                view! {
                    <span class="status-ok">
                        <span class="dot" aria-hidden="true"></span>
                        {format!("{n} {unit}")}
                        <span class="muted">{format!(" \u{b7} read as {}", format.label())}</span>
                    </span>
                }
                .into_any()
            }
            Ok(_) => view! {
                <span class="muted">
                    "Hex in any common layout: spaces, line breaks, 0x prefixes and commas are fine; a \\x-escaped string works too."
                </span>
            }
            .into_any(),
            Err(e) => view! {
                <span class="status-bad" data-testid="input-error">
                    <span class="dot" aria-hidden="true"></span>
                    {format!("Not valid input: {e}")}
                </span>
            }
            .into_any(),
        })
    };

    view! {
        <div class="panel source-panel">
            <div class="toolbar">
                <SamplePicker sample=sample on_pick=pick />
                <VersionPicker version=version />
                <div class="control control-button">
                    <button type="button" class="btn" on:click=clear data-testid="clear">
                        "Clear"
                    </button>
                </div>
            </div>
            <label class="input-label" for="hex-input">
                "Packet bytes"
                <span class="muted">" (hex)"</span>
            </label>
            <textarea
                id="hex-input"
                class="hex-input"
                data-testid="hex-input"
                node_ref=input
                prop:value=text.get_untracked()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    sample.set(String::new());
                }
                rows="6"
                spellcheck="false"
                autocomplete="off"
                autocapitalize="off"
                placeholder="e.g. 30 0d 00 05 68 65 6c 6c 6f 77 6f 72 6c 64"
                aria-describedby="input-status"
            ></textarea>
            <div id="input-status" class="input-status" aria-live="polite">
                {status}
            </div>
        </div>
    }
}
