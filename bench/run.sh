#!/usr/bin/env bash
# The benchmark command: builds kybd in release mode and prints its figures beside etcd's.
# Sizes: KYB_BENCH_WRITES (creates per row, default 4000), KYB_BENCH_PODS (default 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kybernet-target}
if ! command -v etcd >/dev/null || [ ! -x /usr/bin/time ]; then
    sudo=""; [ "$(id -u)" != 0 ] && sudo=sudo
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server time >/dev/null
fi
cargo build --release --bin kybd --bin kyb --bin kyb-bench
"$CARGO_TARGET_DIR/release/kyb-bench" "$CARGO_TARGET_DIR/release/kybd" "$CARGO_TARGET_DIR/release/kyb"
