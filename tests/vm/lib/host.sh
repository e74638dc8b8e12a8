# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for host-side tests (TEST_MODE=host): boot VMs in the background,
# wait for them, signal them through their output share, kill them.
# Each VM's files live in $TEST_OUT/<name>/ (the share is .../share, seen
# in the guest as /run/cairn).

VM_RUN=$PWD/tools/vm/run

fail() {
	echo "FAIL: $*"
	exit 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# vm_start NAME [tools/vm/run options] -- command...
# The VM has CAIRN_VM_SMP vCPUs (tests/run sets it) unless the options say.
vm_start() {
	local name=$1
	shift
	mkdir -p "$TEST_OUT/$name"
	"$VM_RUN" --quiet --name "$name" --out "$TEST_OUT/$name" \
		${CAIRN_VM_SMP:+--smp "$CAIRN_VM_SMP"} "$@" \
		>"$TEST_OUT/$name/run.log" 2>&1 &
	echo $! >"$TEST_OUT/$name/run.pid"
}

# vm_wait NAME: wait for the VM to end; returns tools/vm/run's status.
vm_wait() {
	local rc
	wait "$(cat "$TEST_OUT/$1/run.pid")"
	rc=$?
	echo "--- $1 (status $rc)"
	cat "$TEST_OUT/$1/share/output" "$TEST_OUT/$1/run.log" 2>/dev/null
	return $rc
}

# vm_wait_file NAME FILE SECONDS: wait until the guest creates
# /run/cairn/FILE, or fail.
vm_wait_file() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		[ -e "$TEST_OUT/$1/share/$2" ] && return 0
		sleep 0.2
	done
	vm_kill "$1"
	vm_wait "$1"
	fail "$1 did not create $2 within $3 s"
}

# vm_signal NAME FILE: create /run/cairn/FILE in the guest.
vm_signal() {
	touch "$TEST_OUT/$1/share/$2"
}

# vm_link NAME N up|down: mend or cut the guest's Nth --lan from outside
# (QMP set_link on QEMU's netdev lanN: the guest sees its carrier go and
# no frame passes either way).
vm_link() {
	local up=true out taps t
	[ "$3" = down ] && up=false
	# A tap LAN (CAIRN_VM_LAN=tap): both of the host's taps go down (the
	# guest keeps its carrier; no frame passes either way).  QMP's set_link
	# does not serve there (tools/vm/run).
	if taps=$(cat "$TEST_OUT/$1/lan$2.tap" 2>/dev/null); then
		for t in $taps; do
			ip link set "$t" "$3" || fail "ip link set $t $3 ($1's lan$2)"
		done
		return
	fi
	out=$({ echo '{"execute":"qmp_capabilities"}'
		echo "{\"execute\":\"set_link\",\"arguments\":{\"name\":\"lan$2\",\"up\":$up}}"
		sleep 0.5; } | timeout 10 nc -N -U "$TEST_OUT/$1/qmp.sock" 2>&1)
	[ "$(grep -c '"return": {}' <<<"$out")" = 2 ] ||
		fail "QMP set_link lan$2 $3 on $1: $out"
}

# vm_kill NAME: pull the plug (SIGKILL to QEMU: no flush, no shutdown).
vm_kill() {
	local pid
	pid=$(cat "$TEST_OUT/$1/qemu.pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null
}
