#!/usr/bin/env bash
# Sets up everything edge-peft needs on a fresh Debian machine, idempotently:
# Debian packages, a Python venv with the oracle (tflite-micro) and numpy, npm packages,
# then builds the native parts and the TypeScript app.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  build-essential clang libclang-rt-14-dev python3-venv
  gcc-arm-none-eabi picolibc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
  mosquitto libmosquitto-dev valgrind libmbedtls-dev
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm may come from elsewhere (nvm, NodeSource); only install Debian's when absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! cmp -s requirements.txt .venv/.requirements.installed; then
  echo "setup: installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements.installed
fi

if ! cmp -s package-lock.json node_modules/.ci-stamp 2>/dev/null; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.ci-stamp
fi

echo "setup: building"
make -j"$(nproc)" >/dev/null
npx tsc -b
echo "setup: ready"
