//! Connection profiles: a list to connect, duplicate or delete, and the editor.

pub mod editor;

use crate::components::settings_panel::SettingsPanel;
use crate::model::profile::Profile;
use crate::state::connection::use_connection;
use crate::state::profiles::{use_profiles, use_settings};
use editor::ProfileEditor;
use leptos::prelude::*;

/// The connections view.
#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let profiles = use_profiles();
    let conn = use_connection();
    let settings = use_settings();
    let dashboards = crate::state::dashboards::use_dashboards();
    // The profile being edited (a copy; saved on Save).
    let editing = RwSignal::new(None::<Profile>);
    let password = RwSignal::new(String::new());
    let connect = move |p: Profile| {
        let pw = password.get_untracked();
        let topics = dashboards.topics();
        let filters = crate::pages::view_filters(&settings.settings.get_untracked(), &topics, None);
        profiles.set_last(&p.id);
        conn.connect(p, (!pw.is_empty()).then_some(pw), filters);
    };
    view! {
        <section class="page connections" aria-labelledby="conn-title">
            <div class="page-head">
                <h1 id="conn-title">"Connections"</h1>
                <div class="toolbar">
                    <button class="btn btn-primary" data-testid="new-profile" on:click=move |_| {
                        editing.set(Some(Profile {
                            id: profiles.fresh_id(),
                            client_id: crate::model::profile::generated_client_id(
                                crate::state::profiles::random_u32(),
                            ),
                            ..Profile::default()
                        }));
                    }>
                        "New connection"
                    </button>
                </div>
            </div>
            <p class="form-error" role="alert" hidden=move || profiles.save_error.with(Option::is_none)>
                {move || profiles.save_error.get()}
            </p>
            <div class="conn-grid">
                <ul class="profile-list" data-testid="profile-list">
                    <For
                        each=move || profiles.list.get()
                        key=|p| format!("{p:?}")
                        children=move |p| {
                            let id = p.id.clone();
                            let active = {
                                let id = id.clone();
                                move || conn.profile.with(|c| c.as_ref().is_some_and(|c| c.id == id)) && conn.is_running()
                            };
                            let (p1, p2, p3) = (p.clone(), p.clone(), p.clone());
                            let id2 = id.clone();
                            view! {
                                <li class="panel profile-card" class:active=active.clone() data-testid="profile" data-name=p.name.clone()>
                                    <div class="panel-head">
                                        <h2>{p.name.clone()}</h2>
                                        <span class="chip">{match p.version { crate::model::profile::Version::V5 => "MQTT 5.0", crate::model::profile::Version::V311 => "MQTT 3.1.1" }}</span>
                                    </div>
                                    <p class="mono muted">{p.urls.join(", ")}</p>
                                    <p class="mono muted">{if p.client_id.is_empty() { "client id assigned by the broker".to_string() } else { p.client_id.clone() }}</p>
                                    <div class="toolbar">
                                        {
                                            let active = active.clone();
                                            move || if active() {
                                                view! { <button class="btn" data-testid="disconnect" on:click=move |_| conn.disconnect()>"Disconnect"</button> }.into_any()
                                            } else {
                                                let p = p1.clone();
                                                view! { <button class="btn btn-primary" data-testid="connect" on:click=move |_| connect(p.clone())>"Connect"</button> }.into_any()
                                            }
                                        }
                                        <button class="btn" on:click=move |_| editing.set(Some(p2.clone()))>"Edit"</button>
                                        <button class="btn" on:click=move |_| {
                                            let mut d = p3.clone();
                                            d.id = profiles.fresh_id();
                                            d.name = format!("{} (copy)", d.name);
                                            d.auto_connect = false;
                                            profiles.upsert(d);
                                        }>"Duplicate"</button>
                                        <button class="btn btn-danger" on:click=move |_| {
                                            let ok = window().confirm_with_message("Delete this connection?").unwrap_or(false);
                                            if ok {
                                                profiles.remove(&id2);
                                            }
                                        }>"Delete"</button>
                                    </div>
                                </li>
                            }
                        }
                    />
                </ul>
                {move || editing.get().map(|p| view! {
                    <ProfileEditor
                        profile=p
                        password=password
                        on_save=Callback::new(move |p: Profile| {
                            profiles.upsert(p);
                            editing.set(None);
                        })
                        on_cancel=Callback::new(move |()| editing.set(None))
                        on_connect=Callback::new(move |p: Profile| {
                            profiles.upsert(p.clone());
                            editing.set(None);
                            connect(p);
                        })
                    />
                })}
            </div>
            <SettingsPanel />
        </section>
    }
}
