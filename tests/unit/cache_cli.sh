#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cairnctl's RAM cache commands without a kernel: build/user/tests/bin/
# cairnctl-fake is cairnctl linked with tests/unit/fake_cache.c, a
# stand-in for CACHE_SET, CACHE_GET, VOLUME_CACHE and VOLUME_GET's cache
# (one pool p0, one volume vm01).  Checked: the grammar of /cache and
# /volumes/VOL cache, exit status 2 with the bad value named and nothing
# changed for bad input, the kernel's refusals passed on with status 1,
# status and -j, completion of the cache's words, what the configuration
# file records, and restoreconfig bringing the budget and the volume's
# cache back (budget first) on a "kernel" that lost them, then changing
# nothing when run again.  What the real kernel does is tests/vm's to
# check; this is cairnctl's and libcairn's side of the ABI.
#
#   tests/unit/cache_cli.sh [CAIRNCTL-FAKE]
# Exit status 0, 1 on a failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${1:-$top/build/user/tests/bin/cairnctl-fake}
work=$(mktemp -d /tmp/cairn-cache-cli.XXXXXX) || exit 1
export CAIRN_CONFIG=$work/cairn.json CAIRN_FAKE_STATE=$work/state
export CAIRN_PIDFILE=$work/cairnd.pid
bad=0

# run WANT_RC ARGS...: cairnctl's output (stdout and stderr) in $out.
run() {
	local want=$1 rc
	shift
	out=$("$ctl" "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then
		echo "ok   cairnctl $* -> $rc"
	else
		echo "FAIL cairnctl $* -> $rc, expected $want: $out"
		bad=1
	fi
}

# has TEXT...: each TEXT is in $out.
has() {
	local t
	for t in "$@"; do
		if [[ $out != *"$t"* ]]; then
			echo "FAIL output lacks '$t': $out"
			bad=1
		fi
	done
}

# conf TEXT...: each TEXT is in the configuration file (or, with !, not).
conf() {
	local t text
	text=$(tr -d ' \n' <"$CAIRN_CONFIG" 2>/dev/null)
	for t in "$@"; do
		if [[ $t == !* ]]; then
			[[ $text != *"${t#!}"* ]] && continue
		elif [[ $text == *"$t"* ]]; then
			continue
		fi
		echo "FAIL configuration: '$t': $text"
		bad=1
	done
}

[ -x "$ctl" ] || { echo "FAIL $ctl: not built (make user)"; exit 1; }

run 0 /cache
has "cache budget none, used 0 B (0%), 0 volumes with a cache"
run 0 -j /cache status
has '"budget":0' '"volumes":0' '"hit_rate":null' '"blocks_per_destage":null'

# Bad values: status 2, the value named, nothing asked of the kernel.
run 2 /cache set budget=12Q
has "budget: '12Q' is not a size"
run 2 /cache set
has "budget is required"
run 2 /volumes/vm01 cache mode=writearound
has "mode: 'writearound' is not off, writethrough or writeback"
run 2 /volumes/vm01 cache mode=writeback flush=ram
has "flush: 'ram' is neither disk nor mirror"
run 2 /volumes/vm01 cache mode=writeback seq-cutoff=1X
has "seq_cutoff: '1X' is not a size"
run 2 /volumes/vm01 cache mode=writeback seq_cutoff=4G
has "seq_cutoff: '4G' is above 4G-1"
run 2 /volumes/vm01 cache mode=off flush=disk
has "mean nothing with mode=off"
run 2 /volumes/vm01 cache
has "nothing to set"
run 2 /volumes/vm01 cache colour=blue
has "unexpected argument 'colour=blue'"
[ -e "$CAIRN_FAKE_STATE" ] && { echo "FAIL bad input reached the kernel"; bad=1; }
[ -e "$CAIRN_CONFIG" ] && { echo "FAIL bad input saved a configuration"; bad=1; }

# The kernel's refusals: status 1, its message.
run 1 /volumes/vm01 cache mode=writeback
has "volume cache: no cache budget (CACHE_SET)"
run 1 /cache set budget=1000000
has "cache set budget: cache budget: not a multiple of 1 MiB"
run 1 /volumes/vm01 cache flush=mirror
has "volume vm01 has no cache: give mode=writethrough or mode=writeback"

run 0 /cache set budget=256M
has "Cache budget none -> 256 MiB."
conf '"cache":{"budget":268435456}'
run 0 /volumes/vm01 cache mode=writeback seq-cutoff=64K
has "Volume vm01: cache writeback, flush disk, sequential cutoff 64 KiB; write-back now yes."
conf '"cache":{"mode":"writeback","flush":"disk","seq_cutoff":65536}'
# flush alone keeps the mode (and the cutoff).
run 0 /volumes/vm01 cache flush=mirror
has "cache writeback, flush mirror, sequential cutoff 64 KiB; write-back now no."
conf '"cache":{"mode":"writeback","flush":"mirror","seq_cutoff":65536}'

run 0 /volumes/vm01 status
has "  cache: writeback, flush mirror, write-back now no, sequential cutoff 64 KiB" \
	"held 12.0 MiB (3072 blocks), dirty 1.0 MiB (256 blocks)" \
	"1000 hits, 200 misses, hit rate 83%" "500 from RAM, 10 bypassed" \
	"40 writes, 256 blocks, 6.4 blocks per write; 12 evictions"
run 0 -j /volumes/vm01 status
has '"cache":{' '"mode":"writeback"' '"flush":"mirror"' '"write_back":false' \
	'"seq_cutoff":65536' '"used":12582912' '"blocks":3072' '"dirty":1048576' \
	'"dirty_blocks":256' '"hit_rate":83' '"blocks_per_destage":6.4' \
	'"read_hits":1000' '"destage_writes":40' '"destaged":256'
run 0 -j /cache
has '"budget":268435456' '"volumes":1' '"used":12582912'
run 0 /cache
has "cache budget 256.0 MiB, used 12.0 MiB (4%), 1 volume with a cache"
run 0 ls
has "o- cache" "[budget 256.0 MiB, 12.0 MiB used, 1 volume]" "cache writeback"

# A budget the caches need is refused; off drains, then it goes.
run 1 /cache set budget=0
has "the volumes' caches hold more"
conf '"budget":268435456'

# The kernel loses everything (a reboot); restore brings it back.
cp "$CAIRN_CONFIG" "$work/saved.json"
rm -f "$CAIRN_FAKE_STATE"
run 0 restoreconfig
has "cache budget 256.0 MiB" "volume p0/vm01: cache writeback, flush mirror, sequential cutoff 64.0 KiB"
[[ $out == *"cache budget"*"volume p0/vm01: cache"* ]] ||
	{ echo "FAIL restore: the budget did not come first: $out"; bad=1; }
run 0 /volumes/vm01 status
has "cache: writeback, flush mirror, write-back now no, sequential cutoff 64 KiB"
run 0 restoreconfig
[[ $out == *"cache budget"* || $out == *": cache "* ]] &&
	{ echo "FAIL restore again changed the cache: $out"; bad=1; }

run 0 /volumes/vm01 cache mode=off
has "Volume vm01: cache off; every dirty block is on the members."
conf '!"mode"' '"budget":268435456'
run 0 /cache set budget=0
has "Released the cache budget (was 256 MiB)."
conf '!"cache"'
run 0 -j /volumes/vm01 status
[[ $out == *'"cache"'* ]] && { echo "FAIL a cache after mode=off: $out"; bad=1; }

# Completion of the cache's words (what the bash completion asks for).
run 0 __complete /volumes/vm01 cache mode=w
[ "$(xargs <<<"$out")" = "mode=writethrough mode=writeback" ] ||
	{ echo "FAIL completion of mode=w: $out"; bad=1; }
run 0 __complete /volumes/vm01 cache flush=
[ "$(xargs <<<"$out")" = "flush=disk flush=mirror" ] ||
	{ echo "FAIL completion of flush=: $out"; bad=1; }
run 0 __complete /volumes/vm01 cache ""
[ "$(xargs <<<"$out")" = "mode= flush= seq_cutoff=" ] ||
	{ echo "FAIL completion of the parameters: $out"; bad=1; }

# A configuration of before the cache still loads.
cat >"$CAIRN_CONFIG" <<'EOF'
{ "version": 1, "pools": [ { "name": "p0",
  "uuid": "aa000000-0000-0000-0000-000000000000",
  "members": [ { "device": "/dev/vda", "uuid": "bb000000-0000-0000-0000-000000000000" } ] } ],
  "volumes": [ { "pool": "p0", "name": "vm01",
  "uuid": "01000000-0000-0000-0000-000000000000", "size": 1073741824 } ] }
EOF
run 0 saveconfig
conf '"name":"vm01"' '!"cache"'

rm -rf "$work"
[ "$bad" = 0 ] && echo "cache_cli: all cases passed"
exit "$bad"
