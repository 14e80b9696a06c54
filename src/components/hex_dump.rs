//! A hex dump of a packet's bytes, with the fixed header marked.

use crate::inspect::dump::dump;
use leptos::prelude::*;

/// The bytes of one packet, 16 to a row, offsets counted from the start of the input.
#[component]
pub fn HexDump(
    /// The bytes.
    bytes: Vec<u8>,
    /// Offset of the first byte in the input.
    base: usize,
    /// How many of them are the fixed header (0 when it is not known).
    header_len: usize,
) -> impl IntoView {
    let d = dump(&bytes, base, header_len);
    let rows = d
        .rows
        .into_iter()
        .map(|r| {
            let segments = r
                .segments
                .into_iter()
                .map(|s| {
                    view! { <span class=if s.header { "d-fh" } else { "d-body" }>{s.text}</span> }
                })
                .collect_view();
            view! {
                <div class="d-row">
                    <span class="d-off">{format!("{:04x}", r.offset)}</span>
                    <span class="d-hex">{segments}</span>
                    <span class="d-ascii">{r.ascii}</span>
                </div>
            }
        })
        .collect_view();
    let hidden = d.hidden;
    view! {
        <figure class="hexdump" data-testid="hex-dump">
            <figcaption class="dump-legend">
                <span class="dump-title">"Bytes"</span>
                {(header_len > 0)
                    .then(|| view! { <span class="legend-fh">"fixed header"</span> })}
                <span class="legend-body">"body"</span>
            </figcaption>
            <div class="dump" role="group" aria-label="Hex dump">
                {rows}
            </div>
            {(hidden > 0)
                .then(|| view! { <p class="more-note">{format!("\u{2026} {hidden} more bytes")}</p> })}
        </figure>
    }
}
