//! The widget editor: kind, topic, JSON path, unit, and what it publishes.

use crate::model::dashboard::{Widget, WidgetKind};
use leptos::prelude::*;

/// Edits a copy of `widget`.
#[component]
pub fn WidgetEditor(
    /// The widget to edit.
    widget: Widget,
    /// Called with the edited widget on Save.
    on_save: Callback<Widget>,
    /// Called on Cancel.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let w = RwSignal::new(widget);
    let problems = Memo::new(move |_| w.with(Widget::validate));
    let field = move |get: fn(&Widget) -> String, set: fn(&mut Widget, String)| {
        (
            move || w.with(get),
            move |ev: leptos::ev::Event| w.update(|w| set(w, event_target_value(&ev))),
        )
    };
    let (title_v, title_in) = field(|w| w.title.clone(), |w, v| w.title = v);
    let (topic_v, topic_in) = field(|w| w.topic.clone(), |w, v| w.topic = v.trim().to_string());
    let (path_v, path_in) = field(|w| w.path.clone(), |w, v| w.path = v);
    let (unit_v, unit_in) = field(|w| w.unit.clone(), |w, v| w.unit = v);
    let (cmd_v, cmd_in) = field(
        |w| w.command_topic.clone(),
        |w, v| w.command_topic = v.trim().to_string(),
    );
    let num = |v: &str, fallback: f64| v.trim().parse::<f64>().unwrap_or(fallback);
    let kind_fields = move || {
        match w.with(|w| w.kind.clone()) {
            WidgetKind::Gauge { min, max } => view! {
                <div class="field-grid">
                    <label class="control"><span class="input-label">"Min"</span>
                        <input inputmode="decimal" prop:value=min.to_string() on:change=move |ev| w.update(|w| if let WidgetKind::Gauge { min, .. } = &mut w.kind { *min = num(&event_target_value(&ev), *min) }) /></label>
                    <label class="control"><span class="input-label">"Max"</span>
                        <input inputmode="decimal" prop:value=max.to_string() on:change=move |ev| w.update(|w| if let WidgetKind::Gauge { max, .. } = &mut w.kind { *max = num(&event_target_value(&ev), *max) }) /></label>
                </div>
            }.into_any(),
            WidgetKind::Slider { min, max, step } => view! {
                <div class="field-grid">
                    <label class="control"><span class="input-label">"Min"</span>
                        <input inputmode="decimal" prop:value=min.to_string() on:change=move |ev| w.update(|w| if let WidgetKind::Slider { min, .. } = &mut w.kind { *min = num(&event_target_value(&ev), *min) }) /></label>
                    <label class="control"><span class="input-label">"Max"</span>
                        <input inputmode="decimal" prop:value=max.to_string() on:change=move |ev| w.update(|w| if let WidgetKind::Slider { max, .. } = &mut w.kind { *max = num(&event_target_value(&ev), *max) }) /></label>
                    <label class="control"><span class="input-label">"Step"</span>
                        <input inputmode="decimal" prop:value=step.to_string() on:change=move |ev| w.update(|w| if let WidgetKind::Slider { step, .. } = &mut w.kind { *step = num(&event_target_value(&ev), *step) }) /></label>
                </div>
            }.into_any(),
            WidgetKind::Switch { on, off } => view! {
                <div class="field-grid">
                    <label class="control"><span class="input-label">"On payload"</span>
                        <input prop:value=on on:input=move |ev| w.update(|w| if let WidgetKind::Switch { on, .. } = &mut w.kind { *on = event_target_value(&ev) }) /></label>
                    <label class="control"><span class="input-label">"Off payload"</span>
                        <input prop:value=off on:input=move |ev| w.update(|w| if let WidgetKind::Switch { off, .. } = &mut w.kind { *off = event_target_value(&ev) }) /></label>
                </div>
            }.into_any(),
            WidgetKind::Button { payload } => view! {
                <label class="control"><span class="input-label">"Payload"</span>
                    <input prop:value=payload on:input=move |ev| w.update(|w| if let WidgetKind::Button { payload } = &mut w.kind { *payload = event_target_value(&ev) }) /></label>
            }.into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        <form class="panel editor widget-editor" data-testid="widget-editor" on:submit=move |ev| {
            ev.prevent_default();
            if problems.with(Vec::is_empty) {
                on_save.run(w.get_untracked());
            }
        }>
            <h2>"Widget"</h2>
            <label class="control">
                <span class="input-label">"Kind"</span>
                <select data-testid="w-kind" on:change=move |ev| {
                    let label = event_target_value(&ev);
                    if let Some(k) = WidgetKind::defaults().into_iter().find(|k| k.label() == label) {
                        w.update(|w| w.kind = k);
                    }
                }>
                    {WidgetKind::defaults().into_iter().map(|k| {
                        let l = k.label();
                        view! { <option value=l selected=move || w.with(|w| w.kind.label() == l)>{l}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="input-label" for="w-title">"Title"</label>
            <input id="w-title" prop:value=title_v on:input=title_in />
            <label class="input-label" for="w-topic">"Topic"</label>
            <input id="w-topic" data-testid="w-topic" class="mono" prop:value=topic_v on:input=topic_in />
            <label class="input-label" for="w-path">"JSON path (empty: the whole payload)"</label>
            <input id="w-path" data-testid="w-path" class="mono" placeholder="temperature" prop:value=path_v on:input=path_in />
            <label class="input-label" for="w-unit">"Unit"</label>
            <input id="w-unit" prop:value=unit_v on:input=unit_in />
            {kind_fields}
            <div hidden=move || !w.with(|w| w.kind.publishes())>
                <label class="input-label" for="w-cmd">"Publish to (empty: the topic)"</label>
                <input id="w-cmd" data-testid="w-cmd" class="mono" prop:value=cmd_v on:input=cmd_in />
                <div class="field-grid">
                    <label class="control"><span class="input-label">"QoS"</span>
                        <select on:change=move |ev| w.update(|w| w.qos = event_target_value(&ev).parse().unwrap_or(0))>
                            <option value="0" selected=move || w.with(|w| w.qos == 0)>"0"</option>
                            <option value="1" selected=move || w.with(|w| w.qos == 1)>"1"</option>
                            <option value="2" selected=move || w.with(|w| w.qos == 2)>"2"</option>
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || w.with(|w| w.retain) on:change=move |ev| w.update(|w| w.retain = event_target_checked(&ev)) />
                        "Retain"
                    </label>
                </div>
            </div>
            <label class="control">
                <span class="input-label">"Width"</span>
                <select on:change=move |ev| w.update(|w| w.width = event_target_value(&ev).parse().unwrap_or(1))>
                    {(1u8..=4).map(|n| view! { <option value=n selected=move || w.with(|w| w.width == n)>{format!("{n} column{}", if n > 1 { "s" } else { "" })}</option> }).collect_view()}
                </select>
            </label>
            <ul class="form-error" role="alert">
                {move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
            </ul>
            <div class="toolbar">
                <button class="btn btn-primary" type="submit" data-testid="w-save" disabled=move || !problems.with(Vec::is_empty)>"Save widget"</button>
                <button class="btn btn-ghost" type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
