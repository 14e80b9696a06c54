//! The rule a packet breaks, where, and its bytes.

use super::hex_dump::HexDump;
use crate::inspect::model::ErrorView;
use leptos::prelude::*;

/// Shows why decoding stopped: the codec's message, the spec statement, the offset.
#[component]
pub fn ErrorBox(
    /// The error.
    error: ErrorView,
) -> impl IntoView {
    let ErrorView {
        number,
        offset,
        packet,
        message,
        rule,
        close_with,
        bytes,
        header_len,
        unread,
    } = error;
    let title = match packet {
        Some(name) => format!("Packet #{number} ({name}) is malformed"),
        None => format!("Packet #{number} is malformed"),
    };
    let unread_note = (unread > 0).then(|| {
        view! {
            <p class="muted">
                {format!(
                    "{unread} {} after this packet {} not examined: a receiver closes the connection here.",
                    if unread == 1 { "byte" } else { "bytes" },
                    if unread == 1 { "was" } else { "were" },
                )}
            </p>
        }
    });
    view! {
        <section class="error-box" data-testid="error-box" aria-labelledby="error-title">
            <header class="error-head">
                <svg class="error-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path d="M12 3 L22 20 H2 Z" />
                    <path d="M12 9.5 V14" class="stroke" />
                    <circle cx="12" cy="17" r="1.1" class="dotfill" />
                </svg>
                <h2 id="error-title">{title}</h2>
            </header>
            <p class="error-message" data-testid="error-message">
                {message}
            </p>
            <dl class="facts">
                <div>
                    <dt>"Rule"</dt>
                    <dd>
                        <code class="rule" data-testid="error-rule">
                            {rule}
                        </code>
                    </dd>
                </div>
                <div>
                    <dt>"Offset"</dt>
                    <dd data-testid="error-offset">
                        {format!("byte {offset} (0x{offset:04x})")}
                    </dd>
                </div>
                <div>
                    <dt>"A 5.0 peer disconnects with"</dt>
                    <dd>
                        <span class="v-code bad">{format!("0x{:02X}", close_with.code)}</span>
                        <span class="v-code-name">{close_with.name}</span>
                    </dd>
                </div>
            </dl>
            <HexDump bytes=bytes base=offset header_len=header_len />
            {unread_note}
        </section>
    }
}
