#!/bin/bash
# The "plain OpenSSH" baseline of exec_bench: one `ssh ... &` per host, then wait.
#
#   ssh_loop.sh HOSTS_FILE KEY KNOWN_HOSTS CONNECT_TIMEOUT KEX CMD...
#
# CONNECT_TIMEOUT and KEX (e.g. curve25519-sha256, for the control row) may be empty
# (ssh's defaults).  Every host is started at once (no fanout
# limit).  The remote output goes straight to stdout, unprefixed.  The last line on stderr
# is "ssh-loop: F of N failed"; the exit status is 0 only if every ssh exited 0.
set -u
hosts=$1 key=$2 kh=$3 ct=$4 kex=$5
shift 5
opts=(-n -F /dev/null -x -a -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes
      -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o LogLevel=ERROR -l root)
[[ -n $ct ]] && opts+=(-o ConnectTimeout="$ct")
[[ -n $kex ]] && opts+=(-o KexAlgorithms="$kex")
pids=()
while read -r h; do
    [[ -n $h ]] || continue
    ssh "${opts[@]}" "$h" "$@" &
    pids+=($!)
done <"$hosts"
fail=0
for p in "${pids[@]}"; do
    wait "$p" || fail=$((fail + 1))
done
echo "ssh-loop: $fail of ${#pids[@]} failed" >&2
((fail == 0))
