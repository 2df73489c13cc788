#!/bin/sh
# Recipe of the test-bed base image: Debian 12 with systemd, made with debootstrap
# because no registry is reachable. The image tag is the hash of this file, so any
# edit here produces a new image on the next `make testbed`.
# Usage: recipe.sh ROOTFS MIRROR
set -eu
rootfs=$1
mirror=$2

debootstrap --variant=minbase \
  --include=python3,python3-apt,python3-venv,sudo,ca-certificates,systemd,systemd-sysv,dbus,procps,iproute2,curl,sqlite3 \
  bookworm "$rootfs" "$mirror"

cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES

# Containers share the host's ports: packages must not start their daemons on
# install; the roles start them once configured.
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# Units that need hardware or a console have nothing to do in a container.
for unit in getty.target systemd-udevd.service systemd-udev-trigger.service \
            systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-modules-load.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

chroot "$rootfs" apt-get update -qq
chroot "$rootfs" apt-get clean
rm -f "$rootfs/etc/machine-id"
touch "$rootfs/etc/machine-id"
