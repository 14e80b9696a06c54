//! The instruction counter's entry point: runs one benchmark's body a given number of times,
//! untimed, for `instructions.sh` to run under valgrind.

use crate::cases::{all_cases, label, Side, CHUNK};
use bytes::BytesMut;
use std::hint::black_box;
use switchboard_mqtt::codec::Decoder;

/// Instead of timing, runs one benchmark's body `N` times when `CODEC_BENCH_RUN` is
/// `GROUP/CASE/VERSION/WHO:N` (`WHO` = `ours`, `rumqttc`, `unchecked` (see `unchecked`;
/// single-packet 3.1.1 cases only), or `setup` for the part of an
/// iteration both share: building the input buffer, clearing the output). Run under
/// `valgrind --tool=cachegrind` by `instructions.sh`, this counts instructions per packet,
/// which unlike time does not move with the load of a shared machine.
pub(crate) fn run_from_env() -> bool {
    let Ok(spec) = std::env::var("CODEC_BENCH_RUN") else {
        return false;
    };
    let (name, n) = spec.rsplit_once(':').expect("GROUP/CASE/VERSION/WHO:N");
    let n: usize = n.parse().expect("a number of iterations");
    let (id, who) = name.rsplit_once('/').expect("GROUP/CASE/VERSION/WHO");
    let (group, label_wanted) = id.split_once('/').expect("GROUP/CASE/VERSION");
    let side = match who {
        "ours" => Some(Side::Ours),
        "rumqttc" => Some(Side::Rumqttc),
        "unchecked" => Some(Side::Unchecked),
        "setup" => None,
        _ => panic!("WHO is ours, rumqttc, unchecked or setup"),
    };
    let cases = all_cases();
    let case = cases
        .iter()
        .find(|c| label(c) == label_wanted)
        .unwrap_or_else(|| panic!("no case {label_wanted}"));
    let mut decoder = Decoder::new(case.version);
    let mut out = BytesMut::with_capacity(case.wire.len());
    for _ in 0..n {
        match (group, side, case.is_stream()) {
            ("decode", Some(side), true) => drop(case.decode_stream(side)),
            ("decode", None, true) => {
                let mut buf = BytesMut::with_capacity(8 * 1024);
                for chunk in case.wire.chunks(CHUNK) {
                    buf.extend_from_slice(chunk);
                    buf.clear();
                }
                black_box(&buf);
            }
            ("decode", side, false) => {
                let mut buf = BytesMut::from(&case.wire[..]);
                match side {
                    Some(side) => case.decode_one(side, &mut decoder, &mut buf),
                    None => drop(black_box(buf)),
                }
            }
            ("encode", Some(side), _) => case.encode(side, &mut out),
            ("encode", None, _) => {
                out.clear();
                black_box(&out);
            }
            _ => panic!("GROUP is decode or encode"),
        }
    }
    true
}
