//! The sample picker: example packets grouped by protocol version, and malformed ones.

use crate::inspect::samples::GROUPS;
use leptos::prelude::*;

/// A select listing every sample. Shows "Custom input" once the text has been edited.
#[component]
pub fn SamplePicker(
    /// The id of the sample in the input box, or empty.
    sample: RwSignal<String>,
    /// Called with the id of the sample picked.
    on_pick: Callback<String>,
) -> impl IntoView {
    let groups = GROUPS
        .iter()
        .map(|g| {
            let options = g
                .samples
                .iter()
                .map(|s| {
                    let id = s.id;
                    view! {
                        <option value=id prop:selected=move || sample.with(|x| x == id)>
                            {s.title}
                        </option>
                    }
                })
                .collect_view();
            view! { <optgroup label=g.label>{options}</optgroup> }
        })
        .collect_view();
    view! {
        <div class="control control-grow">
            <label for="sample-select">"Sample"</label>
            <select
                id="sample-select"
                data-testid="sample-select"
                on:change=move |ev| on_pick.run(event_target_value(&ev))
            >
                <option value="" prop:selected=move || sample.with(String::is_empty)>
                    "Custom input"
                </option>
                {groups}
            </select>
        </div>
    }
}
