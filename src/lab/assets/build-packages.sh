#!/bin/bash
# Stage 1 of the lab's base image: Debian 12 with the packages nodes need,
# built into TARGET (a fresh directory the caller renames into the cache only
# when this script succeeds). Stage 2 (build-base.sh) adds the lab's own files.
#
#   build-packages.sh TARGET MIRROR PACKAGE...
#
# debootstrap minbase, then apt-get install of PACKAGE... inside the image
# (services are kept from starting by a policy-rc.d). Everything
# node-specific is removed (machine-id, SSH host keys, apt caches).
set -euo pipefail

target=$1 mirror=$2
shift 2
packages=("$@")

# Build on a tmpfs, then copy to the target: dpkg's thousands of fsyncs make a
# build on this kind of virtual disk several times slower.
work="$target.tmpfs"
mkdir -p "$work" "$target"
mount -t tmpfs -o size=4g,mode=0755 xivo-ha-lab-build "$work"
cleanup() {
	umount --lazy "$work" 2>/dev/null || true
	rmdir "$work" 2>/dev/null || true
	rm -rf /run/systemd/nspawn/propagate/xivo-ha-lab-build
}
trap cleanup EXIT
final_target=$target
target=$work/root

# Runs a command inside the image without booting it (nspawn provides /proc,
# /dev and /sys and tears them down; the host network is shared for apt).
in_image() {
	systemd-nspawn --quiet --register=no --keep-unit --resolv-conf=copy-host \
 --machine=xivo-ha-lab-build \
		--link-journal=no --directory="$target" --setenv=DEBIAN_FRONTEND=noninteractive \
		--setenv=LC_ALL=C.UTF-8 "$@"
}

echo "packages: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$target" "$mirror"

printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
echo force-unsafe-io >"$target/etc/dpkg/dpkg.cfg.d/xivo-ha-lab-build"
chmod 0755 "$target/usr/sbin/policy-rc.d"
printf 'deb %s bookworm main\n' "$mirror" >"$target/etc/apt/sources.list"

echo "packages: installing ${packages[*]}"
in_image apt-get -q update
in_image apt-get -q -y --no-install-recommends install "${packages[@]}"

# coturn is there for the Edge node's playbooks to configure; it must not run
# until they start it.
in_image systemctl disable coturn.service
# The guest needs no getty on a passive console, and nothing else waits on it.
in_image systemctl mask console-getty.service getty@tty1.service systemd-networkd-wait-online.service

echo "packages: removing node-specific state"
rm -f "$target/usr/sbin/policy-rc.d" "$target/etc/dpkg/dpkg.cfg.d/xivo-ha-lab-build" "$target"/etc/ssh/ssh_host_*
: >"$target/etc/machine-id"
rm -f "$target/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$target/var/lib/dbus/machine-id"
rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/*
echo "packages: copying the image to $final_target"
cp -a "$target/." "$final_target/"
echo "packages: done"
