#!/usr/bin/env bash
# Instructions per packet of every case of the `codec` bench, ours and rumqttc's, counted by
# valgrind (cachegrind): unlike time, the count does not move with the load of a shared
# machine. Each benchmark body runs N and 2N times; the difference, minus the same for the
# shared setup (building the input buffer / clearing the output), over N × packets per
# iteration, is the cost of one packet. Run from the repository root:
#
#   crates/mqtt/benches/instructions.sh
#
# GROUPS_TO_RUN=decode|encode and CASES="stream_10k/v5 …" run a part of the table. UNCHECKED=1
# adds the codec that checks nothing (benches/codec/unchecked.rs) on the 3.1.1 single-packet
# cases: how far ahead of rumqttc a codec can be before it validates anything.
set -euo pipefail
# Absolute: criterion and cargo resolve a relative target dir from different directories.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/bench}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
bin=$(cargo bench -p switchboard-mqtt --bench codec --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "codec" and m.get("executable"):
        print(m["executable"])')

irefs() { # SPEC → instructions executed by the whole process
  CODEC_BENCH_RUN=$1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$bin" 2>&1 | awk '/I *refs:/ { gsub(",", "", $NF); print $NF }'
}
# per_packet SPEC_WITHOUT_COUNT N PACKETS → instructions per packet
per_packet() {
  local a b
  a=$(irefs "$1:$2")
  b=$(irefs "$1:$((2 * $2))")
  echo $(((b - a) / ($2 * $3)))
}

cases=${CASES:-"publish_qos0_16B/v311 publish_qos0_16B/v5 publish_qos1_1KiB/v311 publish_qos1_1KiB/v5
publish_v5_5props/v5 subscribe_10/v311 subscribe_10/v5 connect_v5/v5 stream_10k/v311 stream_10k/v5"}
for group in ${GROUPS_TO_RUN:-decode encode}; do
  echo
  echo "$group, instructions per packet (valgrind $(valgrind --version | cut -d- -f2)):"
  echo
  if [ -n "${UNCHECKED:-}" ]; then
    echo "| case | version | ours | rumqttc | rumqttc / ours | unchecked | rumqttc / unchecked |"
    echo "|---|---|---:|---:|---:|---:|---:|"
  else
    echo "| case | version | ours | rumqttc | rumqttc / ours |"
    echo "|---|---|---:|---:|---:|"
  fi
  for c in $cases; do
    case $c in stream_10k/*) n=4 packets=10000 ;; *) n=2000 packets=1 ;; esac
    setup=$(per_packet "$group/$c/setup" $n $packets)
    ours=$(($(per_packet "$group/$c/ours" $n $packets) - setup))
    peer=$(($(per_packet "$group/$c/rumqttc" $n $packets) - setup))
    row=$(printf '| %s | %s | %d | %d | %s× |' "${c%/*}" "${c#*/}" "$ours" "$peer" \
      "$(python3 -c "print(f'{$peer / $ours:.2f}')")")
    if [ -n "${UNCHECKED:-}" ]; then
      case $c in
      stream_10k/* | */v5) row="$row – | – |" ;;
      *)
        floor=$(($(per_packet "$group/$c/unchecked" $n $packets) - setup))
        row="$row $floor | $(python3 -c "print(f'{$peer / $floor:.2f}')")× |"
        ;;
      esac
    fi
    echo "$row"
  done
done
