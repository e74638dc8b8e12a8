#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cairnctl's bash completion (userland/cairnctl/cairnctl.bash-completion)
# on this host, as bash-completion loads it: registered for cairnctl; paths,
# verbs, parameters, options and block devices complete without cairn.ko.
# Pool and volume names need the module: tests/vm/pkg/001 completes them
# from the installed package in a VM.
#
#   tests/unit/completion.sh [CAIRNCTL [SCRIPT]]
# Exit status 0, 1 on a failure, 77 when bash-completion is not installed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cairnctl=${1:-$top/build/user/bin/cairnctl}
script=${2:-$top/userland/cairnctl/cairnctl.bash-completion}
bad=0

if [ ! -f /usr/share/bash-completion/bash_completion ]; then
	echo "SKIP: bash-completion is not installed (make setup)"
	exit 77
fi
# shellcheck source=/dev/null
source /usr/share/bash-completion/bash_completion
# shellcheck source=/dev/null
source "$script"
PATH=$(dirname "$cairnctl"):$PATH

# compopt only works under readline; here it has nothing to change.
# shellcheck disable=SC2317 # called by _cairnctl
compopt() { :; }

# complete LINE: run the completion function as readline would with the
# cursor at the end of LINE; the candidates are left in COMPREPLY.
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	read -ra COMP_WORDS <<<"$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_cairnctl
}

# expect LINE CANDIDATE...: the candidates, in any order.
expect() {
	local line=$1 got want
	shift
	complete_line "$line"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
	want=$(printf '%s\n' "$@" | sort | xargs)
	if [ "$got" = "$want" ]; then
		echo "ok   '$line' -> $got"
	else
		echo "FAIL '$line' -> '$got', expected '$want'"
		bad=1
	fi
}

reg=$(complete -p cairnctl 2>&1)
if [ "$reg" = "complete -F _cairnctl cairnctl" ]; then
	echo "ok   $reg"
else
	echo "FAIL complete -p cairnctl: $reg"
	bad=1
fi

expect "cairnctl /po" /pools/
expect "cairnctl /" /pools/ /volumes/ /iscsi/ /loopback/ /fc/ /peers/ /cache/
expect "cairnctl /ca" /cache/
expect "cairnctl /cache s" set status
expect "cairnctl /cache set " budget=
expect "cairnctl -j /vo" /volumes/
expect "cairnctl sa" saveconfig
expect "cairnctl -" -j --json --help --man
expect "cairnctl /pools cr" create
expect "cairnctl /pools create " name= devices= chunk_size= threshold= nospace= nospace_timeout=
expect "cairnctl /pools create name=p0 ch" chunk_size=
expect "cairnctl /volumes create name=v1 " name= pool= size=
expect "cairnctl /iscsi create " wwn= nodes=
expect "cairnctl /loopback del" delete

# Block devices: after "=" (readline replaces the value only) and after
# the last comma of a list.
dev=$(find /dev -maxdepth 1 -type b | sort | head -n 1)
if [ -n "$dev" ]; then
	expect "cairnctl /pools create devices=$dev" "$dev"
	expect "cairnctl /pools create devices=$dev,$dev" "$dev,$dev"
else
	echo "note: no block device in /dev, device completion not tried"
fi

[ "$bad" = 0 ] && echo "completion: all cases passed"
exit "$bad"
