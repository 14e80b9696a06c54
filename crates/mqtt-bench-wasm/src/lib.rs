//! The codec behind a few raw `extern "C"` exports, for `scripts/bench-v8` (decode speed in
//! V8 against mqtt-packet) and the wasm size report in `BENCHMARKS.md`.
//!
//! No wasm-bindgen: the host (Node) asks for room at the end of the decoder's read buffer
//! ([`sb_reserve`]), copies a chunk of bytes straight into wasm memory there, and hands it over
//! ([`sb_commit`]), which takes every whole packet out of the buffer with the streaming
//! [`Decoder`]. That copy is the only one a chunk goes through, and the benchmark times it.
//! [`sb_reencode`] also encodes what it decodes, so the module holds the whole codec (every
//! packet's decoder and encoder) when its size is measured.

// `#[no_mangle]` exports are `unsafe_code` to the lint, and `sb_commit` takes ownership of bytes
// the host wrote into the buffer's spare capacity (`BytesMut::set_len`). Nothing else is unsafe.
#![allow(unsafe_code)]

use bytes::BytesMut;
use std::cell::RefCell;
#[cfg(feature = "reencode")]
use switchboard_mqtt::codec::Packet;
use switchboard_mqtt::codec::{Decoder, Protocol};

/// The decoder, its read buffer, and the output of [`sb_reencode`].
struct State {
    decoder: Decoder,
    buf: BytesMut,
    #[cfg_attr(not(feature = "reencode"), allow(dead_code))]
    out: BytesMut,
}

impl State {
    fn new(version: Protocol) -> State {
        State {
            decoder: Decoder::new(version),
            buf: BytesMut::with_capacity(64 * 1024),
            out: BytesMut::new(),
        }
    }
}

thread_local! {
    // wasm32-unknown-unknown has one thread: this is a plain global there.
    static STATE: RefCell<State> = RefCell::new(State::new(Protocol::V3_1_1));
}

/// Starts over with a new decoder for protocol level `level` (3, 4 or 5) and an empty read
/// buffer. Returns 0, or 1 if the level is not one MQTT has.
#[no_mangle]
pub extern "C" fn sb_reset(level: u32) -> u32 {
    let Some(version) = u8::try_from(level).ok().and_then(Protocol::from_level) else {
        return 1;
    };
    STATE.with_borrow_mut(|s| *s = State::new(version));
    0
}

/// Makes room for `len` more bytes at the end of the read buffer and returns the address the
/// host writes them to, before calling [`sb_commit`] with the number of bytes written.
#[no_mangle]
pub extern "C" fn sb_reserve(len: u32) -> *mut u8 {
    STATE.with_borrow_mut(|s| {
        s.buf.reserve(len as usize);
        s.buf.spare_capacity_mut().as_mut_ptr().cast()
    })
}

/// Appends `len` bytes to the read buffer, which the host wrote at the address
/// [`sb_reserve`] returned, then decodes every whole packet from it. Returns how many packets
/// were decoded, -1 if the stream is malformed, or -2 if `len` is more than was reserved.
#[no_mangle]
pub extern "C" fn sb_commit(len: u32) -> i32 {
    STATE.with_borrow_mut(|s| {
        if !take_written(&mut s.buf, len) {
            return -2;
        }
        let mut count = 0;
        loop {
            match s.decoder.decode(&mut s.buf) {
                Ok(Some(packet)) => {
                    drop(std::hint::black_box(packet));
                    count += 1;
                }
                Ok(None) => return count,
                Err(_) => return -1,
            }
        }
    })
}

#[cfg(feature = "reencode")]
/// Like [`sb_commit`], and also encodes each decoded packet (with the version it was decoded
/// with) into an output buffer, cleared first. Returns the output's length (see
/// [`sb_output`]), -1 if the stream is malformed or a packet does not re-encode, or -2 if
/// `len` is more than was reserved.
#[no_mangle]
pub extern "C" fn sb_reencode(len: u32) -> i32 {
    STATE.with_borrow_mut(|s| {
        if !take_written(&mut s.buf, len) {
            return -2;
        }
        s.out.clear();
        loop {
            let version = s.decoder.version();
            match s.decoder.decode(&mut s.buf) {
                Ok(Some(packet)) => {
                    let version = match &packet {
                        Packet::Connect(c) => c.protocol,
                        _ => version,
                    };
                    if packet.encode(version, &mut s.out).is_err() {
                        return -1;
                    }
                }
                Ok(None) => return i32::try_from(s.out.len()).unwrap_or(-1),
                Err(_) => return -1,
            }
        }
    })
}

#[cfg(feature = "reencode")]
/// Where the output of [`sb_reencode`] starts.
#[no_mangle]
pub extern "C" fn sb_output() -> *const u8 {
    STATE.with_borrow(|s| s.out.as_ptr())
}

/// Counts `len` bytes the host wrote into the spare capacity as part of the buffer; false if
/// there is not that much spare capacity.
fn take_written(buf: &mut BytesMut, len: u32) -> bool {
    let len = len as usize;
    if len > buf.capacity() - buf.len() {
        return false;
    }
    // SAFETY: the buffer has `len` bytes of spare capacity (checked above), and the contract
    // of `sb_commit` / `sb_reencode` is that the host initialised them, after `sb_reserve`
    // and before this call, with no other call in between.
    unsafe { buf.set_len(buf.len() + len) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `bytes` where the host would.
    fn host_write(bytes: &[u8]) -> u32 {
        let ptr = sb_reserve(bytes.len() as u32);
        // SAFETY: `sb_reserve` made room for `bytes.len()` bytes at `ptr`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
        bytes.len() as u32
    }

    #[test]
    fn decodes_packets_split_across_chunks() {
        assert_eq!(sb_reset(4), 0);
        // Two QoS 0 PUBLISHes ("a", "hi") and the first byte of a PINGRESP.
        let stream = [
            0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i', 0x30, 0x05, 0x00, 0x01,
        ];
        let n = host_write(&stream);
        assert_eq!(sb_commit(n), 1);
        let n = host_write(&[b'a', b'h', b'i', 0xd0]);
        assert_eq!(sb_commit(n), 1);
        let n = host_write(&[0x00]);
        assert_eq!(sb_commit(n), 1);
        let n = host_write(&[0x00, 0x00]);
        assert_eq!(sb_commit(n), -1, "reserved packet type 0");
        assert_eq!(sb_commit(u32::MAX), -2);
    }

    #[test]
    #[cfg(feature = "reencode")]
    fn reencodes_what_it_decodes() {
        assert_eq!(sb_reset(5), 0);
        assert_eq!(sb_reset(6), 1);
        let publish = [0x30, 0x06, 0x00, 0x01, b'a', 0x00, b'h', b'i'];
        let n = host_write(&publish);
        assert_eq!(sb_reencode(n), publish.len() as i32);
        // SAFETY: `sb_reencode` wrote that many bytes at `sb_output()`.
        let out = unsafe { std::slice::from_raw_parts(sb_output(), publish.len()) };
        assert_eq!(out, publish);
    }
}
