#!/usr/bin/env bash
# Debian's Chromium and its WebDriver, installed when missing: the Superset tests render every
# dashboard in headless Chromium (Selenium, in Superset's venv) and save screenshots.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "Chromium missing: sudo apt-get install chromium chromium-driver" >&2
    exit 1
fi
echo "[setup] installing Debian's chromium and chromium-driver (headless dashboard checks)"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >/dev/null
