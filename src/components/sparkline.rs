//! A sparkline: a small SVG polyline of recent numbers, scaled to its own range.

use leptos::prelude::*;

/// The SVG `points` of `values` in a `w`×`h` box (y grows downwards), padded by one unit.
pub fn points(values: &[f64], w: f64, h: f64) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (Some(min), Some(max)) = (
        finite.iter().copied().reduce(f64::min),
        finite.iter().copied().reduce(f64::max),
    ) else {
        return String::new();
    };
    let span = if max > min { max - min } else { 1.0 };
    let step = if finite.len() > 1 {
        w / (finite.len() - 1) as f64
    } else {
        0.0
    };
    let mut out = String::with_capacity(finite.len() * 12);
    for (i, v) in finite.iter().enumerate() {
        let x = i as f64 * step;
        let y = 1.0 + (h - 2.0) * (1.0 - (v - min) / span);
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{x:.1},{y:.1}"));
    }
    out
}

/// A sparkline of `values` (oldest first).
#[component]
pub fn Sparkline(
    /// The numbers.
    #[prop(into)]
    values: Signal<Vec<f64>>,
    /// What it shows, for screen readers.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <svg class="sparkline" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=move || values.with(|v| points(v, 100.0, 24.0)) />
        </svg>
    }
}
