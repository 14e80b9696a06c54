#!/usr/bin/env python3
"""Prints the comparison table of the `codec` bench from criterion's saved estimates.

    CARGO_TARGET_DIR=$PWD/target/bench cargo bench -p switchboard-mqtt --bench codec
    python3 crates/mqtt/benches/table.py target/bench/criterion

Packets per second = the packets one iteration handles / criterion's median time per
iteration. Ratio = ours / rumqttc (above 1: ours is faster).
"""

import json
import sys
from pathlib import Path


def rate(bench_dir: Path) -> float:
    estimates = json.loads((bench_dir / "new" / "estimates.json").read_text())
    meta = json.loads((bench_dir / "new" / "benchmark.json").read_text())
    elements = meta["throughput"]["Elements"]
    return elements / (estimates["median"]["point_estimate"] / 1e9)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench/criterion")
    for group in ("decode", "encode"):
        rows = {}
        for meta_file in sorted((root / group).glob("*/new/benchmark.json")):
            bench_dir = meta_file.parent.parent
            meta = json.loads(meta_file.read_text())
            case, version, who = meta["function_id"].rsplit("/", 2)
            rows.setdefault((case, version), {})[who] = rate(bench_dir)
        order = ["publish_qos0_16B", "publish_qos1_1KiB", "publish_v5_5props", "subscribe_10",
                 "connect_v5", "stream_10k"]
        print(f"\n{group}:\n")
        print("| case | version | ours (pkts/s) | rumqttc (pkts/s) | ours / rumqttc |")
        print("|---|---|---:|---:|---:|")
        for (case, version), r in sorted(
            rows.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 99, kv[0][1])
        ):
            if "ours" in r and "rumqttc" in r:
                peer = "rumqttc v4" if version == "v311" else "rumqttc v5"
                print(f"| {case} | {version} vs {peer} | {r['ours']:,.0f} | {r['rumqttc']:,.0f} | "
                      f"{r['ours'] / r['rumqttc']:.2f}× |")


if __name__ == "__main__":
    main()
