#!/usr/bin/env bash
# The one test command: installs the test clients, builds every binary, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kybernet-target}
bash scripts/test-deps.sh
cargo build --workspace --bins
cargo test --workspace
