//! Bytes at the end of the input that do not make a whole packet yet.

use super::hex_dump::HexDump;
use crate::inspect::model::Leftover;
use leptos::prelude::*;

/// Shows the incomplete packet at the end of the input and how much of it is missing.
#[component]
pub fn LeftoverBox(
    /// The bytes after the last whole packet.
    leftover: Leftover,
) -> impl IntoView {
    let Leftover {
        offset,
        bytes,
        needed,
        packet,
        header_len,
    } = leftover;
    let have = bytes.len();
    let plural = |n: usize| if n == 1 { "byte" } else { "bytes" };
    let what = packet.map_or_else(|| "a packet".to_owned(), |p| format!("a {p}"));
    let detail = match needed {
        Some(k) => format!(
            "The last {have} {} start {what} of {} bytes: {k} more {} needed to complete it.",
            plural(have),
            have + k,
            plural(k),
        ),
        None => format!(
            "The last {have} {} start {what}, but its fixed header is not complete: at least one more byte is needed to know its length.",
            plural(have),
        ),
    };
    view! {
        <section class="leftover-box" data-testid="leftover" aria-labelledby="leftover-title">
            <header class="error-head">
                <h2 id="leftover-title">"Incomplete packet"</h2>
                <span class="pill">{format!("offset {offset}")}</span>
            </header>
            <p>{detail}</p>
            <HexDump bytes=bytes base=offset header_len=header_len />
        </section>
    }
}
