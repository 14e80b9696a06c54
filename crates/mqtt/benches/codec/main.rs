//! Decode and encode throughput of the codec against rumqttc's `mqttbytes` (v4 and v5), on
//! identical bytes.
//!
//! Every case is built once as a rumqttc packet, encoded by rumqttc, and decoded by us; the
//! setup checks that we encode it back to the very same bytes and that rumqttc decodes them to
//! the packet it started from, so both sides always work on identical bytes and equivalent
//! owned packets. Then, per case:
//!
//! * decode: a fresh `BytesMut` holding the packet (built outside the timing) is decoded into
//!   an owned packet, which is dropped inside the timing — ours with [`Decoder::decode`],
//!   rumqttc with `Packet::read`, both the streaming entry points a socket reader calls;
//! * encode: the packet is written into one reused `BytesMut`, cleared each iteration — ours
//!   with [`Packet::encode`], rumqttc with `Packet::write`. Both sides write into the same
//!   buffer and copy their payloads from the same memory.
//!
//! `stream_10k` is 10,000 mixed packets fed in 1,460-byte chunks (one TCP segment of payload)
//! into a read buffer that is drained after each chunk, as a socket reader does; encode writes
//! the 10,000 packets into one cleared buffer.
//!
//! Throughput is reported in packets (elements) per second. Run with
//! `CARGO_TARGET_DIR=$PWD/target/bench cargo bench -p switchboard-mqtt --bench codec` (an absolute
//! path: the bench runs in `crates/mqtt`, where criterion would resolve a relative one);
//! `crates/mqtt/benches/table.py target/bench/criterion` prints the comparison table.
//!
//! Two other modes, chosen by environment variables, replace criterion:
//! * `CODEC_BENCH_INTERLEAVED=ROUNDS` times ours and rumqttc's in alternating short turns and
//!   prints the tables itself: the ratio to trust on a shared machine (see `interleaved`);
//! * `CODEC_BENCH_RUN=GROUP/CASE/VERSION/WHO:N` runs one body N times for the instruction
//!   counter, `instructions.sh` (see `count`).
//!
//! `unchecked` is a codec that checks nothing, which both modes can run in ours' place to
//! show the most any codec can gain on rumqttc here (see there).

#![allow(
    // A benchmark's setup may stop at once on bad data: it is not library code, and checking
    // that both codecs agree on the bytes is the point of the setup.
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// rumqttc does not build for wasm32: there is nothing to compare against there.
#[cfg(not(target_arch = "wasm32"))]
mod cases;
#[cfg(not(target_arch = "wasm32"))]
mod count;
#[cfg(not(target_arch = "wasm32"))]
mod interleaved;
#[cfg(not(target_arch = "wasm32"))]
mod timed;
#[cfg(not(target_arch = "wasm32"))]
mod unchecked;

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if count::run_from_env() || interleaved::run_from_env() {
        return;
    }
    timed::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
