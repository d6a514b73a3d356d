//! `wsaudit logs --plot FILE.svg`: the lifetime histogram (peaks marked) above the
//! disconnects per minute, drawn by plotters into an SVG string. The command writes the file.

use crate::model::LogFacts;
use plotters::prelude::*;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 640;

/// The SVG document, or an empty string when there is nothing to draw.
pub fn svg(logs: &LogFacts) -> String {
    let hist = logs.lifetimes.as_ref().filter(|l| !l.buckets.is_empty());
    let disc = logs
        .disconnects_per_minute
        .as_ref()
        .filter(|s| !s.values.is_empty());
    if hist.is_none() && disc.is_none() {
        return String::new();
    }
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        // Drawing into a string cannot fail for I/O; a drawing error leaves that panel out.
        let _ = root.fill(&WHITE);
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        if let Some(h) = hist {
            let _ = histogram(&top, logs, h);
        }
        if let Some(d) = disc {
            let _ = series(&bottom, d);
        }
        let _ = root.present();
    }
    out
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn histogram(area: &Area<'_>, logs: &LogFacts, h: &crate::model::LifetimeStats) -> Option<()> {
    // Up to a little past the last peak or the 99th-percentile-ish p90 × 2, so one long-lived
    // outlier does not squeeze the picture.
    let last_peak = logs.peaks.iter().map(|p| p.at_s.0).fold(0.0, f64::max);
    let x_max = (last_peak * 1.3)
        .max(h.p90_s.0 * 1.5)
        .max(10.0)
        .min(h.max_s.0.max(10.0));
    let shown: Vec<(f64, f64, u64)> = h
        .buckets
        .iter()
        .filter(|b| b.from_s.0 < x_max)
        .map(|b| {
            (
                b.from_s.0,
                b.to_s.0.max(b.from_s.0 + 1.0).min(x_max),
                b.count,
            )
        })
        .collect();
    let y_max = shown.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("WebSocket lifetimes ({} connections)", h.count),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..x_max, 0u64..(y_max + y_max / 10 + 1))
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("lifetime (s)")
        .y_desc("connections")
        .draw()
        .ok()?;
    chart
        .draw_series(shown.iter().map(|(from, to, count)| {
            Rectangle::new([(*from, 0), (*to, *count)], BLUE.mix(0.6).filled())
        }))
        .ok()?;
    for p in &logs.peaks {
        if p.at_s.0 <= x_max {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(p.at_s.0, 0), (p.at_s.0, y_max)],
                    RED.stroke_width(2),
                )))
                .ok()?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(
                        "{} s: {}{}",
                        p.at_s.0,
                        p.count,
                        p.explained_by
                            .as_deref()
                            .map(|l| format!(" ({l})"))
                            .unwrap_or_default()
                    ),
                    (p.at_s.0, y_max),
                    ("sans-serif", 14).into_font().color(&RED),
                )))
                .ok()?;
        }
    }
    Some(())
}

fn series(area: &Area<'_>, s: &crate::model::Series) -> Option<()> {
    let y_max = s.values.iter().copied().max().unwrap_or(1).max(1);
    let n = s.values.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Disconnects per {} s, from {}", s.step_s, s.start),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(48)
        .build_cartesian_2d(0usize..n.max(2), 0u64..(y_max + y_max / 10 + 1))
        .ok()?;
    chart
        .configure_mesh()
        .x_desc(format!("{} s steps since {}", s.step_s, s.start))
        .y_desc("disconnects")
        .draw()
        .ok()?;
    chart
        .draw_series(LineSeries::new(
            s.values.iter().enumerate().map(|(i, v)| (i, *v)),
            BLUE.stroke_width(2),
        ))
        .ok()?;
    Some(())
}
