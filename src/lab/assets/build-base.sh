#!/bin/bash
# Builds the lab's Debian 12 base image into TARGET (a fresh directory the
# caller renames into the cache only when this script succeeds).
#
#   build-base.sh TARGET MIRROR ASSETS_DIR SCHEMA_SQL PACKAGE...
#
# Stage 1: debootstrap minbase. Stage 2: apt-get install of PACKAGE... inside
# the image (services are kept from starting by a policy-rc.d). Stage 3: the
# lab's stand-ins and units, then the XiVO `asterisk` database loaded once so
# every node starts with it. Finally everything node-specific is removed
# (machine-id, SSH host keys, apt caches): each node gets its own at creation.
set -euo pipefail

target=$1 mirror=$2 assets=$3 schema=$4
shift 4
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

echo "base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$target" "$mirror"

printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
echo force-unsafe-io >"$target/etc/dpkg/dpkg.cfg.d/xivo-ha-lab-build"
chmod 0755 "$target/usr/sbin/policy-rc.d"
printf 'deb %s bookworm main\n' "$mirror" >"$target/etc/apt/sources.list"

echo "base: installing ${packages[*]}"
in_image apt-get -q update
in_image apt-get -q -y --no-install-recommends install "${packages[@]}"

echo "base: lab stand-ins and units"
install -d -m 0755 "$target/usr/local/lib/xivo-ha-lab" "$target/etc/xivo-ha-lab"
for f in sip-responder.py mds-registrar.py xuc.py lab-sip; do
	install -m 0755 "$assets/$f" "$target/usr/local/lib/xivo-ha-lab/$f"
done
ln -s /usr/local/lib/xivo-ha-lab/lab-sip "$target/usr/local/bin/lab-sip"
for f in xivo-service xivo-agentd-cli xivocc-dcomp edge-relaunch; do
	install -m 0755 "$assets/$f" "$target/usr/local/sbin/$f"
done
install -m 0644 "$assets"/units/*.service "$target/etc/systemd/system/"
install -d -m 0755 "$target/etc/systemd/system/ssh.service.d"
install -m 0644 "$assets/units/ssh-host-keys.conf" "$target/etc/systemd/system/ssh.service.d/lab-host-keys.conf"
install -d -m 0755 "$target/var/lib/xivo" "$target/var/log/xivo-ha-lab" "$target/etc/asterisk"

# coturn is there for the Edge node's playbooks to configure; it must not run
# until they start it.
in_image systemctl disable coturn.service || true
# The guest needs no getty on a passive console, and nothing else waits on it.
in_image systemctl mask console-getty.service getty@tty1.service systemd-networkd-wait-online.service || true

echo "base: loading the asterisk database"
# Not /tmp: nspawn mounts a fresh tmpfs there.
install -m 0644 "$schema" "$target/var/tmp/xivo-asterisk-schema.sql"
in_image /bin/bash -c '
set -euo pipefail
pg_ctlcluster 15 main start
su postgres -c "createuser asterisk"
su postgres -c "createdb -O asterisk asterisk"
su postgres -c "psql -q -v ON_ERROR_STOP=1 -d asterisk -c \"SET ROLE asterisk\" -f /var/tmp/xivo-asterisk-schema.sql" >/dev/null
pg_ctlcluster 15 main stop
'
rm -f "$target/var/tmp/xivo-asterisk-schema.sql"

echo "base: removing node-specific state"
rm -f "$target/usr/sbin/policy-rc.d" "$target/etc/dpkg/dpkg.cfg.d/xivo-ha-lab-build" "$target"/etc/ssh/ssh_host_*
: >"$target/etc/machine-id"
rm -f "$target/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$target/var/lib/dbus/machine-id"
rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/*
echo "base: copying the image to $final_target"
cp -a "$target/." "$final_target/"
echo "base: done"
