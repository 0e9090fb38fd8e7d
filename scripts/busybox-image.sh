#!/usr/bin/env bash
# Builds a local busybox image (default busybox:1.36, the image the example manifests name) from Debian's
# static busybox, with a link for every applet, for machines that cannot pull from a registry.
set -euo pipefail
TAG=${1:-busybox:1.36}
if [ ! -x /bin/busybox ]; then
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/rootfs/bin" "$root/rootfs/tmp"
chmod 1777 "$root/rootfs/tmp"
cp /bin/busybox "$root/rootfs/bin/"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/rootfs/bin/$applet"
done
tar -C "$root/rootfs" -cf "$root/rootfs.tar" .
docker import --change 'CMD ["/bin/sh"]' "$root/rootfs.tar" "$TAG" >/dev/null
echo "built $TAG"
