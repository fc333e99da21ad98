#!/bin/bash
# The "plain OpenSSH" baseline of exec_bench: one `ssh ... &` per host, then wait.
#
#   ssh_loop.sh HOSTS_FILE KEY KNOWN_HOSTS CONNECT_TIMEOUT CMD...
#
# CONNECT_TIMEOUT may be empty (ssh's default).  Every host is started at once (no fanout
# limit).  The remote output goes straight to stdout, unprefixed.  The last line on stderr
# is "ssh-loop: F of N failed"; the exit status is 0 only if every ssh exited 0.
set -u
hosts=$1 key=$2 kh=$3 ct=$4
shift 4
opts=(-n -F /dev/null -x -a -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes
      -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o LogLevel=ERROR -l root)
[[ -n $ct ]] && opts+=(-o ConnectTimeout="$ct")
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
