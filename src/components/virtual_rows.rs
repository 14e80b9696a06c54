//! Virtualized lists: only the rows in view (plus a margin) are in the DOM, so a log of
//! 100,000 messages scrolls like one of fifty.

/// Which rows of `len` rows of `row_height` pixels to render for a viewport of `height` pixels
/// scrolled to `scroll_top`, with `margin` rows before and after.
pub fn window(
    len: usize,
    scroll_top: f64,
    height: f64,
    row_height: f64,
    margin: usize,
) -> (usize, usize) {
    if len == 0 || row_height <= 0.0 {
        return (0, 0);
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let visible = (height.max(row_height) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(margin).min(len);
    let end = first
        .saturating_add(visible)
        .saturating_add(margin)
        .min(len);
    (start, end.max(start))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::window;

    #[test]
    fn windows() {
        assert_eq!(window(0, 0.0, 500.0, 28.0, 5), (0, 0));
        assert_eq!(window(1000, 0.0, 280.0, 28.0, 5), (0, 16));
        assert_eq!(window(1000, 2800.0, 280.0, 28.0, 5), (95, 116));
        assert_eq!(window(100, 1e9, 280.0, 28.0, 5), (100, 100));
    }
}
