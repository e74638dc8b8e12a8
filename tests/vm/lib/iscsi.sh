# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# iSCSI helpers for tests/vm/iscsi/* and tools/bench/iscsi.  Sourced on the
# host (names, URLs, result tables) and in the guest (LIO exports).
#
# Cairn volumes are made and exported with cairnctl alone (cairn_pool,
# cairn_volume, cairn_export).  targetcli makes only the references Cairn
# is compared with (an LIO ramdisk, LIO iblock on a raw disk).

# shellcheck disable=SC2034 # used by the files that source this one
ISCSI_IQN_PREFIX=iqn.2026-11.org.example
ISCSI_HOST_IQN_FALLBACK=iqn.1993-08.org.debian:01:cairn-test-host

### Host side ############################################################

# iscsi_host_iqn: the host's initiator name (open-iscsi's
# /etc/iscsi/initiatorname.iscsi), or a fixed one when there is none.
iscsi_host_iqn() {
	local n
	n=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi 2>/dev/null | head -n 1)
	[[ $n =~ ^iqn\.[0-9]{4}-[0-9]{2}\.[A-Za-z0-9.-]+(:[^[:space:]]+)?$ ]] ||
		n=$ISCSI_HOST_IQN_FALLBACK
	echo "$n"
}

# iscsi_wait_login URL IQN SECONDS: wait until a login to URL as IQN works
# (the portal may listen before the target is enabled).
iscsi_wait_login() {
	local i
	for ((i = 0; i < $3; i++)); do
		iscsi-inq -i "$2" "$1" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

# iscsi_cu_parse: iscsi-test-cu's verbose output (stdin) to lines
# "Suite.Test RESULT", RESULT one of pass, skip (iscsi-test-cu counts it
# as passed: CU_PASS after "[SKIPPED]"), FAIL, or unknown.  CUnit prints
# "  Test: NAME ..." then the test's own log lines, then "passed" or
# "FAILED" at the start of a line (or right after the "..."), then the
# numbered failed assertions; a suite's clean-up may log after that.
iscsi_cu_parse() {
	awk '
	function flush(	n, i, lines, res) {
		if (test == "")
			return
		res = "unknown"
		n = split(seg, lines, "\n")
		for (i = 1; i <= n; i++) {
			if (lines[i] ~ /^passed/)
				res = seg ~ /\[SKIPPED\]/ ? "skip" : "pass"
			else if (lines[i] ~ /^FAILED/)
				res = "FAIL"
		}
		print suite "." test, res
		test = ""
	}
	/^Suite: / { flush(); suite = $2; next }
	/^  Test: / {
		flush()
		test = $2
		seg = substr($0, index($0, " ...") + 4) "\n"
		next
	}
	/^Run Summary:/ || /^WARNING - Suite initialization failed/ { flush(); next }
	/^    [0-9]+\. .*:[0-9]+  - / { next }
	{ if (test != "") seg = seg $0 "\n" }
	END { flush() }'
}

### Guest side ###########################################################

# lio_setup: load LIO, the iblock backstore and cairn; give targetcli the
# D-Bus system bus it insists on (its backstore code asks tcmu-runner over
# it at start and dies without a bus) unless the rig started one.
# LIO's dbroot/pr (LIO fails PERSISTENT RESERVE OUT when it cannot write
# its state there) is made by cairnctl with a backstore; the reference LUs
# need it only once the initiators run, after cairn_export (which checks it).
lio_setup() {
	local m
	for m in dm_mod cairn target_core_mod target_core_iblock iscsi_target_mod; do
		modprobe "$m" || return
	done
	if [ -z "${DBUS_SYSTEM_BUS_ADDRESS:-}" ] && [ ! -S /run/dbus/system_bus_socket ]; then
		dbus-daemon --session --address=unix:path=/run/lio-dbus --fork \
			--nopidfile >/dev/null || return
		export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/lio-dbus
	fi
}

# tcli: run the targetcli commands on stdin in one targetcli process (each
# start costs seconds under TCG).  Its output goes to stdout; it does not
# stop on an error, so callers check configfs afterwards (lio_check).
tcli() {
	{ echo "set global auto_save_on_exit=false"; cat; echo exit; } |
		targetcli 2>&1 | grep -v -e '^targetcli shell version' \
			-e '^Copyright 2011-2013' -e "^For help on commands" -e '^$'
}

# cairn_pool NAME DEV[,DEV...] [CHUNK]
cairn_pool() {
	cairnctl /pools create name="$1" devices="$2" ${3:+chunk=$3}
}

# cairn_volume POOL NAME SIZE: a thin volume and its block device.
cairn_volume() {
	cairnctl /volumes create pool="$1" name="$2" size="$3" || return
	[ -b "/dev/mapper/cairn-$1-$2" ] || {
		echo "no block device /dev/mapper/cairn-$1-$2"
		return 1
	}
}

# cairn_export VOLUME IQN INITIATOR[|USER|PASS[|MUTUAL_USER|MUTUAL_PASS]]...:
# export the volume with cairnctl as LUN 0 of a new target IQN (portal
# 0.0.0.0:3260), with an ACL for each initiator, with CHAP when USER and
# PASS are given (mutual CHAP with the target's MUTUAL_USER, MUTUAL_PASS).
cairn_export() {
	local vol=$1 iqn=$2 a tpg ini user pass muser mpass chap
	shift 2
	tpg=/iscsi/$iqn/tpg1
	cairnctl /iscsi create "$iqn" || return
	cairnctl "$tpg/luns" create volume="$vol" lun=0 || return
	for a in "$@"; do
		_acl_split "$a"
		chap=()
		[ -n "$user" ] && chap+=("userid=$user" "password=$pass")
		[ -n "$muser" ] && chap+=("mutual_userid=$muser" "mutual_password=$mpass")
		cairnctl "$tpg/acls" create "$ini" "${chap[@]}" || return
	done
	lio_check "$iqn" "$@" && cairn_dbroot_check
}

# cairn_dbroot_check: LIO's dbroot/pr exists (cairnctl makes it with a
# backstore; the reference LUs rely on it too).
cairn_dbroot_check() {
	local d
	d=$(cat /sys/kernel/config/target/dbroot) || return
	[ -d "$d/pr" ] || { echo "LIO dbroot $d has no pr/ after cairnctl made a backstore"; return 1; }
}

# _acl_split INITIATOR[|USER|PASS[|MUTUAL_USER|MUTUAL_PASS]]: sets ini,
# user, pass, muser and mpass ("|" separates them: IQNs hold colons).
_acl_split() {
	local f
	IFS='|' read -r -a f <<<"$1"
	ini=${f[0]} user=${f[1]:-} pass=${f[2]:-} muser=${f[3]:-} mpass=${f[4]:-}
}

# lio_target_cmds IQN BACKSTORE INITIATOR[|...]...: the targetcli commands
# for a target with LUN 0 on BACKSTORE and the ACLs (CHAP as cairn_export).
lio_target_cmds() {
	local iqn=$1 bs=$2 a ini user pass muser mpass
	shift 2
	echo "/iscsi create $iqn"
	echo "/iscsi/$iqn/tpg1/luns create $bs lun=0"
	for a in "$@"; do
		_acl_split "$a"
		echo "/iscsi/$iqn/tpg1/acls create $ini"
		if [ -n "$user" ]; then
			echo "/iscsi/$iqn/tpg1/acls/$ini set auth userid=$user password=$pass"
			echo "/iscsi/$iqn/tpg1/acls/$ini set attribute authentication=1"
		fi
		[ -z "$muser" ] ||
			echo "/iscsi/$iqn/tpg1/acls/$ini set auth mutual_userid=$muser mutual_password=$mpass"
	done
}

# lio_export_ramdisk NAME SIZE IQN INITIATOR...: an LIO ramdisk (rd_mcp)
# as LUN 0 of target IQN.
lio_export_ramdisk() {
	local name=$1 size=$2 iqn=$3
	shift 3
	{
		echo "/backstores/ramdisk create name=$name size=$size"
		lio_target_cmds "$iqn" "/backstores/ramdisk/$name" "$@"
	} | tcli || return
	lio_check "$iqn" "$@"
}

# lio_export_block NAME DEV IQN INITIATOR...: LIO iblock on DEV as LUN 0.
lio_export_block() {
	local name=$1 dev=$2 iqn=$3
	shift 3
	{
		echo "/backstores/block create name=$name dev=$dev"
		lio_target_cmds "$iqn" "/backstores/block/$name" "$@"
	} | tcli || return
	lio_check "$iqn" "$@"
}

# lio_check IQN INITIATOR...: configfs shows target IQN enabled, with a
# portal, LUN 0 and an ACL mapping LUN 0 for each initiator.
lio_check() {
	local t=/sys/kernel/config/target/iscsi/$1/tpgt_1 a ini user pass muser mpass
	shift
	[ -d "$t" ] || { echo "lio_check: no $t"; return 1; }
	[ "$(cat "$t/enable")" = 1 ] || { echo "lio_check: $t not enabled"; return 1; }
	compgen -G "$t/np/*:3260" >/dev/null || { echo "lio_check: no portal in $t/np"; return 1; }
	compgen -G "$t/lun/lun_0/*" >/dev/null || { echo "lio_check: no LUN 0 in $t"; return 1; }
	for a in "$@"; do
		_acl_split "$a"
		[ -d "$t/acls/$ini/lun_0" ] ||
			{ echo "lio_check: no ACL mapping LUN 0 for $ini in $t"; return 1; }
	done
}

# iscsi_initiator IQN: open-iscsi in this guest, as initiator IQN:
# iscsi_tcp loaded, the name in /etc/iscsi/initiatorname.iscsi, iscsid
# running (it forks into the background).
iscsi_initiator() {
	modprobe iscsi_tcp || return
	mkdir -p /etc/iscsi || return
	echo "InitiatorName=$1" >/etc/iscsi/initiatorname.iscsi || return
	iscsid
}

# iscsi_disk IQN: the SCSI disk (/dev/sdX) of this guest's iSCSI session
# with target IQN, if there is one (by the session's sysfs, not the name).
iscsi_disk() {
	local s b
	for s in /sys/class/iscsi_session/session*; do
		[ "$(cat "$s/targetname" 2>/dev/null)" = "$1" ] || continue
		for b in "$(readlink -f "$s/device")"/target*/*/block/*; do
			[ -e "$b" ] && { echo "/dev/${b##*/}"; return 0; }
		done
	done
	return 1
}

# iscsi_wait_disk IQN SECONDS: until iscsi_disk finds one; prints it.
iscsi_wait_disk() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		iscsi_disk "$1" && return 0
		sleep 0.2
	done
	return 1
}

# guest_wait_host FILE SECONDS: wait for the host's /run/cairn/FILE.
guest_wait_host() {
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		[ -e "/run/cairn/$1" ] && return 0
		sleep 0.5
	done
	echo "the host did not signal $1 within $2 s"
	return 1
}
