//! A packet's fields as a tree: groups fold open and closed; every value is plain text.

use crate::inspect::model::{Binary, Code, Field, Value};
use leptos::prelude::*;

/// The fields of a packet (or of a group).
#[component]
pub fn FieldTree(
    /// The fields, in wire order.
    fields: Vec<Field>,
) -> impl IntoView {
    view! { <ul class="tree">{fields.into_iter().map(node).collect_view()}</ul> }
}

fn node(f: Field) -> AnyView {
    let Field {
        key,
        label,
        tag,
        value,
        children,
    } = f;
    let group = matches!(value, Value::Group(_));
    let row = view! {
        <span class="f-label">
            <span class="f-name">{label}</span>
            {tag.map(|t| view! { <span class="f-tag">{t}</span> })}
        </span>
        <span class="f-value">{value_view(value)}</span>
    };
    if children.is_empty() {
        view! {
            <li class="f-node" data-field=key>
                <div class="f-row">{row}</div>
            </li>
        }
        .into_any()
    } else {
        let kids = children.into_iter().map(node).collect_view();
        view! {
            <li class=if group { "f-node f-group" } else { "f-node f-parent" } data-field=key>
                <details open>
                    <summary class="f-row">{row}</summary>
                    <ul class="tree">{kids}</ul>
                </details>
            </li>
        }
        .into_any()
    }
}

fn value_view(value: Value) -> AnyView {
    match value {
        Value::Group(s) => view! { <span class="v-group">{s}</span> }.into_any(),
        Value::Str(s) if s.is_empty() => {
            view! { <span class="v-str v-empty" title="empty string"></span> }.into_any()
        }
        Value::Str(s) => view! { <span class="v-str">{s}</span> }.into_any(),
        Value::Num(n, note) => view! {
            <span class="v-num">{n}</span>
            {note.map(|n| view! { <span class="v-note">{n}</span> })}
        }
        .into_any(),
        Value::Bits(bits, hex, note) => view! {
            <span class="v-num">{bits}</span>
            {(!hex.is_empty()).then(|| view! { <span class="v-hexval">{hex}</span> })}
            {note.map(|n| view! { <span class="v-note">{n}</span> })}
        }
        .into_any(),
        Value::Flag(b) => view! {
            <span class=if b { "v-flag on" } else { "v-flag off" }>{if b { "1" } else { "0" }}</span>
        }
        .into_any(),
        Value::Bytes(b) => binary_view(b).into_any(),
        Value::Code(c) => code_view(c).into_any(),
        Value::Pair(k, v) => view! {
            <span class="v-str">{k}</span>
            <span class="v-eq">"="</span>
            <span class="v-str">{v}</span>
        }
        .into_any(),
        Value::Absent(why) => view! { <span class="v-absent">{why}</span> }.into_any(),
    }
}

fn binary_view(b: Binary) -> impl IntoView {
    let Binary {
        len,
        hex,
        hidden,
        text,
        text_cut,
    } = b;
    let size = format!("{len} {}", if len == 1 { "byte" } else { "bytes" });
    view! {
        <div class="v-bin">
            <div class="v-bin-head">
                <span class="v-len">{size}</span>
                {(len == 0).then(|| view! { <span class="v-absent">"empty"</span> })}
            </div>
            {(len > 0)
                .then(|| {
                    view! {
                        <code class="v-hex">
                            {hex}
                            {(hidden > 0)
                                .then(|| {
                                    view! {
                                        <span class="v-more">
                                            {format!(" \u{2026} {hidden} more bytes")}
                                        </span>
                                    }
                                })}
                        </code>
                    }
                })}
            {text
                .map(|t| {
                    view! {
                        <div class="v-text">
                            <span class="v-text-tag">"UTF-8"</span>
                            <span class="v-text-body">
                                {t}
                                {text_cut.then_some("\u{2026}")}
                            </span>
                        </div>
                    }
                })}
        </div>
    }
}

fn code_view(c: Code) -> impl IntoView {
    view! {
        <span class=if c.success { "v-code ok" } else { "v-code bad" }>
            {format!("0x{:02X}", c.code)}
        </span>
        <span class="v-code-name">{c.name}</span>
    }
}
