#!/usr/bin/env bash
# Make sure Debian's headless browser and its WebDriver are installed for the console's browser
# tests: install them (apt-get, as root) when missing; otherwise say what to install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium and chromium-driver are not installed; install them (apt-get install chromium chromium-driver)" \
       "or run as root; the browser tests are skipped without them" >&2
  exit 0
fi
echo "installing chromium and chromium-driver" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
