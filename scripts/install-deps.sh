#!/usr/bin/env bash
# Installs what accumlab needs on a fresh Debian 12 machine, and nothing that is there.
# Debian: emscripten (wasm build), chromium (browser tests), python3-torch (the PyTorch oracle);
# npm: package.json's devDependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v emcc >/dev/null 2>&1 || need+=(emscripten)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v clang >/dev/null 2>&1 || need+=(clang)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev)
command -v make >/dev/null 2>&1 || need+=(make)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
# Real PyTorch, the oracle of tests/node/torch.test.mjs: Debian's python3-torch, run as
# /usr/bin/python3 (another python3 may come first on PATH)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q "${need[@]}"
fi
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages"
  npm install --no-audit --no-fund
fi
