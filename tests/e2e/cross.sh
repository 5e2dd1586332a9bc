#!/bin/bash
# tests/e2e/cross.sh [BACKEND...] - after tests/e2e/run.sh has run on each
# BACKEND (default sqlite pg maria; tests/e2e/all.sh runs them), compare
# their demo runs: the same job on the same generated rows must give
#   - the same exception CSV, byte for byte, and
#   - the same records: every version of the demo store with its kind,
#     key, version, outcome, codes, value_hash (the hash of the record's
#     values: docs/LEDGER.md), rules_hash and sources JSON (the row
#     fingerprints), whichever DBMS the sources and the store are on.
# content_hash and prev_hash are not compared: they cover the run id,
# which differs between any two runs by design.
# Reads out/e2e/BACKEND/cross/{records.txt,exceptions.csv}, which run.sh
# writes after its demo run. Prints one line per check; exits non-zero if
# anything differs or is missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite pg maria)
base=${backends[0]}
passed=0
failed=0
for f in records.txt exceptions.csv; do
	a=out/e2e/$base/cross/$f
	for b in "${backends[@]:1}"; do
		o=out/e2e/$b/cross/$f
		if [ ! -s "$a" ] || [ ! -s "$o" ]; then
			echo "FAIL cross: $base and $b: $f (missing: run tests/e2e/run.sh on both)"
			failed=$((failed + 1))
		elif cmp -s "$a" "$o"; then
			if [ "$f" = records.txt ]; then
				echo "ok   cross: $base and $b: the same records ($(wc -l <"$a") versions: values, outcome, sources fingerprints)"
			else
				echo "ok   cross: $base and $b: the same exception CSV, byte for byte"
			fi
			passed=$((passed + 1))
		else
			echo "FAIL cross: $base and $b: $f differs"
			diff "$a" "$o" | head -10 | sed 's/^/       /'
			failed=$((failed + 1))
		fi
	done
done
echo "e2e cross: $passed passed, $failed failed"
[ "$failed" = 0 ]
