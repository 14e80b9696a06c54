//! A line chart of (time, value) points with its range and a time axis, in SVG.

use crate::model::payload::format_number;
use leptos::prelude::*;

const W: f64 = 600.0;
const H: f64 = 180.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 20.0;

/// A line chart.
#[component]
pub fn LineChart(
    /// (ms since epoch, value) points, oldest first.
    #[prop(into)]
    points: Signal<Vec<(f64, f64)>>,
    /// What it shows, for screen readers and the caption.
    #[prop(into)]
    label: String,
    /// Unit after the values.
    #[prop(optional, into)]
    unit: String,
) -> impl IntoView {
    let geometry = Memo::new(move |_| {
        points.with(|p| {
            let ys = p.iter().map(|(_, v)| *v).filter(|v| v.is_finite());
            let min = ys.clone().reduce(f64::min)?;
            let max = ys.reduce(f64::max)?;
            let (t0, t1) = (p.first()?.0, p.last()?.0);
            let span = if max > min { max - min } else { 1.0 };
            let tspan = if t1 > t0 { t1 - t0 } else { 1.0 };
            let line: Vec<String> = p
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(t, v)| {
                    let x = LEFT + (W - LEFT - 4.0) * (t - t0) / tspan;
                    let y = 4.0 + (H - BOTTOM - 8.0) * (1.0 - (v - min) / span);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            Some((line.join(" "), min, max, (t1 - t0) / 1000.0))
        })
    });
    let unit2 = unit.clone();
    view! {
        <figure class="line-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone()>
                <line class="axis" x1=LEFT y1=H - BOTTOM x2=W y2=H - BOTTOM />
                <line class="axis" x1=LEFT y1="0" x2=LEFT y2=H - BOTTOM />
                {move || {
                    geometry
                        .get()
                        .map(|(line, min, max, secs)| {
                            view! {
                                <text class="tick" x=LEFT - 6.0 y="12" text-anchor="end">
                                    {format!("{}{}", format_number(max, 2), unit)}
                                </text>
                                <text class="tick" x=LEFT - 6.0 y=H - BOTTOM text-anchor="end">
                                    {format!("{}{}", format_number(min, 2), unit)}
                                </text>
                                <text class="tick" x=W - 4.0 y=H - 4.0 text-anchor="end">
                                    "now"
                                </text>
                                <text class="tick" x=LEFT y=H - 4.0>
                                    {format!("−{}", format_duration(secs))}
                                </text>
                                <polyline class="series" points=line />
                            }
                        })
                }}
            </svg>
            <figcaption class="muted">
                {move || {
                    let n = points.with(Vec::len);
                    if n == 0 {
                        "No numeric values yet.".to_string()
                    } else {
                        let last = points.with(|p| p.last().map(|(_, v)| *v)).unwrap_or(0.0);
                        format!("{label}: {}{unit2} (last {n} points)", format_number(last, 2))
                    }
                }}
            </figcaption>
        </figure>
    }
}

/// Seconds as `45 s`, `3 min`, `2 h`.
pub fn format_duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{} s", secs.round())
    } else if secs < 5400.0 {
        format!("{} min", (secs / 60.0).round())
    } else {
        format!("{} h", (secs / 3600.0).round())
    }
}
