#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (tests/browser), installed from
# Debian's packages when missing. Playwright drives /usr/bin/chromium through
# `executable_path`: no browser is ever downloaded (`playwright install` is never run).
#
# Usage: deploy/local/chromium.sh        (root, or a user with password-less sudo)
set -euo pipefail

"$(dirname "$0")/debian.sh" chromium:/usr/bin/chromium chromium-driver:/usr/bin/chromedriver
