//! Reading payloads: as text, pretty JSON, hex and base64, and the numbers in them.
//!
//! Everything here returns plain strings that the views put into text nodes: a payload is data,
//! never markup.

use serde_json::Value;
use std::borrow::Cow;

/// How the payload viewer shows a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// UTF-8 text (invalid sequences shown as U+FFFD).
    #[default]
    Text,
    /// Indented JSON (falls back to text when it is not JSON).
    Json,
    /// Hex bytes, 16 per line with offsets.
    Hex,
    /// Base64.
    Base64,
}

impl Format {
    /// Every format, in the order the viewer offers them.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Hex, Format::Base64];

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "Text",
            Format::Json => "JSON",
            Format::Hex => "Hex",
            Format::Base64 => "Base64",
        }
    }

    /// Shows `payload` in this format.
    pub fn render(self, payload: &[u8]) -> String {
        match self {
            Format::Text => text(payload).into_owned(),
            Format::Json => pretty_json(payload).unwrap_or_else(|| text(payload).into_owned()),
            Format::Hex => hex_dump(payload),
            Format::Base64 => base64(payload),
        }
    }
}

/// The payload as text.
pub fn text(payload: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(payload)
}

/// A one-line preview of at most `max` characters, control characters shown as spaces.
pub fn preview(payload: &[u8], max: usize) -> String {
    if payload.is_empty() {
        return "(empty)".to_string();
    }
    let t = text(payload);
    let mut out = String::with_capacity(max.min(t.len()) + 1);
    for (n, c) in t.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// Whether the payload is valid UTF-8 without control characters other than whitespace.
pub fn is_printable(payload: &[u8]) -> bool {
    std::str::from_utf8(payload).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

/// The payload as JSON, when it is JSON.
pub fn json(payload: &[u8]) -> Option<Value> {
    let first = payload.iter().find(|b| !b.is_ascii_whitespace())?;
    // A quick refusal for the common non-JSON payload before the parser runs.
    if !matches!(
        first,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    ) {
        return None;
    }
    serde_json::from_slice(payload).ok()
}

/// Indented JSON, when the payload is JSON.
pub fn pretty_json(payload: &[u8]) -> Option<String> {
    json(payload).and_then(|v| serde_json::to_string_pretty(&v).ok())
}

/// Lowercase hex with offsets, 16 bytes per line, and the printable ASCII beside.
pub fn hex_dump(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len() * 4 + 16);
    for (line, chunk) in payload.chunks(16).enumerate() {
        let offset = line * 16;
        out.push_str(&format!("{offset:08x}  "));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    out.push(hex_digit(b >> 4));
                    out.push(hex_digit(*b));
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        for b in chunk {
            out.push(if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Compact lowercase hex (for exports).
pub fn hex(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len() * 2);
    for b in payload {
        out.push(hex_digit(b >> 4));
        out.push(hex_digit(*b));
    }
    out
}

/// The lowercase hex digit of the low four bits of `n`.
fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n & 0xf), 16).unwrap_or('0')
}

/// Standard base64 with padding.
pub fn base64(payload: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| char::from(ALPHABET.get((i & 63) as usize).copied().unwrap_or(b'A'));
    let mut out = String::with_capacity(payload.len().div_ceil(3) * 4);
    for chunk in payload.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// Decodes standard or URL-safe base64 (padding optional, whitespace ignored).
pub fn from_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            other => return Err(format!("'{other}' is not a base64 character")),
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

/// Decodes hex digits (whitespace and `0x` prefixes ignored).
pub fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = text
        .split_whitespace()
        .map(|w| w.trim_start_matches("0x"))
        .collect();
    if cleaned.len() % 2 == 1 {
        return Err("hex needs an even number of digits".to_string());
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(format!("'{}' is not a hex digit", char::from(c))),
    };
    cleaned
        .as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Ok(digit(*hi)? << 4 | digit(*lo)?),
            _ => Err("hex needs an even number of digits".to_string()),
        })
        .collect()
}

/// The number a payload stands for: a plain number (`21.5`), `true`/`false`/`on`/`off` as 1/0.
pub fn number(payload: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(payload).ok()?.trim();
    match t {
        "true" | "on" | "ON" | "On" => return Some(1.0),
        "false" | "off" | "OFF" | "Off" => return Some(0.0),
        _ => {}
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The numeric series a payload offers for plotting: `("value", n)` for a plain number, and
/// one `(path, n)` per numeric field of a JSON object (nested objects as `a.b`, up to
/// `MAX_FIELDS`).
pub fn numeric_fields(payload: &[u8]) -> Vec<(String, f64)> {
    const MAX_FIELDS: usize = 16;
    if let Some(n) = number(payload) {
        return vec![("value".to_string(), n)];
    }
    let mut out = Vec::new();
    if let Some(Value::Object(map)) = json(payload) {
        collect_numbers(&Value::Object(map), "", 0, &mut out, MAX_FIELDS);
    }
    out
}

fn collect_numbers(v: &Value, prefix: &str, depth: u8, out: &mut Vec<(String, f64)>, max: usize) {
    let Value::Object(map) = v else { return };
    for (k, v) in map {
        if out.len() >= max {
            return;
        }
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    out.push((path, f));
                }
            }
            Value::Object(_) if depth < 3 => collect_numbers(v, &path, depth + 1, out, max),
            _ => {}
        }
    }
}

/// Follows a JSON path such as `temperature`, `sensor.temp`, `readings[0].value` or
/// `$.a.b` through `value`. An empty path is the value itself.
pub fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim();
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut cur = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        while let Some(open) = rest.strip_prefix('[') {
            let close = open.find(']')?;
            let index: usize = open.get(..close)?.trim().parse().ok()?;
            cur = cur.get(index)?;
            rest = open.get(close + 1..)?;
        }
    }
    Some(cur)
}

/// The value at `path` in a payload, as display text: the whole payload when the path is
/// empty, a JSON string without quotes, other JSON values compact.
pub fn extract(payload: &[u8], path: &str) -> Option<String> {
    if path.trim().is_empty() || path.trim() == "$" {
        return Some(text(payload).into_owned());
    }
    let v = json(payload)?;
    match json_path(&v, path)? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The number at `path` in a payload (see [`extract`]).
pub fn extract_number(payload: &[u8], path: &str) -> Option<f64> {
    if path.trim().is_empty() || path.trim() == "$" {
        return number(payload);
    }
    let v = json(payload)?;
    match json_path(&v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => number(s.as_bytes()),
        _ => None,
    }
}

/// Formats a number for display: integers without decimals, others with up to `decimals`.
pub fn format_number(n: f64, decimals: usize) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        let s = format!("{n:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for input in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(from_base64(&base64(input)).unwrap(), input);
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert!(from_base64("a$b").is_err());
    }

    #[test]
    fn hex_round_trips_and_dumps() {
        assert_eq!(from_hex("30 0x0a ff").unwrap(), vec![0x30, 0x0a, 0xff]);
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
        assert_eq!(hex(&[0, 255]), "00ff");
        let dump = hex_dump(b"hello, world! 1234");
        assert!(dump.starts_with("00000000  68 65 6c 6c"));
        assert!(dump.contains("hello, world! 12"));
        assert_eq!(dump.lines().count(), 2);
    }

    #[test]
    fn numbers_and_json_fields() {
        assert_eq!(number(b" 21.5 "), Some(21.5));
        assert_eq!(number(b"on"), Some(1.0));
        assert_eq!(number(b"NaN"), None);
        assert_eq!(number(b"hello"), None);
        let fields = numeric_fields(br#"{"temperature":21.5,"led":"on","nested":{"x":2}}"#);
        assert!(fields.contains(&("temperature".to_string(), 21.5)));
        assert!(fields.contains(&("nested.x".to_string(), 2.0)));
        assert_eq!(fields.len(), 2);
        assert_eq!(numeric_fields(b"7"), vec![("value".to_string(), 7.0)]);
    }

    #[test]
    fn json_paths() {
        let v: Value =
            serde_json::from_str(r#"{"a":{"b":[{"c":5},{"c":"six"}]},"t":true}"#).unwrap();
        assert_eq!(json_path(&v, "a.b[0].c"), Some(&Value::from(5)));
        assert_eq!(json_path(&v, "$.a.b[1].c"), Some(&Value::from("six")));
        assert_eq!(json_path(&v, "a.x"), None);
        assert_eq!(json_path(&v, "a.b[9]"), None);
        assert_eq!(json_path(&v, "a.b[x]"), None);
        let p = br#"{"temperature":21.5,"s":"hi","t":true}"#;
        assert_eq!(extract(p, "s").as_deref(), Some("hi"));
        assert_eq!(extract(p, "temperature").as_deref(), Some("21.5"));
        assert_eq!(extract_number(p, "t"), Some(1.0));
        assert_eq!(extract(b"plain", "").as_deref(), Some("plain"));
        assert_eq!(extract(b"plain", "x"), None);
    }

    #[test]
    fn previews_are_one_line_and_bounded() {
        assert_eq!(preview(b"a\nb", 10), "a b");
        assert_eq!(preview(b"abcdef", 3), "abc…");
        assert_eq!(preview(b"", 3), "(empty)");
        assert!(is_printable(b"hi\n"));
        assert!(!is_printable(&[0, 1, 2]));
    }

    #[test]
    fn markup_stays_text() {
        let p = br#"<img src=x onerror="window.__xss=1">"#;
        assert_eq!(
            Format::Text.render(p),
            r#"<img src=x onerror="window.__xss=1">"#
        );
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(format_number(21.0, 2), "21");
        assert_eq!(format_number(21.456, 2), "21.46");
        assert_eq!(format_number(21.5, 2), "21.5");
    }
}
