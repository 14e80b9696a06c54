//! Turning what people paste into bytes: hex in the many shapes it is written in, or a
//! `\x`-escaped byte string.

use std::fmt;

/// How the input text was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Hex digits, in pairs or as `0x`-prefixed bytes, separated by anything in
    /// [`SEPARATORS`] (or by nothing).
    Hex,
    /// A byte string with `\x..` escapes, as Python or Rust print one (`b"\x10\x0cMQTT"`).
    Escaped,
}

impl InputFormat {
    /// A short name for the status line.
    pub const fn label(self) -> &'static str {
        match self {
            InputFormat::Hex => "hex",
            InputFormat::Escaped => "escaped bytes",
        }
    }
}

/// Characters that separate hex bytes and are otherwise ignored.
pub const SEPARATORS: &[char] = &[',', ';', ':', '[', ']', '{', '}', '(', ')', '|', '-', '_'];

/// Why the input is not bytes, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// What is wrong.
    pub message: String,
    /// The line of the offending character (1-based).
    pub line: usize,
    /// Its column (1-based, in characters).
    pub column: usize,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for InputError {}

/// Bytes read from the input, and how they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The notation they were written in.
    pub format: InputFormat,
}

/// Reads the bytes in `text`.
///
/// Hex may be spaced or not, span lines, carry `0x` prefixes and be separated by commas (so a
/// C or Rust array pastes as is). Text that contains `\x` is read as an escaped byte string
/// instead: printable characters stand for themselves, `\xHH`, `\n`, `\r`, `\t`, `\0`, `\\`,
/// `\'` and `\"` for their bytes; line breaks in the text and the quotes around it (with an
/// optional `b` prefix) are ignored.
pub fn parse_input(text: &str) -> Result<Parsed, InputError> {
    if text.contains("\\x") {
        parse_escaped(text).map(|bytes| Parsed {
            bytes,
            format: InputFormat::Escaped,
        })
    } else {
        parse_hex(text).map(|bytes| Parsed {
            bytes,
            format: InputFormat::Hex,
        })
    }
}

/// Formats bytes as spaced lowercase hex, `per_line` bytes to a line.
pub fn format_hex(bytes: &[u8], per_line: usize) -> String {
    let per_line = per_line.max(1);
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(if i % per_line == 0 { '\n' } else { ' ' });
        }
        push_hex_byte(&mut out, *b);
    }
    out
}

/// Appends the two lowercase hex digits of `b`.
pub fn push_hex_byte(out: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for nibble in [b >> 4, b & 0x0f] {
        out.push(char::from(
            DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'?'),
        ));
    }
}

/// Where character `index` of `text` is, as a 1-based line and column.
fn position(text: &str, index: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in text.chars().take(index) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

fn error_at(text: &str, index: usize, message: String) -> InputError {
    let (line, column) = position(text, index);
    InputError {
        message,
        line,
        column,
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || SEPARATORS.contains(&c)
}

fn hex_value(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn parse_hex(text: &str) -> Result<Vec<u8>, InputError> {
    let chars: Vec<char> = text.chars().collect();
    let mut bytes = Vec::with_capacity(chars.len() / 2);
    let mut i = 0;
    while i < chars.len() {
        let Some(&c) = chars.get(i) else { break };
        if is_separator(c) {
            i += 1;
            continue;
        }
        // One token: up to the next separator.
        let start = i;
        while chars.get(i).is_some_and(|&c| !is_separator(c)) {
            i += 1;
        }
        let token = chars.get(start..i).unwrap_or_default();
        let (digits, digits_at, prefixed) = match token {
            ['0', 'x' | 'X', rest @ ..] => (rest, start + 2, true),
            _ => (token, start, false),
        };
        if let Some(bad) = digits.iter().position(|c| hex_value(*c).is_none()) {
            let c = digits.get(bad).copied().unwrap_or('?');
            return Err(error_at(
                text,
                digits_at + bad,
                format!("'{}' is not a hex digit", c.escape_debug()),
            ));
        }
        if prefixed && digits.is_empty() {
            return Err(error_at(text, start, "0x without any digits".to_owned()));
        }
        let mut values: Vec<u8> = digits.iter().filter_map(|c| hex_value(*c)).collect();
        if values.len() % 2 == 1 {
            if prefixed && values.len() == 1 {
                // `0x7` is one byte.
                values.insert(0, 0);
            } else {
                let word: String = token.iter().collect();
                return Err(error_at(
                    text,
                    start + token.len().saturating_sub(1),
                    format!("odd number of hex digits in '{word}' (a byte is two digits)"),
                ));
            }
        }
        bytes.extend(values.chunks(2).map(|pair| match pair {
            [hi, lo] => (hi << 4) | lo,
            _ => 0,
        }));
    }
    Ok(bytes)
}

fn parse_escaped(text: &str) -> Result<Vec<u8>, InputError> {
    let chars: Vec<char> = text.chars().collect();
    // Drop the quotes around the string (and a `b` before them), if there are any.
    let mut start = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    let mut end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |e| e + 1);
    if chars.get(start) == Some(&'b') && matches!(chars.get(start + 1), Some('"' | '\'')) {
        start += 1;
    }
    if let (Some(&open @ ('"' | '\'')), Some(&close)) =
        (chars.get(start), chars.get(end.wrapping_sub(1)))
    {
        if end > start + 1 && open == close {
            start += 1;
            end -= 1;
        }
    }
    let mut bytes = Vec::with_capacity(end.saturating_sub(start));
    let mut i = start;
    while i < end {
        let Some(&c) = chars.get(i) else { break };
        i += 1;
        match c {
            '\n' | '\r' => {}
            '\\' => {
                let escape_at = i - 1;
                let Some(&e) = chars.get(i).filter(|_| i < end) else {
                    return Err(error_at(text, escape_at, "a lone backslash".to_owned()));
                };
                i += 1;
                let byte = match e {
                    'x' => {
                        let hi = chars
                            .get(i)
                            .filter(|_| i < end)
                            .copied()
                            .and_then(hex_value);
                        let lo = chars
                            .get(i + 1)
                            .filter(|_| i + 1 < end)
                            .copied()
                            .and_then(hex_value);
                        let (Some(hi), Some(lo)) = (hi, lo) else {
                            return Err(error_at(
                                text,
                                escape_at,
                                "\\x needs two hex digits".to_owned(),
                            ));
                        };
                        i += 2;
                        (hi << 4) | lo
                    }
                    'n' => b'\n',
                    'r' => b'\r',
                    't' => b'\t',
                    '0' => 0,
                    '\\' => b'\\',
                    '\'' => b'\'',
                    '"' => b'"',
                    other => {
                        return Err(error_at(
                            text,
                            escape_at,
                            format!("unknown escape '\\{}'", other.escape_debug()),
                        ))
                    }
                };
                bytes.push(byte);
            }
            other => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Ok(bytes)
}

#[cfg(test)]
// Tests may unwrap: a panic is a test failure.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn bytes(text: &str) -> Vec<u8> {
        parse_input(text).unwrap().bytes
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn reads_hex_in_every_common_shape() {
        let want = vec![0x30, 0x02, 0x00, 0x0a];
        assert_eq!(bytes("3002000a"), want);
        assert_eq!(bytes("30 02 00 0a"), want);
        assert_eq!(bytes("30 02\n00 0A\n"), want);
        assert_eq!(bytes("0x30, 0x02, 0x00, 0x0a"), want);
        assert_eq!(bytes("[0x30, 0x2, 0x0, 0xa]"), want);
        assert_eq!(bytes("30:02:00:0a"), want);
        assert_eq!(bytes("  3002 000a  "), want);
        assert_eq!(bytes("0x3002000a"), want);
        assert_eq!(parse_input("30").unwrap().format, InputFormat::Hex);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn empty_input_is_no_bytes() {
        assert_eq!(bytes(""), Vec::<u8>::new());
        assert_eq!(bytes(" \n, "), Vec::<u8>::new());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn points_at_the_bad_character() {
        let e = parse_input("30 02\n00 0g").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
        assert!(e.message.contains("'g'"), "{e}");
        let e = parse_input("30 020").unwrap_err();
        assert!(e.message.contains("odd number"), "{e}");
        let e = parse_input("0x").unwrap_err();
        assert!(e.message.contains("0x"), "{e}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn reads_escaped_byte_strings() {
        let p = parse_input(r#"b"\x10\x0c\x00\x04MQTT""#).unwrap();
        assert_eq!(p.format, InputFormat::Escaped);
        assert_eq!(p.bytes, b"\x10\x0c\x00\x04MQTT");
        assert_eq!(bytes(r"\x30\x03\x00\x01a"), b"\x30\x03\x00\x01a");
        assert_eq!(bytes(r"'\x00\n\\'"), b"\x00\n\\");
        assert_eq!(bytes("\\x30\n\\x00"), b"\x30\x00");
        assert!(parse_input(r"\x3").is_err());
        assert!(parse_input(r"\x30\q").is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn formats_hex_in_lines() {
        assert_eq!(format_hex(&[0x30, 0x02, 0x00, 0x0a], 2), "30 02\n00 0a");
        assert_eq!(format_hex(&[], 16), "");
        assert_eq!(bytes(&format_hex(&[1, 2, 3, 255], 3)), vec![1, 2, 3, 255]);
    }
}
