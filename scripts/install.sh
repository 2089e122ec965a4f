#!/usr/bin/env bash
# Install cvpair into ./.venv. With --test, also the test tools and the system programs the tests drive
# (Chromium for the browser test, ffmpeg for FiftyOne's media tools).
#
# torch is installed first and on its own: a bare `torch` requirement on a machine without torch pulls a
# multi-GB CUDA build. Set TORCH_SPEC (e.g. "torch==2.13.0" or a CUDA wheel's spec) to choose the build;
# an importable torch already in the venv is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [[ "${1:-}" == "--test" ]]; then
  extras="[test,ray]"
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      echo "installing system packages: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "please install: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})" >&2
      exit 1
    fi
  fi
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
fi
.venv/bin/python -m pip install -q -e ".${extras}"
# An editable install leaves cvpair's modules uncompiled: compile them as a regular install does, or every
# command compiles the ones it imports again wherever bytecode is never written (PYTHONDONTWRITEBYTECODE).
# A module edited since is compiled again at each import there, until this script runs again.
.venv/bin/python -m compileall -q cvpair training splits cards annotation >/dev/null
