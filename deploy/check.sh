#!/usr/bin/env bash
# Checks the Prometheus alert rules with the real tool: promtool check rules (syntax, PromQL,
# templates) and promtool test rules (the unit tests in syncd-rules.test.yaml). promtool comes
# with Debian's prometheus package; it is installed if missing (as root, or with sudo), and the
# script fails if it cannot be. Run from anywhere: bash deploy/check.sh
set -euo pipefail
cd "$(dirname "$0")/prometheus"

if ! command -v promtool >/dev/null 2>&1; then
  echo "deploy/check.sh: promtool missing; installing Debian's prometheus package" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo="sudo -n"
  fi
  # Wait for another apt/dpkg run instead of failing on its lock; update the package lists only
  # if the install fails without.
  install() {
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends prometheus >&2
  }
  if ! install && ! { $sudo apt-get -o DPkg::Lock::Timeout=600 update -q >&2 && install; }; then
    echo "deploy/check.sh: could not install prometheus (promtool); the alert rules are unchecked" >&2
    exit 1
  fi
  if ! command -v promtool >/dev/null 2>&1; then
    echo "deploy/check.sh: prometheus installed but promtool is not on PATH" >&2
    exit 1
  fi
fi

promtool --version 2>&1 | head -1
promtool check rules syncd-rules.yaml
promtool test rules syncd-rules.test.yaml
