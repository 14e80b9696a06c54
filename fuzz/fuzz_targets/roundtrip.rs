//! Valid packets built from the fuzz input: encode → decode is the identity, and a stream of
//! them decodes to the same packets however it is split.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_mqtt_fuzz::check_roundtrip(data);
});
