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
