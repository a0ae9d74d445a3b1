#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (tests/browser), installed from
# Debian's packages when missing. Playwright drives /usr/bin/chromium through
# `executable_path`: no browser is ever downloaded (`playwright install` is never run).
#
# Usage: deploy/local/chromium.sh        (root, or a user with password-less sudo)
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    exit 0
fi
command -v apt-get >/dev/null || {
    log "ERROR: Chromium is missing and there is no apt-get to install it;" \
        "install Debian's chromium and chromium-driver (/usr/bin/chromium)"
    exit 1
}
if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    log "ERROR: Chromium is missing; installing it needs root:" \
        "sudo apt-get install chromium chromium-driver"
    exit 1
fi
log "installing Debian's chromium and chromium-driver"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
/usr/bin/chromium --version
