#!/usr/bin/env bash
# Debian packages the platform's tests use, installed when missing: each argument is
# PACKAGE:FILE, and PACKAGE is installed when FILE is not there.
#
# Usage: deploy/local/debian.sh chromium:/usr/bin/chromium fonts-dejavu-core:/usr/share/...
#        (root, or a user with password-less sudo, when anything is missing)
set -euo pipefail

log() { echo "debian.sh: $*" >&2; }

missing=()
for wanted in "$@"; do
    package="${wanted%%:*}" file="${wanted#*:}"
    [[ -e "$file" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command -v apt-get >/dev/null || {
    log "ERROR: ${missing[*]} missing and there is no apt-get to install them"
    exit 1
}
if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    log "ERROR: ${missing[*]} missing; installing needs root: sudo apt-get install ${missing[*]}"
    exit 1
fi
log "installing Debian's ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
