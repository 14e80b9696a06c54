//! App settings: theme, history limits, and the topic patterns that make conversations and
//! devices. Invalid patterns are refused with the reason, never saved.

use crate::model::pattern::Pattern;
use crate::model::settings::{Settings, Theme};
use crate::state::profiles::use_settings;
use leptos::prelude::*;

fn lines(v: &[String]) -> String {
    v.join("\n")
}

fn parse_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The settings form.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let ctx = use_settings();
    let draft = RwSignal::new(ctx.settings.get_untracked());
    let saved = RwSignal::new(false);
    let problems = Memo::new(move |_| {
        draft.with(|s| {
            let mut out = Vec::new();
            for p in &s.notifications.patterns {
                if let Err(e) = Pattern::parse(p) {
                    out.push(format!("Conversation pattern '{p}': {e}."));
                }
            }
            for (label, p) in [
                ("Device status", &s.devices.status),
                ("Device telemetry", &s.devices.telemetry),
                ("Device state", &s.devices.state),
                ("Device commands", &s.devices.command),
            ] {
                match Pattern::parse(p) {
                    Err(e) => out.push(format!("{label} pattern '{p}': {e}.")),
                    Ok(pat) if !pat.names().any(|n| n == "id") => {
                        out.push(format!("{label} pattern '{p}' needs an {{id}} level."))
                    }
                    Ok(_) => {}
                }
            }
            out
        })
    });
    let text = move |get: fn(&Settings) -> String, set: fn(&mut Settings, String)| {
        (
            move || draft.with(get),
            move |ev: leptos::ev::Event| {
                saved.set(false);
                draft.update(|s| set(s, event_target_value(&ev)));
            },
        )
    };
    let (conv_v, conv_in) = text(
        |s| lines(&s.notifications.patterns),
        |s, v| s.notifications.patterns = parse_lines(&v),
    );
    let (from_v, from_in) = text(
        |s| s.notifications.sender_fields.join(", "),
        |s, v| {
            s.notifications.sender_fields = v
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        },
    );
    let (text_v, text_in) = text(
        |s| s.notifications.text_fields.join(", "),
        |s, v| {
            s.notifications.text_fields = v
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        },
    );
    let (me_v, me_in) = text(
        |s| s.notifications.my_name.clone(),
        |s, v| s.notifications.my_name = v.trim().to_string(),
    );
    let (st_v, st_in) = text(
        |s| s.devices.status.clone(),
        |s, v| s.devices.status = v.trim().to_string(),
    );
    let (te_v, te_in) = text(
        |s| s.devices.telemetry.clone(),
        |s, v| s.devices.telemetry = v.trim().to_string(),
    );
    let (sa_v, sa_in) = text(
        |s| s.devices.state.clone(),
        |s, v| s.devices.state = v.trim().to_string(),
    );
    let (cm_v, cm_in) = text(
        |s| s.devices.command.clone(),
        |s, v| s.devices.command = v.trim().to_string(),
    );
    let (log_v, log_in) = text(
        |s| s.log_limit.to_string(),
        |s, v| s.log_limit = v.trim().parse().unwrap_or(s.log_limit),
    );
    let (hist_v, hist_in) = text(
        |s| s.topic_history.to_string(),
        |s, v| s.topic_history = v.trim().parse().unwrap_or(s.topic_history),
    );
    view! {
        <form class="panel settings" aria-labelledby="settings-title" data-testid="settings" on:submit=move |ev| {
            ev.prevent_default();
            if problems.with(Vec::is_empty) {
                let d = draft.get_untracked();
                ctx.update(|s| *s = d);
                draft.set(ctx.settings.get_untracked());
                saved.set(true);
            }
        }>
            <h2 id="settings-title">"App settings"</h2>
            <fieldset class="inline">
                <legend class="input-label">"Theme"</legend>
                {[Theme::System, Theme::Light, Theme::Dark].into_iter().map(|t| view! {
                    <label class="check">
                        <input type="radio" name="theme" prop:checked=move || draft.with(|s| s.theme == t) on:change=move |_| draft.update(|s| s.theme = t) />
                        {t.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="field-grid">
                <div>
                    <label class="input-label" for="set-log">{format!("Messages kept in the log ({}–{})", Settings::LIMITS.start(), Settings::LIMITS.end())}</label>
                    <input id="set-log" inputmode="numeric" prop:value=log_v on:input=log_in />
                </div>
                <div>
                    <label class="input-label" for="set-hist">"Messages kept per topic"</label>
                    <input id="set-hist" inputmode="numeric" prop:value=hist_v on:input=hist_in />
                </div>
            </div>
            <h3>"Notifications"</h3>
            <label class="input-label" for="set-conv">"Conversation patterns, one per line ({name} levels name a conversation)"</label>
            <textarea id="set-conv" class="code-input" rows="3" prop:value=conv_v on:input=conv_in></textarea>
            <div class="field-grid">
                <div>
                    <label class="input-label" for="set-from">"Sender fields"</label>
                    <input id="set-from" prop:value=from_v on:input=from_in />
                </div>
                <div>
                    <label class="input-label" for="set-text">"Text fields"</label>
                    <input id="set-text" prop:value=text_v on:input=text_in />
                </div>
                <div>
                    <label class="input-label" for="set-me">"Reply as"</label>
                    <input id="set-me" prop:value=me_v on:input=me_in />
                </div>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || draft.with(|s| s.toasts) on:change=move |ev| draft.update(|s| s.toasts = event_target_checked(&ev)) />
                "Show in-app toasts for new messages"
            </label>
            <h3>"Devices"</h3>
            <div class="field-grid">
                <div><label class="input-label" for="set-st">"Status"</label><input id="set-st" class="mono" prop:value=st_v on:input=st_in /></div>
                <div><label class="input-label" for="set-te">"Telemetry"</label><input id="set-te" class="mono" prop:value=te_v on:input=te_in /></div>
                <div><label class="input-label" for="set-sa">"State"</label><input id="set-sa" class="mono" prop:value=sa_v on:input=sa_in /></div>
                <div><label class="input-label" for="set-cm">"Commands"</label><input id="set-cm" class="mono" prop:value=cm_v on:input=cm_in /></div>
            </div>
            <ul class="form-error" role="alert">
                {move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
            </ul>
            <div class="toolbar">
                <button class="btn btn-primary" type="submit" disabled=move || !problems.with(Vec::is_empty)>"Save settings"</button>
                <span class="ok" role="status" hidden=move || !saved.get()>"Saved. New patterns apply from the next connection."</span>
            </div>
        </form>
    }
}
