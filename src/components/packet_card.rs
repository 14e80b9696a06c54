//! One decoded packet: its digest, its field tree (or JSON) and its bytes.

use super::field_tree::FieldTree;
use super::hex_dump::HexDump;
use crate::inspect::model::PacketView;
use leptos::prelude::*;

/// A card for one packet.
#[component]
pub fn PacketCard(
    /// The packet.
    packet: PacketView,
) -> impl IntoView {
    let show_json = RwSignal::new(false);
    let PacketView {
        number,
        offset,
        bytes,
        header_len,
        name,
        family,
        version,
        summary,
        fields,
        packet: _,
    } = packet.clone();
    let len = bytes.len();
    let title_id = format!("packet-{number}-title");
    let labelled_by = title_id.clone();
    let meta = format!(
        "offset {offset} \u{b7} {len} {} \u{b7} MQTT {version}",
        if len == 1 { "byte" } else { "bytes" }
    );
    let json = move || {
        show_json
            .get()
            .then(|| view! { <pre class="json">{packet.json()}</pre> })
    };
    view! {
        <article
            class=format!("packet-card {}", family.class())
            data-testid="packet-card"
            data-packet=name
            aria-labelledby=labelled_by
        >
            <header class="card-head">
                <span class="pkt-num">{format!("#{number}")}</span>
                <h2 class="pkt-name" id=title_id>
                    {name}
                </h2>
                <span class="pkt-summary" data-testid="packet-summary">
                    {summary}
                </span>
                <span class="pkt-meta">{meta}</span>
                <div class="seg" role="group" aria-label="Show">
                    <button
                        type="button"
                        class="seg-btn"
                        aria-pressed=move || (!show_json.get()).to_string()
                        on:click=move |_| show_json.set(false)
                    >
                        "Fields"
                    </button>
                    <button
                        type="button"
                        class="seg-btn"
                        aria-pressed=move || show_json.get().to_string()
                        on:click=move |_| show_json.set(true)
                    >
                        "JSON"
                    </button>
                </div>
            </header>
            <div class="card-body">
                <div class="card-fields">
                    <div hidden=move || show_json.get()>
                        <FieldTree fields=fields />
                    </div>
                    {json}
                </div>
                <HexDump bytes=bytes base=offset header_len=header_len />
            </div>
        </article>
    }
}
