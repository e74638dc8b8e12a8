# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for in-guest tests, sourced before the test file.  The guest runs
# this tree's build: cairnctl is build/user/bin/cairnctl, cairn.ko is staged
# as the module "cairn".

export PATH=$CAIRN_TOP/build/user/bin:$PATH

# fail MESSAGE: print why the test failed and stop it.
fail() {
	echo "FAIL: $*"
	exit 1
}

# expect_fail CMD...: CMD must exit nonzero; its output is kept in $out.
expect_fail() {
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded but should have failed: $out"
	fi
}

# must CMD...: CMD must succeed.
must() {
	"$@" || fail "'$*' failed with status $?"
}

# The module's messages since boot.
kmsg() {
	dmesg | grep -E 'cairn' || true
}

# pool_attr ATTR: the value of pool p0's ATTR (cairnctl get), alone.
pool_attr() {
	cairnctl /pools/p0 get attribute="$1" | sed -n "s/^$1=//p"
}

# vcache KEY: the value of "KEY": in vm01's status (the first one: its
# RAM cache's, where the mirror has a key of the same name).
vcache() {
	cairnctl -j /volumes/vm01 status | grep -o "\"$1\": *[a-z0-9]*" | head -1 | sed "s/.*: *//"
}

# local_link PORT: both ends of vm01's mirror in this one VM, p1/vm02 the
# secondary's, over 127.0.0.1:PORT (mlink, the listening side first).
local_link() {
	local lpid
	mlink connect p1 vm02 listen "$1" 2000 &
	lpid=$!
	sleep 0.5
	must mlink connect p0 vm01 connect 127.0.0.1 "$1" 2000
	wait "$lpid" || fail "the secondary's side of the link failed"
}
