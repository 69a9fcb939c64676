#!/usr/bin/env bash
# Builds llama.cpp's own reference tools (llama-bench, llama-server, llama-quantize, llama-perplexity)
# from the source bundle that the npm package node-llama-cpp ships (llama/gitRelease.bundle, the
# same ggml release as its prebuilt binaries), so benchmarks can use llama-bench itself rather than
# the Node binding, whose per-call overhead lowers decode numbers. Not shipped; needs cmake and g++.
# usage: bench/llamacpp/build-llama-cpp.sh [DIR=/tmp/llama.cpp]   (after `npm install` in this folder)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${1:-/tmp/llama.cpp}"
BUNDLE="$HERE/node_modules/node-llama-cpp/llama/gitRelease.bundle"
[ -f "$BUNDLE" ] || { echo "missing $BUNDLE: run 'NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install' in $HERE first" >&2; exit 1; }
[ -d "$DIR/.git" ] || git clone -q "$BUNDLE" "$DIR"
# LLAMA_BUILD_SERVER defaults to on only when llama.cpp is the top-level project; say it explicitly.
cmake -S "$DIR" -B "$DIR/build" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$DIR/build" -j"$(nproc)" --target llama-bench llama-server llama-quantize llama-perplexity
echo "built: $DIR/build/bin/{llama-bench,llama-server,llama-quantize,llama-perplexity}"
