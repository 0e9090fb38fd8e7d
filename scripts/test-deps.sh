#!/usr/bin/env bash
# Installs what the end-to-end tests drive, from Debian's packages: the official Python client, Debian's
# static busybox (the Docker tests build their image from it), tmux, and Debian's kubectl 1.20 unpacked into a
# private folder (its package would overwrite /usr/bin/kubectl).
set -euo pipefail

KUBECTL_120_DIR=${KYB_KUBECTL_120_DIR:-/opt/kybernet-test/kubectl-1.20}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

updated=""
apt_update() {
    if [ -z "$updated" ]; then
        $SUDO apt-get update -qq
        updated=1
    fi
}

if ! /usr/bin/python3 -c "import kubernetes" 2>/dev/null; then
    apt_update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-kubernetes >/dev/null
fi

if [ ! -x /bin/busybox ]; then
    apt_update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi

# The terminal tests (exec -it) drive kyb inside tmux.
if ! command -v tmux >/dev/null; then
    apt_update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
fi

if [ ! -x "$KUBECTL_120_DIR/usr/bin/kubectl" ]; then
    apt_update
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null)
    $SUDO mkdir -p "$KUBECTL_120_DIR"
    $SUDO dpkg -x "$tmp"/kubernetes-client_*.deb "$KUBECTL_120_DIR"
fi
