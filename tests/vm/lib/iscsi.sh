# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# iSCSI helpers for tests/vm/iscsi/* and tools/bench/iscsi.  Sourced on the
# host (names, URLs, result tables) and in the guest (LIO exports).
#
# The guest exports Cairn volumes with the targetcli-style cairnctl
# (`cairnctl /iscsi ...`) once it is there, i.e. once `cairnctl ls` works
# and shows an iscsi node.  Until then it falls back, and says so on the
# first line it prints and in /run/cairn/export-mode:
#   - pools and volumes: the old one-shot grammar (cairnctl pool/volume create)
#     when `cairnctl ls` does not work;
#   - the export: targetcli, iblock on /dev/mapper/cairn-<pool>-<volume>
#     with emulate_tpu=1 and emulate_tpws=1 (a thin LU: LBPME, UNMAP, WRITE
#     SAME with UNMAP) and no unmap_zeroes_data (so no LBPRZ: Cairn unmaps
#     whole chunks only, a partial UNMAP leaves the data readable).
# CAIRN_ISCSI_EXPORT=cairnctl|targetcli, set in the guest's script (the
# guest does not inherit the host's environment), forces one way.

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
# it at start and dies without a bus) unless the rig started one.  LIO writes
# persistent-reservation state to <dbroot>/pr/aptpl_<serial> on every
# PERSISTENT RESERVE OUT and fails the command (LOGICAL UNIT COMMUNICATION
# FAILURE) when it cannot: dbroot is /var/target by default, Debian's
# rtslib moves it to /etc/rtslib-fb-target, and neither has a pr/.
lio_setup() {
	local m
	mkdir -p /var/target/pr /var/target/alua /etc/rtslib-fb-target/pr || return
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

# cairn_cli_tree: true when cairnctl is the targetcli-style CLI.
cairn_cli_tree() {
	cairnctl ls >/dev/null 2>&1
}

# cairn_export_mode: how Cairn volumes are exported here: "cairnctl" or
# "targetcli" (the prototype, until cairnctl /iscsi exists).
cairn_export_mode() {
	case "${CAIRN_ISCSI_EXPORT:-}" in
	cairnctl|targetcli) echo "$CAIRN_ISCSI_EXPORT"; return ;;
	esac
	if cairn_cli_tree && cairnctl ls 2>/dev/null | grep -q iscsi; then
		echo cairnctl
	else
		echo targetcli
	fi
}

# cairn_pool NAME DEV[,DEV...] [CHUNK]
cairn_pool() {
	if cairn_cli_tree; then
		cairnctl /pools create name="$1" devices="$2" ${3:+chunk=$3}
	else
		cairnctl pool create "$1" "$2" ${3:+chunk=$3}
	fi
}

# cairn_volume POOL NAME SIZE: a thin volume and its block device.
cairn_volume() {
	if cairn_cli_tree; then
		cairnctl /volumes create pool="$1" name="$2" size="$3"
	else
		cairnctl volume create "$1" "$2" "$3"
	fi || return
	[ -b "/dev/mapper/cairn-$1-$2" ] || {
		echo "no block device /dev/mapper/cairn-$1-$2"
		return 1
	}
}

# cairn_export POOL VOLUME IQN INITIATOR[|USER|PASS]...: export the volume
# as LUN 0 of a new target IQN (portal 0.0.0.0:3260), with an ACL for each
# initiator, with CHAP when USER and PASS are given.
cairn_export() {
	local pool=$1 vol=$2 iqn=$3 a tpg ini user pass
	shift 3
	tpg=/iscsi/$iqn/tpg1
	if [ "$(cairn_export_mode)" = cairnctl ]; then
		cairnctl /iscsi create "$iqn" || return
		cairnctl "$tpg/luns" create volume="$vol" lun=0 || return
		for a in "$@"; do
			_acl_split "$a"
			if [ -n "$user" ]; then
				cairnctl "$tpg/acls" create "$ini" userid="$user" password="$pass" || return
			else
				cairnctl "$tpg/acls" create "$ini" || return
			fi
		done
	else
		{
			echo "/backstores/block create name=$vol dev=/dev/mapper/cairn-$pool-$vol"
			echo "/backstores/block/$vol set attribute emulate_tpu=1 emulate_tpws=1"
			lio_target_cmds "$iqn" "/backstores/block/$vol" "$@"
		} | tcli || return
	fi
	lio_check "$iqn" "$@"
}

# _acl_split INITIATOR[|USER|PASS]: sets ini, user and pass ("|" separates
# them: IQNs hold colons).
_acl_split() {
	local a=$1
	user='' pass=''
	if [[ $a == *'|'* ]]; then
		ini=${a%%|*}
		a=${a#*|}
		user=${a%%|*}
		pass=${a#*|}
	else
		ini=$a
	fi
}

# lio_target_cmds IQN BACKSTORE INITIATOR[|USER|PASS]...: the targetcli
# commands for a target with LUN 0 on BACKSTORE and the ACLs.
lio_target_cmds() {
	local iqn=$1 bs=$2 a ini user pass
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
	local t=/sys/kernel/config/target/iscsi/$1/tpgt_1 a ini user pass
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
