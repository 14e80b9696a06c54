//! The output side of the inspector: a summary line, the decoded packets, and what stopped
//! the decoding.

use super::error_box::ErrorBox;
use super::inspector::Outcome;
use super::leftover_box::LeftoverBox;
use super::packet_card::PacketCard;
use crate::inspect::model::{Inspection, Stop};
use leptos::prelude::*;

/// Everything decoded from the input, or a word on why nothing is.
#[component]
pub fn Results(
    /// What the input decodes to.
    outcome: Memo<Outcome>,
) -> impl IntoView {
    move || {
        outcome.with(|o| match o {
            Err(_) => view! {
                <div class="empty-state">
                    <p class="empty-title">"Nothing to decode yet"</p>
                    <p class="muted">"Fix the input above: it is not hex."</p>
                </div>
            }
            .into_any(),
            Ok((_, inspection)) if inspection.total == 0 => view! {
                <div class="empty-state">
                    <p class="empty-title">"No bytes"</p>
                    <p class="muted">
                        "Paste a packet captured from a broker, a log or a test, or pick a sample."
                    </p>
                </div>
            }
            .into_any(),
            Ok((_, inspection)) => decoded(inspection).into_any(),
        })
    }
}

fn summary(i: &Inspection) -> (String, &'static str, String) {
    let n = i.packet_count();
    let count = format!(
        "{n} {} in {} {}",
        if n == 1 { "packet" } else { "packets" },
        i.total,
        if i.total == 1 { "byte" } else { "bytes" }
    );
    let (class, state) = match &i.stop {
        Stop::End => ("state-ok", "All bytes decoded".to_owned()),
        Stop::Incomplete(l) => (
            "state-warn",
            match l.needed {
                Some(k) => format!(
                    "Incomplete: {k} more {} needed",
                    if k == 1 { "byte" } else { "bytes" }
                ),
                None => "Incomplete: fixed header cut short".to_owned(),
            },
        ),
        Stop::Error(e) => (
            "state-bad",
            format!("Malformed at byte {}: {}", e.offset, e.rule),
        ),
    };
    (count, class, state)
}

fn decoded(i: &Inspection) -> impl IntoView {
    let (count, class, state) = summary(i);
    let cards = i
        .packets
        .iter()
        .map(|p| {
            view! {
                <li>
                    <PacketCard packet=p.clone() />
                </li>
            }
        })
        .collect_view();
    let more = (i.more_packets > 0).then(|| {
        view! {
            <p class="more-note">
                {format!(
                    "{} more packets decoded without a problem; only the first {} are shown.",
                    i.more_packets,
                    i.packets.len(),
                )}
            </p>
        }
    });
    let stop = match &i.stop {
        Stop::End => None,
        Stop::Incomplete(l) => Some(view! { <LeftoverBox leftover=l.clone() /> }.into_any()),
        Stop::Error(e) => Some(view! { <ErrorBox error=e.clone() /> }.into_any()),
    };
    view! {
        <section class="results" aria-label="Decoded packets">
            <div class="summary" role="status" data-testid="summary">
                <span class="summary-count">{count}</span>
                <span class=format!("state {class}")>{state}</span>
            </div>
            <ol class="packet-list" data-testid="packet-list">
                {cards}
            </ol>
            {more}
            {stop}
        </section>
    }
}
