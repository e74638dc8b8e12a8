# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest-side helpers of the two-node mirror tests (tests/vm/mirror/):
# sourced by the scripts each node runs.  /run/cairn is the node's share
# with the host, which passes files between the nodes.

export PATH=$PWD/build/user/bin:$PWD/build/user/tests/bin:$PATH
export CAIRN_CONFIG=/tmp/cairn.json

fail() {
	echo "FAIL: $(hostname): $*"
	exit 1
}

must() {
	"$@" || fail "'$*' failed with status $?"
}

# waitfile NAME SECONDS: until the host creates /run/cairn/NAME.
waitfile() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		[ -e "/run/cairn/$1" ] && return 0
		sleep 0.2
	done
	fail "no /run/cairn/$1 within $2 s"
}

# waitfile_idle NAME SECONDS: waitfile with builtins only (a read with a
# timeout on a FIFO for the pause, a second at a time): for a node whose
# CPU is measured meanwhile, where a loop of sleep (a fork and an exec
# each, slow under TCG) would take a share of it.
waitfile_idle() {
	local i
	[ -p /tmp/idle.fifo ] || mkfifo /tmp/idle.fifo || fail "mkfifo /tmp/idle.fifo"
	exec 8<>/tmp/idle.fifo
	for ((i = 0; i < $2; i++)); do
		[ -e "/run/cairn/$1" ] && { exec 8>&-; return 0; }
		read -r -t 1 -u 8 || true
	done
	exec 8>&-
	fail "no /run/cairn/$1 within $2 s"
}

# say NAME: tell the host (creates /run/cairn/NAME).
say() {
	touch "/run/cairn/$1.tmp" && mv "/run/cairn/$1.tmp" "/run/cairn/$1"
}

# The interface on the mirror LAN (10.77.0.0/24).
lan_dev() {
	ip -o -4 addr show to 10.77.0.0/24 | awk '{print $2; exit}'
}

# dev_md5 DEVICE: md5 of a whole device, read with O_DIRECT (the page
# cache of a small guest is not filled: compaction under TCG can stall it
# long enough for a soft-lockup report).
dev_md5() {
	dd if="$1" bs=1M iflag=direct status=none | md5sum | cut -d' ' -f1
}

# md5 of the whole volume device of a primary.
vol_md5() {
	dev_md5 "/dev/mapper/cairn-$1-$2"
}

# The kernel log goes to the share as it is written: a node the host kills
# (or that hangs) leaves its log behind.
cat /dev/kmsg >/run/cairn/kmsg 2>/dev/null &

# mget VOL KEY: one value of `cairnctl -j /volumes/VOL status` (the
# mirror's keys included), without quotes; "null" when JSON says so.
mget() {
	cairnctl -j "/volumes/$1" status 2>/dev/null |
		sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -n 1
}

# mwait VOL SECONDS KEY=VALUE...: until the volume's status shows them all.
mwait() {
	local vol=$1 secs=$2 i kv ok
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		ok=1
		for kv in "$@"; do
			[ "$(mget "$vol" "${kv%%=*}")" = "${kv#*=}" ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && return 0
		sleep 0.2
	done
	cairnctl -j "/volumes/$vol" status
	fail "volume $vol: not $* within $secs s"
}

# The shared secret of the mirror tests' peers (a file of mode 0600).
peer_key() {
	printf '%s' "${2:-cairn-mirror-test-secret-0123456789}" >"$1"
	chmod 600 "$1"
}

# start_cairnd: cairnd in the foreground, its log in the share; returns
# once it listens for peers.
start_cairnd() {
	local i
	cairnd -f 2>/run/cairn/cairnd.log &
	for ((i = 0; i < 150; i++)); do
		grep -q "listening for peers" /run/cairn/cairnd.log 2>/dev/null && return 0
		sleep 0.2
	done
	cat /run/cairn/cairnd.log
	fail "cairnd does not listen for peers"
}
