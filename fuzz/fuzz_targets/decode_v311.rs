//! Arbitrary bytes through `Packet::decode` and the streaming `Decoder` (whole and in
//! chunks) as MQTT V3_1_1: never a panic, the same packets however the stream is split, and
//! every decoded packet re-encodes and decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_mqtt::codec::Protocol;

fuzz_target!(|data: &[u8]| {
    switchboard_mqtt_fuzz::check_decode(data, Protocol::V3_1_1);
});
