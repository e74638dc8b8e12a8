#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/setup.sh - install everything Cairn needs on a Debian 12 host.
#
# Idempotent and non-interactive.  Installs the build and test packages,
# resolves the kernel ABI from the linux-headers-amd64 metapackage (override
# with KVER=6.1.0-NN-amd64), installs the matching headers and unpacks the
# matching unsigned kernel image under build/kernel/ for the test VMs.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build

packages=(
	# build
	build-essential make gcc clang llvm pkg-config bc kmod cpio valgrind
	libclang-rt-14-dev libfuzzer-14-dev
	linux-headers-amd64 linux-source-6.1
	# lint
	sparse shellcheck
	# Debian packages (make deb) and what tests/vm/pkg installs them with
	git debhelper dh-dkms dkms lintian bash-completion
	# userland libraries
	libnl-3-dev libnl-genl-3-dev libdevmapper-dev libkmod-dev liburcu-dev
	libjson-c-dev libedit-dev libssl-dev
	# VM rig and in-guest tools
	qemu-system-x86 qemu-utils qemu-block-extra busybox-static
	iproute2 iputils-ping netcat-openbsd util-linux e2fsprogs xfsprogs
	dmsetup fio sg3-utils libiscsi-bin open-iscsi targetcli-fb dbus
	multipath-tools
	# peers for side-by-side benchmarks
	lvm2 thin-provisioning-tools drbd-utils
)

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt-get update -q
	# Packages like open-iscsi and lvm2 want to start services: not here.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ -z "${KVER:-}" ]; then
	KVER=$(apt-cache depends linux-headers-amd64 |
	       sed -n 's/.*Depends: linux-headers-\(.*\)$/\1/p' | head -n1)
fi
[ -n "$KVER" ] || { echo "setup: cannot resolve the kernel ABI" >&2; exit 1; }
echo "setup: kernel ABI $KVER"

dpkg-query -W -f='${Status}' "linux-headers-$KVER" 2>/dev/null |
	grep -q 'ok installed' ||
	apt-get install -y -q --no-install-recommends "linux-headers-$KVER"

kdir=$build/kernel/$KVER
if [ ! -f "$kdir/boot/vmlinuz-$KVER" ]; then
	tmp=$(mktemp -d)
	chmod 755 "$tmp"; chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -q "linux-image-$KVER-unsigned")
	rm -rf "$kdir"
	mkdir -p "$kdir"
	dpkg-deb -x "$tmp"/linux-image-*.deb "$kdir"
	rm -rf "$tmp"
	depmod -b "$kdir" "$KVER"
fi
echo "$KVER" >"$build/kernel/KVER"

# checkpatch.pl and its data files, from the linux-source package.
cp_dir=$build/checkpatch
if [ ! -x "$cp_dir/checkpatch.pl" ]; then
	srcs=(/usr/src/linux-source-6.1.tar.*)
	src=${srcs[0]}
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi
echo "setup: done"
