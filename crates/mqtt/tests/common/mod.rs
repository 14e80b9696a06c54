//! Helpers shared by the integration tests (and reusable by fuzz and bench helpers):
//! hex conversion and proptest generators of valid packets for every version.
//!
//! Each test binary uses a different subset, so unused items are expected here.
#![allow(dead_code)]

pub(crate) mod gen;

use bytes::{Bytes, BytesMut};
use switchboard_mqtt::codec::{Decoder, Packet, Protocol, Status};

/// Bytes from a hex string (whitespace ignored); `None` if it is not hex.
pub(crate) fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// Bytes from a hex literal written by a test; panics on a typo in the test itself.
pub(crate) fn h(hex: &str) -> Vec<u8> {
    from_hex(hex).unwrap_or_else(|| panic!("bad hex in test: {hex}"))
}

/// Lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Encodes a packet under `version`, panicking if the encoder refuses it.
pub(crate) fn encode(packet: &Packet, version: Protocol) -> Bytes {
    packet
        .to_bytes(version)
        .unwrap_or_else(|e| panic!("encoding {packet:?} under {version} failed: {e}"))
}

/// Feeds `chunks` one after another to a streaming decoder and returns every packet, checking
/// on the way that each `NeedMore { needed: Some(n) }` is exact: the packet completes after
/// exactly `n` more bytes.
pub(crate) fn decode_chunks<'a>(
    version: Protocol,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Packet>, String> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    // Total bytes fed so far, and where the packet being assembled will end if known.
    let mut fed = 0usize;
    let mut consumed = 0usize;
    let mut promised_end: Option<usize> = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            let before = buf.len();
            match decoder
                .poll(&mut buf)
                .map_err(|e| format!("decode error: {e}"))?
            {
                Status::Packet(p) => {
                    consumed += before - buf.len();
                    if let Some(end) = promised_end.take() {
                        if end != consumed {
                            return Err(format!(
                                "NeedMore promised the packet ends at byte {end}, it ended at {consumed}"
                            ));
                        }
                    }
                    out.push(p);
                }
                Status::NeedMore { needed } => {
                    if let Some(n) = needed {
                        let end = fed + n;
                        if let Some(prev) = promised_end {
                            if prev != end {
                                return Err(format!(
                                    "NeedMore changed its mind: {prev} then {end}"
                                ));
                            }
                        }
                        promised_end = Some(end);
                    }
                    break;
                }
            }
        }
    }
    if !buf.is_empty() {
        return Err(format!("{} bytes left undecoded", buf.len()));
    }
    Ok(out)
}
