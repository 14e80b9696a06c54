//! Where packet bytes come from: hex text, written the ways people paste it, or raw bytes.
//!
//! Hex is forgiving about layout and strict about content. Whitespace, line breaks and commas
//! separate tokens and are otherwise ignored, so `300c 0004`, `30 0c 00 04` and a hex dump
//! wrapped at any column all read the same. A token may carry a `0x` prefix (`0x30, 0x0c`), in
//! which case it stands for a whole number of bytes on its own and is left-padded to an even
//! number of digits (`0x3` is the byte 03). Anything else that is not a hex digit is an error
//! that says where it is.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Where a piece of hex text came from, so an error can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Command-line arguments: "line" N is the Nth argument.
    Arguments,
    /// Standard input.
    Stdin,
}

/// A place in the hex text: 1-based line (or argument) and character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    line: usize,
    column: usize,
}

/// Why text is not hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HexError {
    /// A character that is neither a hex digit, a separator nor part of a `0x` prefix.
    InvalidDigit(char, Position),
    /// A `0x` prefix with no digits after it.
    EmptyPrefix(Position),
    /// A lone hex digit (half a byte): at the end of the text, or before a `0x` token.
    OddDigits(Position),
}

/// Why no bytes could be read.
#[derive(Debug)]
pub(crate) enum InputError {
    /// The hex text is malformed.
    Hex(HexError, Origin),
    /// Standard input is not UTF-8 text, so it cannot be hex.
    NotText {
        /// Offset of the first byte that is not UTF-8.
        offset: usize,
    },
    /// Reading standard input or a file failed.
    Read(io::Error, String),
    /// `--binary` takes at most one file.
    TooManyFiles,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::InvalidDigit(c, _) => write!(f, "{c:?} is not a hex digit"),
            HexError::EmptyPrefix(_) => f.write_str("`0x` is not followed by any hex digit"),
            HexError::OddDigits(_) => {
                f.write_str("odd number of hex digits: this digit is half a byte")
            }
        }
    }
}

impl HexError {
    fn position(&self) -> Position {
        match self {
            HexError::InvalidDigit(_, p) | HexError::EmptyPrefix(p) | HexError::OddDigits(p) => *p,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Hex(err, origin) => {
                let Position { line, column } = err.position();
                let place = match origin {
                    Origin::Arguments => "argument",
                    Origin::Stdin => "line",
                };
                write!(f, "invalid hex at {place} {line}, column {column}: {err}")?;
                if matches!(err, HexError::InvalidDigit(c, _) if !c.is_ascii_graphic()) {
                    f.write_str(" (for raw bytes, use --binary)")?;
                }
                Ok(())
            }
            InputError::NotText { offset } => write!(
                f,
                "standard input is not hex text (byte {offset} is not UTF-8); \
                 for raw bytes, use --binary"
            ),
            InputError::Read(err, what) => write!(f, "cannot read {what}: {err}"),
            InputError::TooManyFiles => {
                f.write_str("--binary reads one file (or stdin), not several")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// Parses hex `text` (see the module documentation for what is accepted) into bytes.
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    // The high nibble of a byte whose low nibble has not been seen yet, and where it was.
    let mut pending: Option<(u8, Position)> = None;
    for (index, line) in text.lines().enumerate() {
        for (start, token) in tokens(line) {
            let at = |byte: usize| Position {
                line: index + 1,
                column: line.get(..byte).map_or(byte, |s| s.chars().count()) + 1,
            };
            let (digits, digits_start, prefixed) = match token
                .strip_prefix("0x")
                .or_else(|| token.strip_prefix("0X"))
            {
                Some(rest) => (rest, start + 2, true),
                None => (token, start, false),
            };
            if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
                return Err(HexError::InvalidDigit(c, at(digits_start + i)));
            }
            let mut nibbles = digits.bytes().filter_map(nibble);
            if prefixed {
                if digits.is_empty() {
                    return Err(HexError::EmptyPrefix(at(start)));
                }
                if let Some((_, p)) = pending {
                    return Err(HexError::OddDigits(p));
                }
                if digits.len() % 2 == 1 {
                    out.extend(nibbles.next());
                }
            }
            for (i, n) in nibbles.enumerate() {
                match pending.take() {
                    Some((high, _)) => out.push((high << 4) | n),
                    None => pending = Some((n, at(digits_start + i))),
                }
            }
        }
    }
    match pending {
        Some((_, p)) => Err(HexError::OddDigits(p)),
        None => Ok(out),
    }
}

/// The value of an ASCII hex digit.
fn nibble(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The tokens of one line with their byte offsets: runs of characters between whitespace
/// and commas.
fn tokens(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let is_separator = |c: char| c.is_whitespace() || c == ',';
    let mut rest = line;
    let mut offset = 0;
    std::iter::from_fn(move || {
        let skip = rest.find(|c: char| !is_separator(c))?;
        offset += skip;
        rest = rest.get(skip..)?;
        let len = rest.find(is_separator).unwrap_or(rest.len());
        let token = rest.get(..len)?;
        let start = offset;
        offset += len;
        rest = rest.get(len..)?;
        Some((start, token))
    })
}

/// The bytes to decode: `inputs` joined as hex, or hex read from stdin when there are none.
pub(crate) fn hex_bytes(inputs: &[String]) -> Result<Vec<u8>, InputError> {
    if !inputs.is_empty() {
        return parse_hex(&inputs.join("\n")).map_err(|e| InputError::Hex(e, Origin::Arguments));
    }
    let raw = read_stdin()?;
    let text = String::from_utf8(raw).map_err(|e| InputError::NotText {
        offset: e.utf8_error().valid_up_to(),
    })?;
    parse_hex(&text).map_err(|e| InputError::Hex(e, Origin::Stdin))
}

/// The bytes to decode with `--binary`: the file named in `inputs`, or stdin (also for `-`).
pub(crate) fn binary_bytes(inputs: &[String]) -> Result<Vec<u8>, InputError> {
    match inputs {
        [] => read_stdin(),
        [name] if name == "-" => read_stdin(),
        [name] => {
            let path = PathBuf::from(name);
            read_file(&path)
        }
        _ => Err(InputError::TooManyFiles),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    fs::read(path).map_err(|e| InputError::Read(e, format!("{}", path.display())))
}

fn read_stdin() -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut buf)
        .map_err(|e| InputError::Read(e, "standard input".to_owned()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn plain_spaced_and_wrapped_hex_read_the_same() {
        let want = vec![0x30, 0x0c, 0x00, 0x04];
        for text in [
            "300c0004",
            "30 0c 00 04",
            "30,0c,00,04",
            "300\nc00\r\n04\n",
            "  300C 0004\t",
        ] {
            assert_eq!(parse_hex(text).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn prefixed_tokens_stand_alone_and_are_padded() {
        assert_eq!(
            parse_hex("0x30, 0x0c,0x0,0x4").unwrap(),
            [0x30, 0x0c, 0x00, 0x04]
        );
        assert_eq!(parse_hex("0X300c 0x123").unwrap(), [0x30, 0x0c, 0x01, 0x23]);
    }

    #[test]
    fn empty_text_is_no_bytes() {
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex(" ,\n").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse_hex("30 0g"),
            Err(HexError::InvalidDigit('g', at(1, 5)))
        );
        assert_eq!(
            parse_hex("30\n é"),
            Err(HexError::InvalidDigit('é', at(2, 2)))
        );
        assert_eq!(parse_hex("30 0x"), Err(HexError::EmptyPrefix(at(1, 4))));
        assert_eq!(parse_hex("30 0"), Err(HexError::OddDigits(at(1, 4))));
        assert_eq!(parse_hex("3 0x0c"), Err(HexError::OddDigits(at(1, 1))));
        assert_eq!(
            parse_hex("[0x30]"),
            Err(HexError::InvalidDigit('[', at(1, 1)))
        );
    }
}
