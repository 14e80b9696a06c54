//! The hex dump beside each packet: 16 bytes a row, the fixed header marked, printable ASCII
//! on the right.

use super::hex::push_hex_byte;

/// Bytes per row.
pub const ROW: usize = 16;
/// The most bytes a dump shows; the rest are counted in [`Dump::hidden`].
pub const MAX_DUMP_BYTES: usize = 4096;

/// A run of hex cells in one row, all in the fixed header or all after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Space-separated hex pairs (an extra space after the eighth byte).
    pub text: String,
    /// Whether these bytes belong to the fixed header.
    pub header: bool,
}

/// One row of the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRow {
    /// Offset of the row's first byte in the whole input.
    pub offset: usize,
    /// The row's hex, in runs.
    pub segments: Vec<Segment>,
    /// The row's bytes as ASCII, `.` for anything not printable.
    pub ascii: String,
}

/// A hex dump of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The rows.
    pub rows: Vec<DumpRow>,
    /// Bytes not shown (past [`MAX_DUMP_BYTES`]).
    pub hidden: usize,
}

/// Dumps `bytes`, which start at offset `base` of the input; the first `header_len` of them
/// are the fixed header.
pub fn dump(bytes: &[u8], base: usize, header_len: usize) -> Dump {
    let shown = bytes.get(..MAX_DUMP_BYTES).unwrap_or(bytes);
    let rows = shown
        .chunks(ROW)
        .enumerate()
        .map(|(r, chunk)| {
            let start = r * ROW;
            let mut segments: Vec<Segment> = Vec::with_capacity(2);
            let mut ascii = String::with_capacity(ROW);
            for (i, &b) in chunk.iter().enumerate() {
                let header = start + i < header_len;
                if segments.last().map(|seg| seg.header) != Some(header) {
                    segments.push(Segment {
                        text: String::with_capacity(ROW * 3),
                        header,
                    });
                }
                let Some(seg) = segments.last_mut() else {
                    continue;
                };
                if i > 0 {
                    seg.text.push_str(if i == ROW / 2 { "  " } else { " " });
                }
                push_hex_byte(&mut seg.text, b);
                ascii.push(if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                });
            }
            DumpRow {
                offset: base + start,
                segments,
                ascii,
            }
        })
        .collect();
    Dump {
        rows,
        hidden: bytes.len() - shown.len(),
    }
}

#[cfg(test)]
// Tests may index: a panic is a test failure.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn marks_the_fixed_header_and_breaks_rows() {
        let bytes: Vec<u8> = (0..20)
            .map(|i| if i < 2 { 0x30 } else { b'a' + i })
            .collect();
        let d = dump(&bytes, 100, 2);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.hidden, 0);
        assert_eq!(d.rows[0].offset, 100);
        assert_eq!(d.rows[1].offset, 116);
        assert_eq!(d.rows[0].segments[0].text, "30 30");
        assert!(d.rows[0].segments[0].header);
        assert!(d.rows[0].segments[1].text.starts_with(" 63 64"));
        assert!(d.rows[0].segments[1].text.contains("68  69"));
        assert!(!d.rows[1].segments[0].header);
        assert_eq!(d.rows[0].ascii, "00cdefghijklmnop");
        assert_eq!(dump(&[0x00, 0x7f, b' '], 0, 0).rows[0].ascii, ".. ");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn caps_huge_inputs() {
        let d = dump(&vec![0u8; MAX_DUMP_BYTES + 5], 0, 2);
        assert_eq!(d.rows.len(), MAX_DUMP_BYTES / ROW);
        assert_eq!(d.hidden, 5);
    }
}
