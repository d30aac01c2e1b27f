#!/bin/sh
# Builds the k1s appliance disk image from Debian 12 packages:
#   amd64 (default): build-image/k1s-amd64.raw and .qcow2, booting under
#     UEFI and BIOS;
#   arm64: build-image/k1s-rpi-arm64.img, an SD card for the Raspberry Pi
#     3B+ and 4, laid out as Debian's own Raspberry Pi images.
# As root, from anywhere:   sh image/build.sh [--arch amd64|arm64] [OUTDIR]
#
# Nothing is mounted and no loop device is used, so that it builds in a
# container too: mmdebstrap makes the root as a directory, mkfs.ext4 -d and
# mkfs.vfat + mtools make the file systems as files, sfdisk writes the GPT
# on the image file and dd puts the file systems in.
#
# Disk layout (GPT):
#   1 ESP, FAT32, legacy-BIOS-bootable: kernel, initrd, systemd-boot as
#     EFI/BOOT/BOOTX64.EFI for UEFI, syslinux for BIOS (gptmbr.bin in the
#     protective MBR boots the partition with that attribute)
#   2 root, ext4
#   3 k1s-data, ext4, mounted on /var/lib/k1s: last on the disk, grown to
#     its end at boot (k1s-grow-data, then x-systemd.growfs)
# The SD card (MBR, as the Pi's firmware reads it):
#   1 RASPIFIRM, FAT32 at 4 MiB: the Pi's firmware (raspi-firmware, from
#     non-free-firmware), config.txt, cmdline.txt, the device trees, the
#     kernel and initrd, which the firmware starts directly; mounted on
#     /boot/firmware, where Debian's kernel hooks keep them up to date
#   2 root, 3 k1s-data: as on x86_64
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
arch=amd64
if [ "${1:-}" = --arch ]; then
	arch=${2:-}
	shift 2
fi
out=${1:-$src/build-image}
suite=bookworm
esp_mib=128
data_mib=256

[ "$(id -u)" = 0 ] || { echo "image/build.sh: run as root" >&2; exit 1; }
case $arch in
amd64)
	k1s=$src/build/k1s
	triplet=x86_64-linux-gnu
	tools="syslinux syslinux-common systemd-boot-efi"
	;;
arm64)
	k1s=$src/build-arm64/k1s
	triplet=aarch64-linux-gnu
	# Packages of another architecture install under qemu-user, through
	# binfmt_misc.
	tools="qemu-user-static binfmt-support arch-test"
	[ -x "$k1s" ] || sh "$src/image/cross-build.sh"
	;;
*)
	echo "image/build.sh: --arch amd64 or arm64" >&2
	exit 2
	;;
esac
[ -x "$k1s" ] || { echo "image/build.sh: no $k1s: build k1s first (README: Build)" >&2; exit 1; }

tools="mmdebstrap qemu-utils fdisk mtools dosfstools e2fsprogs $tools"
# shellcheck disable=SC2086
sh "$src/scripts/apt-need.sh" $tools

started=$(date +%s)
mkdir -p "$out"
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root

if [ "$arch" = arm64 ]; then
	[ -e /proc/sys/fs/binfmt_misc/status ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi

# The Debian packages k1s's shared libraries come from, found on this
# (Debian 12) build host, where k1s was linked: the libraries it needs
# (readelf, which reads another architecture's binary too) and their
# packages of that architecture.
libpkgs=$(readelf -d "$k1s" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | while read -r lib; do
	dpkg -S "*/$triplet/$lib" | grep ":$arch: " | head -n1
done | cut -d: -f1 | sort -u | tr '\n' ' ')

pkgs="linux-image-$arch initramfs-tools systemd-sysv systemd-resolved dbus udev kmod
e2fsprogs fdisk iproute2 nftables busybox curl ca-certificates $libpkgs"
components=main
if [ "$arch" = arm64 ]; then
	pkgs="$pkgs raspi-firmware"
	components="main non-free-firmware"
fi

# Documentation, translations and drivers for hardware no VM or small server
# has (sound, radio, cameras, GPUs, ...) are left out of the root.
excludes=
for p in "/usr/share/doc/*" "/usr/share/man/*.gz" "/usr/share/info/*.gz" "/usr/share/locale/*.mo" \
	"/usr/share/lintian/*" "/lib/modules/*/kernel/sound/*.ko" \
	"/lib/modules/*/kernel/drivers/media/*.ko" "/lib/modules/*/kernel/drivers/gpu/*.ko" \
	"/lib/modules/*/kernel/drivers/net/wireless/*.ko" "/lib/modules/*/kernel/net/wireless/*.ko" \
	"/lib/modules/*/kernel/net/mac80211/*.ko" "/lib/modules/*/kernel/drivers/bluetooth/*.ko" \
	"/lib/modules/*/kernel/net/bluetooth/*.ko" "/lib/modules/*/kernel/drivers/infiniband/*.ko" \
	"/lib/modules/*/kernel/drivers/staging/*.ko" "/lib/modules/*/kernel/drivers/iio/*.ko" \
	"/lib/modules/*/kernel/drivers/isdn/*.ko" "/lib/modules/*/kernel/drivers/net/can/*.ko" \
	"/lib/modules/*/kernel/drivers/net/ethernet/mellanox/*.ko" \
	"/lib/modules/*/kernel/drivers/input/touchscreen/*.ko"; do
	excludes="$excludes --dpkgopt=path-exclude=$p"	# dpkg's globs: * matches / too
done

# The packages come from the mirror this host's apt uses.
mirror=$(sed -n 's/^URIs: *\(.*debian\)$/\1/p; s/^deb \(http[^ ]*debian\) bookworm .*/\1/p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
security=$(sed -n 's/^URIs: *\(.*debian-security\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
security=${security:-http://deb.debian.org/debian-security}

set -f	# $excludes holds globs for dpkg, not for the shell
# shellcheck disable=SC2086
set -- --mode=root --variant=apt --architectures="$arch" \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(echo $pkgs | tr ' ' ',')" \
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
[ "$arch" = arm64 ] && set -- "$@" --customize-hook="sh '$src/image/rpi-firmware-hook' \"\$1\""
# shellcheck disable=SC2086
mmdebstrap "$@" $excludes \
	"$suite" "$root" \
	"deb $mirror $suite $components" "deb $mirror $suite-updates $components" \
	"deb $security $suite-security main"
set +f

uuid() { cat /proc/sys/kernel/random/uuid; }
root_uuid=$(uuid)
data_uuid=$(uuid)
esp_serial=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')

# k1s, its image catalog, its units and the system's configuration.
install -m 0755 "$k1s" "$root/usr/bin/k1s"
install -d "$root/etc/k1s" "$root/var/lib/k1s" "$root/etc/issue.d"
install -m 0644 "$src/config/images.yaml" "$root/etc/k1s/images.yaml"
cp -a "$src/image/rootfs/." "$root/"
rm -f "$root/etc/resolv.conf"
mv "$root/etc/resolv.conf.k1s" "$root/etc/resolv.conf"
echo k1s > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tk1s\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
cat > "$root/etc/fstab" <<EOF
UUID=$root_uuid / ext4 defaults,noatime,errors=remount-ro 0 1
UUID=$data_uuid /var/lib/k1s ext4 defaults,noatime,x-systemd.growfs,x-systemd.requires=k1s-grow-data.service 0 2
EOF
[ "$arch" = amd64 ] ||
	echo "LABEL=RASPIFIRM /boot/firmware vfat defaults,noatime 0 2" >>"$root/etc/fstab"
# The data file system is checked after it has grown, not while.
fsck_unit=$(systemd-escape -p --template=systemd-fsck@.service "/dev/disk/by-uuid/$data_uuid")
install -d "$root/etc/systemd/system/k1s-grow-data.service.d"
printf '[Unit]\nBefore=%s\n' "$fsck_unit" > "$root/etc/systemd/system/k1s-grow-data.service.d/fsck.conf"
# root logs in on the console with no password the first time and must
# choose one there.
chroot "$root" passwd -d root >/dev/null
chroot "$root" chage -d 0 root
systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service \
	systemd-networkd-wait-online.service k1s.service k1s-issue.service
: > "$root/etc/machine-id"
rm -rf "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"* "$root/var/log/"*.log

if [ "$arch" = amd64 ]; then
# Kernel and initrd go to the ESP, which both boot loaders read.
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -n1)
cmdline="root=UUID=$root_uuid rw console=tty0 console=ttyS0,115200n8"

esp=$work/esp.img
rm -f "$esp"
mkfs.vfat -F 32 -n K1S-ESP -i "$esp_serial" -C "$esp" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/syslinux
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
mcopy -i "$esp" /usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
printf 'default k1s.conf\ntimeout 0\nconsole-mode keep\n' > "$work/loader.conf"
printf 'title k1s\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$cmdline" > "$work/k1s.conf"
printf 'SERIAL 0 115200\nDEFAULT k1s\nTIMEOUT 0\nLABEL k1s\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND %s\n' \
	"$cmdline" > "$work/syslinux.cfg"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/k1s.conf" ::/loader/entries/k1s.conf
mcopy -i "$esp" "$work/syslinux.cfg" ::/syslinux/syslinux.cfg
syslinux --install --directory /syslinux "$esp"
rm -f "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-*
else
# The firmware partition: what raspi-firmware's hook put in /boot/firmware.
esp_mib=256
esp=$work/firmware.img
mkfs.vfat -F 32 -n RASPIFIRM -i "$esp_serial" -C "$esp" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i "$esp" -s "$root"/boot/firmware/* ::/
find "$root/boot/firmware" -mindepth 1 -delete
fi

# The root: what it holds and a quarter more, in whole MiB.
used_mib=$(du -sm --apparent-size "$root" | cut -f1)
root_mib=$((used_mib + used_mib / 4 + 64))
mkfs.ext4 -q -L k1s-root -U "$root_uuid" -d "$root" "$work/root.img" "${root_mib}M"
install -d -m 0755 "$work/data"
mkfs.ext4 -q -L k1s-data -U "$data_uuid" -d "$work/data" "$work/data.img" "${data_mib}M"

if [ "$arch" = amd64 ]; then
# The disk: 1 MiB for the GPT, the partitions, 1 MiB for the backup GPT.
raw=$out/k1s-amd64.raw
rm -f "$raw"
disk_mib=$((1 + esp_mib + root_mib + data_mib + 1))
truncate -s "${disk_mib}M" "$raw"
esp_start=1
root_start=$((esp_start + esp_mib))
data_start=$((root_start + root_mib))
sfdisk --quiet "$raw" <<EOF
label: gpt
unit: sectors
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp, attrs="LegacyBIOSBootable"
start=$((root_start * 2048)), size=$((root_mib * 2048)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root
start=$((data_start * 2048)), size=$((data_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=k1s-data
EOF
dd if=/usr/lib/SYSLINUX/gptmbr.bin of="$raw" bs=440 count=1 conv=notrunc status=none
else
# The SD card: MBR (the Pi's boot ROM and firmware read no GPT), the
# firmware partition at 4 MiB as Debian's Raspberry Pi images have it.
raw=$out/k1s-rpi-arm64.img
rm -f "$raw"
esp_start=4
root_start=$((esp_start + esp_mib))
data_start=$((root_start + root_mib))
disk_mib=$((data_start + data_mib))
truncate -s "${disk_mib}M" "$raw"
sfdisk --quiet "$raw" <<EOF
label: dos
unit: sectors
start=$((esp_start * 2048)), size=$((esp_mib * 2048)), type=c, bootable
start=$((root_start * 2048)), size=$((root_mib * 2048)), type=83
start=$((data_start * 2048)), size=$((data_mib * 2048)), type=83
EOF
fi
dd if="$esp" of="$raw" bs=1M seek="$esp_start" conv=notrunc,sparse status=none
dd if="$work/root.img" of="$raw" bs=1M seek="$root_start" conv=notrunc,sparse status=none
dd if="$work/data.img" of="$raw" bs=1M seek="$data_start" conv=notrunc,sparse status=none

base=${raw%.*}
if [ "$arch" = amd64 ]; then
	qemu-img convert -c -O qcow2 "$raw" "$base.qcow2"
	echo "image/build.sh: $base.qcow2 ($(du -m "$base.qcow2" | cut -f1) MiB)"
fi
# Where the test finds the boot and root file systems in the image.
echo "$esp_start" > "$base.esp-offset-mib"
echo "$root_start" > "$base.root-offset-mib"

echo "image/build.sh: $raw ($(du -m --apparent-size "$raw" | cut -f1) MiB, $(du -m "$raw" | cut -f1) MiB used)"
echo "image/build.sh: built in $(($(date +%s) - started)) s"
