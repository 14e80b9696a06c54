//! One device's tile: online state, last seen, live values with sparklines.

use super::{ago, use_clock};
use crate::components::sparkline::Sparkline;
use crate::state::feed::use_stores;
use leptos::prelude::*;

/// A device tile linking to its detail view.
#[component]
pub fn DeviceTile(
    /// The device id.
    id: String,
    /// Its detail view.
    href: String,
) -> impl IntoView {
    let stores = use_stores();
    let now = use_clock();
    let key = id.clone();
    let snapshot = Memo::new(move |_| {
        stores.devices_changed.track();
        stores.devices.with_value(|d| {
            d.get(&key).map(|d| {
                let values: Vec<(String, String, Vec<f64>)> = d
                    .values
                    .iter()
                    .take(6)
                    .map(|(k, v)| {
                        let series = d
                            .series
                            .get(k)
                            .map(|s| s.iter().map(|(_, v)| *v).collect())
                            .unwrap_or_default();
                        (k.clone(), v.clone(), series)
                    })
                    .collect();
                (d.online, d.status.clone(), d.last_seen, values)
            })
        })
    });
    let online = move || snapshot.with(|s| s.as_ref().and_then(|s| s.0));
    let state_class = move || match online() {
        Some(true) => "tile online",
        Some(false) => "tile offline",
        None => "tile unknown",
    };
    view! {
        <a class=state_class href=href data-testid="device-tile" data-device=id.clone()>
            <div class="tile-head">
                <span class="tile-name">{id.clone()}</span>
                <span class="pill" data-testid="device-state">
                    {move || match online() {
                        Some(true) => "online",
                        Some(false) => "offline",
                        None => "unknown",
                    }}
                </span>
            </div>
            <p class="muted tile-seen">
                {move || snapshot.with(|s| s.as_ref().map(|s| ago(s.2, now.get())).unwrap_or_default())}
            </p>
            <dl class="tile-values">
                // Keyed by field: an update changes text and sparkline points, not the DOM's shape.
                <For
                    each=move || {
                        snapshot.with(|s| {
                            s.as_ref()
                                .map(|s| s.3.iter().map(|(k, _, _)| k.clone()).collect::<Vec<_>>())
                                .unwrap_or_default()
                        })
                    }
                    key=|k| k.clone()
                    children=move |k| {
                        let field = move |k: &str| {
                            snapshot.with(|s| {
                                s.as_ref().and_then(|s| s.3.iter().find(|(n, _, _)| n == k).cloned())
                            })
                        };
                        let k1 = k.clone();
                        let k2 = k.clone();
                        let k3 = k.clone();
                        let value = move || field(&k1).map(|f| f.1).unwrap_or_default();
                        let series = Signal::derive(move || field(&k2).map(|f| f.2).unwrap_or_default());
                        let has_series = move || field(&k3).is_some_and(|f| f.2.len() > 1);
                        let label = format!("{k} trend");
                        view! {
                            <div class="tile-value">
                                <dt>{k.clone()}</dt>
                                <dd class="mono">{value}</dd>
                                <Show when=has_series>
                                    <Sparkline values=series label=label.clone() />
                                </Show>
                            </div>
                        }
                    }
                />
            </dl>
        </a>
    }
}
