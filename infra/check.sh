#!/usr/bin/env bash
# make check: the fast inner loop. fmt, clippy, and every test that needs no DynamoDB (unit
# tests of every crate, the generated files, the module layers, properties, JSON Patch
# conformance). Under a minute once built; `make test` runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests that need no DynamoDB"
cargo test --workspace --lib --bins -q
cargo test -q -p xtask --test generated
cargo test -q -p shared --features testing --test modules --test properties --test json_patch_conformance --test template
