//! The subscriptions panel: add a filter with QoS and MQTT 5 options, see what the broker
//! granted, remove it.

use crate::state::connection::{use_connection, Grant, Source, SubEntry};
use leptos::prelude::*;

/// The subscriptions panel.
#[component]
pub fn SubscriptionsPanel() -> impl IntoView {
    let conn = use_connection();
    let filter = RwSignal::new(String::new());
    let qos = RwSignal::new(1u8);
    let no_local = RwSignal::new(false);
    let rap = RwSignal::new(false);
    let rh = RwSignal::new(0u8);
    let error = RwSignal::new(None::<String>);
    let v5 = move || {
        conn.profile.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.version == crate::model::profile::Version::V5)
        })
    };
    let add = move || {
        let f = filter.get_untracked().trim().to_string();
        if f.is_empty() {
            error.set(Some(
                "Type a topic filter, e.g. devices/+/telemetry or #.".into(),
            ));
            return;
        }
        if let Err(m) = switchboard_mqtt::topic::validate_filter(&f) {
            error.set(Some(format!("'{f}' is not a valid filter: {m}.")));
            return;
        }
        if no_local.get_untracked() && switchboard_mqtt::topic::is_shared(&f) {
            error.set(Some(
                "No Local cannot be used on a shared subscription.".into(),
            ));
            return;
        }
        error.set(None);
        let n = conn.subscriptions.with_untracked(Vec::len);
        let mut e = SubEntry::new(f, qos.get_untracked(), n);
        e.no_local = no_local.get_untracked();
        e.retain_as_published = rap.get_untracked();
        e.retain_handling = rh.get_untracked();
        conn.subscribe(e);
        filter.set(String::new());
    };
    view! {
        <section class="panel subs" aria-labelledby="subs-title">
            <h2 id="subs-title">"Subscriptions"</h2>
            <form class="sub-form" on:submit=move |ev| {
                ev.prevent_default();
                add();
            }>
                <label class="visually-hidden" for="sub-filter">"Topic filter"</label>
                <input
                    id="sub-filter"
                    data-testid="sub-filter"
                    placeholder="topic filter, e.g. devices/#"
                    autocomplete="off"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                <label class="visually-hidden" for="sub-qos">"QoS"</label>
                <select id="sub-qos" on:change=move |ev| qos.set(event_target_value(&ev).parse().unwrap_or(0))>
                    <option value="0" selected=move || qos.get() == 0>"QoS 0"</option>
                    <option value="1" selected=move || qos.get() == 1>"QoS 1"</option>
                    <option value="2" selected=move || qos.get() == 2>"QoS 2"</option>
                </select>
                <button class="btn btn-primary" type="submit" data-testid="sub-add">"Subscribe"</button>
                <details class="sub-options" hidden=move || !v5()>
                    <summary>"MQTT 5 options"</summary>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || no_local.get() on:change=move |ev| no_local.set(event_target_checked(&ev)) />
                        "No Local"
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || rap.get() on:change=move |ev| rap.set(event_target_checked(&ev)) />
                        "Retain As Published"
                    </label>
                    <label class="control">
                        <span class="input-label">"Retain handling"</span>
                        <select on:change=move |ev| rh.set(event_target_value(&ev).parse().unwrap_or(0))>
                            <option value="0">"0 · send retained on subscribe"</option>
                            <option value="1">"1 · only for a new subscription"</option>
                            <option value="2">"2 · never"</option>
                        </select>
                    </label>
                </details>
            </form>
            <p class="form-error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <ul class="sub-list" data-testid="sub-list">
                <For
                    each=move || conn.subscriptions.get()
                    key=|s| (s.filter.clone(), format!("{:?}", s.grant))
                    children=move |s| {
                        let f = s.filter.clone();
                        let f2 = s.filter.clone();
                        let status = match &s.grant {
                            Grant::Waiting => "…".to_string(),
                            Grant::Granted(q) => format!("QoS {q}"),
                            Grant::Refused(m) => m.clone(),
                        };
                        let refused = matches!(s.grant, Grant::Refused(_));
                        let by = match s.source {
                            Source::User => None,
                            Source::View(v) => Some(format!("for {v}")),
                        };
                        view! {
                            <li class="sub-item" class:refused=refused>
                                <span class="swatch" style=format!("background:{}", s.color) aria-hidden="true"></span>
                                <span class="mono sub-filter">{f}</span>
                                <span class="muted sub-grant">{status}</span>
                                {by.map(|b| view! { <span class="muted sub-by">{b}</span> })}
                                <button
                                    class="btn btn-ghost btn-small"
                                    aria-label=format!("Unsubscribe from {f2}")
                                    on:click=move |_| conn.unsubscribe(&f2)
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}
