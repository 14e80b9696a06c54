//! The inspector's logic, free of the DOM so it runs (and is tested) natively: reading pasted
//! bytes ([`hex`]), decoding them into a view model ([`model`]), hex dumps ([`dump`]) and the
//! example packets ([`samples`]).

pub mod dump;
pub mod hex;
pub mod model;
pub mod samples;

use samples::Sample;
use switchboard_mqtt::codec::Protocol;

/// The versions the inspector decodes, in the order it offers them.
pub const VERSIONS: [Protocol; 3] = [Protocol::V3_1, Protocol::V3_1_1, Protocol::V5];

/// The version a `Protocol`'s display form names (`"3.1"`, `"3.1.1"`, `"5.0"`).
pub fn version_from_str(s: &str) -> Option<Protocol> {
    VERSIONS.into_iter().find(|v| v.to_string() == s)
}

/// What a link can preset in the inspector, from the part of the URL after `#`:
/// `#/inspector?sample=v5-connect`, or `#/inspector?hex=c000d000&version=3.1.1`.
#[derive(Debug, Clone, Default)]
pub struct Preset {
    /// A sample to load (it brings its version).
    pub sample: Option<&'static Sample>,
    /// Text for the input box (wins over the sample's).
    pub hex: Option<String>,
    /// The version (wins over the sample's).
    pub version: Option<Protocol>,
}

/// Reads a [`Preset`] from a location hash (with or without the leading `#`). Unknown keys
/// and values are ignored.
pub fn preset_from_hash(hash: &str) -> Preset {
    let mut preset = Preset::default();
    let query = hash.split_once('?').map_or("", |(_, q)| q);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "sample" => preset.sample = samples::find(&value),
            "hex" => preset.hex = Some(value),
            "version" | "v" => preset.version = version_from_str(&value),
            _ => {}
        }
    }
    preset
}

/// Decodes `%XX` escapes and `+` (a space) in a URL component; a malformed escape is kept
/// as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, escaped) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
// Tests may unwrap: a panic is a test failure.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn versions_round_trip_through_their_names() {
        for v in VERSIONS {
            assert_eq!(version_from_str(&v.to_string()), Some(v));
        }
        assert_eq!(version_from_str("5"), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn links_preset_a_sample_or_bytes_and_a_version() {
        let p = preset_from_hash("#/inspector?sample=v5-connect");
        assert_eq!(p.sample.map(|s| s.id), Some("v5-connect"));
        assert_eq!((p.hex, p.version), (None, None));

        let p = preset_from_hash("#/inspector?hex=c0+00%2Cd000&version=3.1.1&x=1");
        assert_eq!(p.hex.as_deref(), Some("c0 00,d000"));
        assert_eq!(p.version, Some(Protocol::V3_1_1));
        assert!(p.sample.is_none());

        let p = preset_from_hash("");
        assert!(p.sample.is_none() && p.hex.is_none() && p.version.is_none());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(preset_from_hash("?sample=nope").sample.map(|s| s.id), None);
    }
}
