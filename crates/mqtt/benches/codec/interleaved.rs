//! Interleaved timing: ours and rumqttc's take turns in short rounds, so that a noisy
//! neighbour on a shared machine slows both columns alike. Criterion times all of one side,
//! then all of the other: a burst of load during one of them moves the ratio (by 30 % and
//! more between runs on the guests this project measures on). Here each round times both
//! sides back to back, first one then the other alternately, and the ratio reported is the
//! median of the rounds' ratios, with the spread of the middle 80 %.

use crate::cases::{all_cases, label, Case, Side};
use bytes::BytesMut;
use std::time::{Duration, Instant};
use switchboard_mqtt::codec::Decoder;

/// How long one side's turn in a round lasts, roughly.
const TURN: Duration = Duration::from_millis(2);
/// Single-packet inputs built at a time: a socket reader decodes bytes it has just written,
/// from cache, and 256 copies of the largest case (1 KiB) stay in a core's L2. Decoding tens
/// of megabytes of copies instead would time main memory for both sides alike.
const BATCH: usize = 256;

/// Prints the decode and encode tables when `CODEC_BENCH_INTERLEAVED` is a number of rounds
/// (`CODEC_BENCH_FILTER`, if set, keeps only the benchmarks whose `group/case/version`
/// contains it), instead of running criterion. `CODEC_BENCH_OURS=unchecked` times the codec
/// that checks nothing in ours' place, on the cases it reads.
pub(crate) fn run_from_env() -> bool {
    let Ok(rounds) = std::env::var("CODEC_BENCH_INTERLEAVED") else {
        return false;
    };
    let rounds: usize = rounds
        .parse()
        .expect("CODEC_BENCH_INTERLEAVED: a number of rounds");
    let filter = std::env::var("CODEC_BENCH_FILTER").unwrap_or_default();
    let ours = match std::env::var("CODEC_BENCH_OURS").as_deref() {
        Ok("unchecked") => Side::Unchecked,
        Ok("ours") | Err(_) => Side::Ours,
        Ok(other) => panic!("CODEC_BENCH_OURS: ours or unchecked, not {other}"),
    };
    let cases = all_cases();
    for group in [Group::Decode, Group::Encode] {
        println!("\n{} ({rounds} interleaved rounds):\n", group.name());
        let us = ours.name();
        println!(
            "| case | version | {us} (pkts/s) | rumqttc (pkts/s) | {us} / rumqttc | middle 80 % |"
        );
        println!("|---|---|---:|---:|---:|---:|");
        for case in &cases {
            if !format!("{}/{}", group.name(), label(case)).contains(&filter)
                || (ours == Side::Unchecked && !case.has_unchecked())
            {
                continue;
            }
            row(group, case, ours, rounds.max(1));
        }
    }
    true
}

#[derive(Debug, Clone, Copy)]
enum Group {
    Decode,
    Encode,
}

impl Group {
    fn name(self) -> &'static str {
        match self {
            Group::Decode => "decode",
            Group::Encode => "encode",
        }
    }
}

/// Times `iters` iterations of one side; building the inputs stays outside the timing, as
/// in criterion's batched benchmarks.
// A benchmark reads the clock: that is its job (the rule is for the sans-IO core).
#[allow(clippy::disallowed_methods)]
fn turn(group: Group, case: &Case, side: Side, iters: usize, out: &mut BytesMut) -> Duration {
    match group {
        Group::Decode if case.is_stream() => {
            let start = Instant::now();
            for _ in 0..iters {
                case.decode_stream(side);
            }
            start.elapsed()
        }
        Group::Decode => {
            let mut decoder = Decoder::new(case.version);
            let mut took = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(BATCH);
                let mut inputs: Vec<BytesMut> =
                    (0..n).map(|_| BytesMut::from(&case.wire[..])).collect();
                let start = Instant::now();
                for buf in &mut inputs {
                    case.decode_one(side, &mut decoder, buf);
                }
                took += start.elapsed();
                left -= n;
            }
            took
        }
        Group::Encode => {
            let start = Instant::now();
            for _ in 0..iters {
                case.encode(side, out);
            }
            start.elapsed()
        }
    }
}

/// Measures one case, `ours` against rumqttc, and prints its row.
fn row(group: Group, case: &Case, ours_side: Side, rounds: usize) {
    // Both sides write into the same buffer (see `timed::bench_encode`).
    let mut out = BytesMut::with_capacity(case.wire.len());
    // Iterations per turn: enough for ours to take about `TURN`, the same for both sides.
    let mut iters = 1;
    while turn(group, case, ours_side, iters, &mut out) < TURN && iters < 1 << 24 {
        iters *= 2;
    }
    turn(group, case, Side::Rumqttc, iters, &mut out);
    let mut ours = Vec::with_capacity(rounds);
    let mut peer = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (o, p) = if round % 2 == 0 {
            let o = turn(group, case, ours_side, iters, &mut out);
            (o, turn(group, case, Side::Rumqttc, iters, &mut out))
        } else {
            let p = turn(group, case, Side::Rumqttc, iters, &mut out);
            (turn(group, case, ours_side, iters, &mut out), p)
        };
        let packets = (iters * case.ours.len()) as f64;
        ours.push(packets / o.as_secs_f64());
        peer.push(packets / p.as_secs_f64());
        ratios.push(p.as_secs_f64() / o.as_secs_f64());
    }
    let (low, high) = (quantile(&mut ratios, 0.1), quantile(&mut ratios, 0.9));
    let version = if case.version.is_v5() { "v5" } else { "v311" };
    println!(
        "| {} | {version} | {} | {} | {:.2}× | {low:.2}–{high:.2}× |",
        case.name,
        thousands(quantile(&mut ours, 0.5)),
        thousands(quantile(&mut peer, 0.5)),
        quantile(&mut ratios, 0.5),
    );
}

/// The `q` quantile (nearest rank) of `values`, which it sorts.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let i = ((values.len() - 1) as f64 * q).round() as usize;
    values[i]
}

/// `12345678.9` as `12,345,679`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
