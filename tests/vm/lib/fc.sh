# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest-side helpers of the Fibre Channel tests (tests/vm/fc/): FCoE in
# VN2VN mode (point to point, no FCoE switch) on the rig's LAN, through
# the kernel's fcoe sysfs interface (what fcoeadm drives).  Sourced after
# tests/vm/lib/mirror.sh (fail, must, say, waitfile).

# fc_wwpn_of IP-LAST-OCTET: the WWPN the fcoe driver gives the port of the
# rig's LAN NIC: NAA 2 from the MAC (tools/vm/run: 52:54:00:77:00:OCTET).
fc_wwpn_of() {
	printf 'naa.2000525400770%03x' "$1"
}

# fcoe_up: an FCoE port in VN2VN mode on the LAN NIC, online.  FC frames
# carry up to 2112 bytes of data: the NIC needs more than 1500 bytes.
fcoe_up() {
	local lan ctlr i
	lan=$(lan_dev)
	[ -n "$lan" ] || fail "no LAN interface"
	must ip link set "$lan" mtu 9000
	must modprobe fcoe
	# No udev in the rig: the disk driver of the LUNs, loaded by hand.
	must modprobe sd_mod
	echo "$lan" >/sys/bus/fcoe/ctlr_create || fail "cannot create an FCoE controller on $lan"
	ctlr=$(find /sys/bus/fcoe/devices/ -maxdepth 1 -name 'ctlr_*' | head -n 1)
	[ -n "$ctlr" ] || fail "no FCoE controller after ctlr_create"
	echo vn2vn >"$ctlr/mode" || fail "FCoE controller: mode vn2vn refused"
	echo 1 >"$ctlr/enabled" || fail "FCoE controller: cannot enable"
	for ((i = 0; i < 300; i++)); do
		grep -qx Online /sys/class/fc_host/host*/port_state 2>/dev/null && return 0
		sleep 0.2
	done
	grep . /sys/class/fc_host/host*/port_* 2>/dev/null
	fail "the FCoE port is not online after 60 s"
}

# fcoe_down: remove the FCoE port; it logs out of its remote ports first.
fcoe_down() {
	local i
	lan_dev >/sys/bus/fcoe/ctlr_destroy || fail "cannot destroy the FCoE port"
	for ((i = 0; i < 150; i++)); do
		compgen -G "/sys/class/fc_host/host*" >/dev/null || return 0
		sleep 0.2
	done
	fail "the FCoE port is still there 30 s after ctlr_destroy"
}

# fc_rport WWPN: the remote port with that name (naa. form), if logged in.
fc_rport() {
	local r want=0x${1#naa.}
	for r in /sys/class/fc_remote_ports/rport-*; do
		[ "$(cat "$r/port_name" 2>/dev/null)" = "$want" ] && { echo "$r"; return 0; }
	done
	return 1
}

# fc_disk: the SCSI disk (/dev/sdX) behind an FC remote port, if any.
fc_disk() {
	local d
	for d in /sys/block/sd*; do
		[ -e "$d/device" ] || continue
		case $(readlink -f "$d/device") in
		*/rport-*) echo "/dev/${d##*/}"; return 0 ;;
		esac
	done
	return 1
}

# fc_wait_disk SECONDS: until fc_disk finds one; prints it.
fc_wait_disk() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		fc_disk && return 0
		sleep 0.2
	done
	return 1
}
