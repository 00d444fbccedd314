#!/usr/bin/env bash
# The whole test suite: set-up, formatting, lints, unit, app and render tests.
# Render tests run on Mesa's software Vulkan driver; the window test runs under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --farm
cargo fmt --all --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked -- --test-threads=2
# A render farm for real: a one-node Slurm cluster records a show in chunks and joins them.
./scripts/test-farm.sh
