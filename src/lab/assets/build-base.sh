#!/bin/bash
# Stage 2 of the lab's base image: a copy of the stage-1 image PACKAGES_IMAGE
# (build-packages.sh) plus the lab's stand-ins, units and the XiVO `asterisk`
# database loaded once, so every node starts with it. Built into TARGET, which
# the caller renames into the cache only when this script succeeds. Kept
# apart from stage 1 so a change to a stand-in rebuilds in seconds.
#
#   build-base.sh TARGET PACKAGES_IMAGE ASSETS_DIR SCHEMA_SQL
set -euo pipefail

target=$1 packages_image=$2 assets=$3 schema=$4

in_image() {
	systemd-nspawn --quiet --register=no --keep-unit --resolv-conf=off --machine=xivo-ha-lab-build \
		--link-journal=no --directory="$target" --setenv=LC_ALL=C.UTF-8 "$@"
}
trap 'rm -rf /run/systemd/nspawn/propagate/xivo-ha-lab-build' EXIT

echo "base: copying $packages_image"
mkdir -p "$target"
cp -a "$packages_image/." "$target/"

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

# Root's home from /etc/skel, as for any new account (never the runner's own).
cp -rT "$target/etc/skel" "$target/root"

install -d -m 0755 "$target/etc/systemd/system.conf.d"
install -m 0644 "$assets/units/timer-accuracy.conf" "$target/etc/systemd/system.conf.d/xivo-ha-lab.conf"

echo "base: loading the asterisk database"
# Not /tmp: nspawn mounts a fresh tmpfs there.
install -m 0644 "$schema" "$target/var/tmp/xivo-asterisk-schema.sql"
in_image /bin/bash -c '
set -euo pipefail
# fsync off while loading: the image is copied afterwards, not crash-tested.
pg_ctlcluster 15 main start -o "-c fsync=off"
su postgres -c "createuser asterisk"
su postgres -c "createdb -O asterisk asterisk"
su postgres -c "psql -q -v ON_ERROR_STOP=1 -d asterisk -c \"SET ROLE asterisk\" -f /var/tmp/xivo-asterisk-schema.sql" >/dev/null
pg_ctlcluster 15 main stop
'
rm -f "$target/var/tmp/xivo-asterisk-schema.sql"

echo "base: done"
