#!/usr/bin/env bash
# Install the Debian packages the tests need, once. Idempotent: a second run only checks.
# prometheus (with promtool), prometheus-alertmanager and chromium (for the browser tests,
# driven by Playwright with executable_path=/usr/bin/chromium; no tool downloads a browser).
set -euo pipefail
packages=(chromium prometheus prometheus-alertmanager)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
