//! The criterion benchmarks: decode and encode of every case, ours and rumqttc's.

use crate::cases::{all_cases, label, Case, Side};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput};
use std::time::Duration;
use switchboard_mqtt::codec::Decoder;

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g
}

fn bench_decode(c: &mut Criterion, cases: &[Case]) {
    let mut g = group(c, "decode");
    for case in cases {
        g.throughput(Throughput::Elements(case.ours.len() as u64));
        let label = label(case);
        for side in [Side::Ours, Side::Rumqttc] {
            let id = format!("{label}/{}", side.name());
            if case.is_stream() {
                g.bench_function(id, |b| b.iter(|| case.decode_stream(side)));
            } else {
                // The input buffer is built, and dropped, outside the timing.
                g.bench_function(id, |b| {
                    let mut decoder = Decoder::new(case.version);
                    b.iter_batched_ref(
                        || BytesMut::from(&case.wire[..]),
                        |buf| case.decode_one(side, &mut decoder, buf),
                        BatchSize::SmallInput,
                    )
                });
            }
        }
    }
    g.finish();
}

fn bench_encode(c: &mut Criterion, cases: &[Case]) {
    let mut g = group(c, "encode");
    for case in cases {
        g.throughput(Throughput::Elements(case.ours.len() as u64));
        let label = label(case);
        // One output buffer for both sides: where a long copy runs depends on the distance
        // between source and destination (4 KiB aliasing), which must not differ between the
        // two columns (payloads are shared for the same reason: see `Case`).
        let mut out = BytesMut::with_capacity(case.wire.len());
        for side in [Side::Ours, Side::Rumqttc] {
            g.bench_function(format!("{label}/{}", side.name()), |b| {
                b.iter(|| case.encode(side, &mut out))
            });
        }
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    let cases = all_cases();
    bench_decode(c, &cases);
    bench_encode(c, &cases);
}

criterion::criterion_group!(benches, all);
