//! The profile editor: every connection setting, checked field by field as the user types.

use crate::model::profile::{generated_client_id, Profile, Version, WillSettings};
use crate::state::profiles::random_u32;
use leptos::prelude::*;

/// Edits a copy of `profile`; Save hands it back.
#[component]
pub fn ProfileEditor(
    /// The profile to edit.
    profile: Profile,
    /// The password typed in (kept out of storage unless "remember" is ticked).
    password: RwSignal<String>,
    /// Called with the edited profile on Save.
    on_save: Callback<Profile>,
    /// Called on Cancel.
    on_cancel: Callback<()>,
    /// Called with the edited profile on "Save and connect".
    on_connect: Callback<Profile>,
) -> impl IntoView {
    password.set(profile.password.clone());
    let p = RwSignal::new(profile);
    let errors = Memo::new(move |_| p.with(Profile::validate));
    let error_for = move |field: &'static str| {
        move || {
            errors.with(|e| {
                e.iter()
                    .filter(|e| e.field == field)
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
    };
    let text = move |get: fn(&Profile) -> String, set: fn(&mut Profile, String)| {
        (
            move || p.with(get),
            move |ev: leptos::ev::Event| p.update(|p| set(p, event_target_value(&ev))),
        )
    };
    let (name_v, name_in) = text(|p| p.name.clone(), |p, v| p.name = v);
    let (urls_v, urls_in) = text(
        |p| p.urls.join("\n"),
        |p, v| p.urls = v.lines().map(str::to_string).collect(),
    );
    let (cid_v, cid_in) = text(|p| p.client_id.clone(), |p, v| p.client_id = v);
    let (user_v, user_in) = text(|p| p.username.clone(), |p, v| p.username = v);
    let (will_t_v, will_t_in) = text(
        |p| p.will.as_ref().map(|w| w.topic.clone()).unwrap_or_default(),
        |p, v| p.will.get_or_insert_with(WillSettings::default).topic = v,
    );
    let (will_p_v, will_p_in) = text(
        |p| {
            p.will
                .as_ref()
                .map(|w| w.payload.clone())
                .unwrap_or_default()
        },
        |p, v| p.will.get_or_insert_with(WillSettings::default).payload = v,
    );
    let (ups_v, ups_in) = text(
        |p| {
            p.user_properties
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n")
        },
        |p, v| {
            p.user_properties = v
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| match l.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                    None => (l.trim().to_string(), String::new()),
                })
                .collect()
        },
    );
    let number = move |get: fn(&Profile) -> u64, set: fn(&mut Profile, u64)| {
        (
            move || p.with(get).to_string(),
            move |ev: leptos::ev::Event| {
                if let Ok(n) = event_target_value(&ev).trim().parse::<u64>() {
                    p.update(|p| set(p, n));
                }
            },
        )
    };
    let (ka_v, ka_in) = number(
        |p| u64::from(p.keep_alive),
        |p, n| p.keep_alive = n.min(65_535) as u16,
    );
    let (se_v, se_in) = number(
        |p| u64::from(p.session_expiry),
        |p, n| p.session_expiry = n.min(u64::from(u32::MAX)) as u32,
    );
    let (rm_v, rm_in) = number(
        |p| u64::from(p.receive_maximum),
        |p, n| p.receive_maximum = n.min(65_535) as u16,
    );
    let (wd_v, wd_in) = number(
        |p| p.will.as_ref().map_or(0, |w| u64::from(w.delay)),
        |p, n| {
            p.will.get_or_insert_with(WillSettings::default).delay =
                n.min(u64::from(u32::MAX)) as u32
        },
    );
    let v5 = move || p.with(|p| p.version == Version::V5);
    let finish = move || {
        let mut out = p.get_untracked();
        out.password = password.get_untracked();
        if out.will.as_ref().is_some_and(|w| w.topic.trim().is_empty()) {
            out.will = None;
        }
        out
    };
    view! {
        <form class="panel editor" data-testid="profile-editor" aria-label="Connection settings" on:submit=move |ev| {
            ev.prevent_default();
            if errors.with(Vec::is_empty) {
                on_save.run(finish());
            }
        }>
            <h2>"Connection"</h2>
            <label class="input-label" for="pf-name">"Name"</label>
            <input id="pf-name" data-testid="pf-name" prop:value=name_v on:input=name_in />
            <p class="field-error" role="alert">{error_for("name")}</p>
            <label class="input-label" for="pf-urls">"Broker URLs (ws:// or wss://, one per line, tried in turn)"</label>
            <textarea id="pf-urls" data-testid="pf-urls" rows="2" class="code-input" prop:value=urls_v on:input=urls_in></textarea>
            <p class="field-error" role="alert" data-testid="pf-urls-error">{error_for("urls")}</p>
            <label class="input-label" for="pf-cid">"Client id"</label>
            <div class="input-row">
                <input id="pf-cid" data-testid="pf-client-id" class="mono" prop:value=cid_v on:input=cid_in />
                <button type="button" class="btn" on:click=move |_| p.update(|p| p.client_id = generated_client_id(random_u32()))>"Generate"</button>
            </div>
            <p class="field-error" role="alert">{error_for("client_id")}</p>
            <fieldset class="inline">
                <legend class="input-label">"MQTT version"</legend>
                <label class="check"><input type="radio" name="pf-version" prop:checked=move || !v5() on:change=move |_| p.update(|p| p.version = Version::V311) />"3.1.1"</label>
                <label class="check"><input type="radio" name="pf-version" data-testid="pf-v5" prop:checked=v5 on:change=move |_| p.update(|p| p.version = Version::V5) />"5.0"</label>
            </fieldset>
            <div class="field-grid">
                <div>
                    <label class="input-label" for="pf-user">"User name"</label>
                    <input id="pf-user" autocomplete="username" prop:value=user_v on:input=user_in />
                </div>
                <div>
                    <label class="input-label" for="pf-pass">"Password"</label>
                    <input id="pf-pass" type="password" autocomplete="current-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || p.with(|p| p.remember_password) on:change=move |ev| p.update(|p| p.remember_password = event_target_checked(&ev)) />
                "Remember the password on this device (stored unencrypted in localStorage)"
            </label>
            <div class="field-grid">
                <div>
                    <label class="input-label" for="pf-ka">"Keep alive (s)"</label>
                    <input id="pf-ka" inputmode="numeric" prop:value=ka_v on:input=ka_in />
                </div>
                <div hidden=move || !v5()>
                    <label class="input-label" for="pf-se">"Session expiry (s)"</label>
                    <input id="pf-se" inputmode="numeric" prop:value=se_v on:input=se_in />
                </div>
                <div hidden=move || !v5()>
                    <label class="input-label" for="pf-rm">"Receive maximum"</label>
                    <input id="pf-rm" inputmode="numeric" prop:value=rm_v on:input=rm_in />
                    <p class="field-error" role="alert">{error_for("receive_maximum")}</p>
                </div>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || p.with(|p| p.clean_start) on:change=move |ev| p.update(|p| p.clean_start = event_target_checked(&ev)) />
                "Clean start (a new session each time)"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || p.with(|p| p.auto_connect) on:change=move |ev| p.update(|p| p.auto_connect = event_target_checked(&ev)) />
                "Connect when the app opens"
            </label>
            <details>
                <summary>"Last Will"</summary>
                <label class="input-label" for="pf-wt">"Topic (empty: no will)"</label>
                <input id="pf-wt" class="mono" prop:value=will_t_v on:input=will_t_in />
                <p class="field-error" role="alert">{error_for("will.topic")}</p>
                <label class="input-label" for="pf-wp">"Payload"</label>
                <input id="pf-wp" prop:value=will_p_v on:input=will_p_in />
                <div class="field-grid">
                    <label class="control">
                        <span class="input-label">"QoS"</span>
                        <select on:change=move |ev| {
                            let q = event_target_value(&ev).parse().unwrap_or(0);
                            p.update(|p| p.will.get_or_insert_with(WillSettings::default).qos = q);
                        }>
                            <option value="0" selected=move || p.with(|p| p.will.as_ref().is_none_or(|w| w.qos == 0))>"0"</option>
                            <option value="1" selected=move || p.with(|p| p.will.as_ref().is_some_and(|w| w.qos == 1))>"1"</option>
                            <option value="2" selected=move || p.with(|p| p.will.as_ref().is_some_and(|w| w.qos == 2))>"2"</option>
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || p.with(|p| p.will.as_ref().is_some_and(|w| w.retain)) on:change=move |ev| {
                            let r = event_target_checked(&ev);
                            p.update(|p| p.will.get_or_insert_with(WillSettings::default).retain = r);
                        } />
                        "Retain"
                    </label>
                    <div hidden=move || !v5()>
                        <label class="input-label" for="pf-wd">"Delay (s)"</label>
                        <input id="pf-wd" inputmode="numeric" prop:value=wd_v on:input=wd_in />
                    </div>
                </div>
            </details>
            <details hidden=move || !v5()>
                <summary>"User properties"</summary>
                <label class="input-label" for="pf-ups">"name=value, one per line"</label>
                <textarea id="pf-ups" rows="3" class="code-input" prop:value=ups_v on:input=ups_in></textarea>
                <p class="field-error" role="alert">{error_for("user_properties")}</p>
            </details>
            <div class="toolbar">
                <button class="btn btn-primary" type="submit" data-testid="pf-save" disabled=move || !errors.with(Vec::is_empty)>"Save"</button>
                <button class="btn" type="button" data-testid="pf-save-connect" disabled=move || !errors.with(Vec::is_empty) on:click=move |_| on_connect.run(finish())>"Save and connect"</button>
                <button class="btn btn-ghost" type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
