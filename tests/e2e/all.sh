#!/bin/bash
# tests/e2e/all.sh [BACKEND...] - the end-to-end suite on every backend at
# once (make e2e): tests/e2e/run.sh sqlite, pg and maria in parallel, each
# in its own out/e2e/BACKEND with its own throwaway server, then
# tests/e2e/cross.sh, which compares their results (the same records and
# the same exception CSV, byte for byte). Each run's log goes to
# out/e2e/BACKEND.log; a failed run's last lines are printed. Exits
# non-zero if any run or the comparison fails.
#
# The runs compare with each other only through cross.sh
# (RECON_E2E_CROSS=later): run.sh pg on its own compares with an earlier
# run.sh sqlite, which here may still be running.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite pg maria)
mkdir -p out/e2e

t0=$(date +%s)
declare -A pid
for b in "${backends[@]}"; do
	RECON_E2E_CROSS=later tests/e2e/run.sh "$b" >"out/e2e/$b.log" 2>&1 &
	pid[$b]=$!
done
bad=0
for b in "${backends[@]}"; do
	wait "${pid[$b]}"
	rc=$?
	summary=$(grep '^e2e: [0-9]* passed' "out/e2e/$b.log" | tail -1)
	echo "e2e $b: exit $rc, ${summary#e2e: }"
	if [ "$rc" != 0 ]; then
		bad=1
		echo "---- out/e2e/$b.log (failures and last lines)"
		grep -A6 '^FAIL' "out/e2e/$b.log" | head -60
		echo "...."
		tail -15 "out/e2e/$b.log"
		echo "----"
	fi
done
echo "e2e: the backends took $(($(date +%s) - t0)) s"

if [ ${#backends[@]} -gt 1 ]; then
	tests/e2e/cross.sh "${backends[@]}" || bad=1
fi
[ "$bad" = 0 ]
