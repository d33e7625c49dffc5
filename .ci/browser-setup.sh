#!/usr/bin/env bash
# Installs Debian's chromium for the monitor's browser test when it is missing.
# Idempotent and quiet; never fails the build (the test skips, saying why, without it).
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-setup: /usr/bin/chromium missing and apt-get as root unavailable; the browser test will skip"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; then
  echo "browser-setup: installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
  echo "browser-setup: installing chromium failed; the browser test will skip"
fi
exit 0
