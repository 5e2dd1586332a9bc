#!/bin/bash
# tools/bench-html.sh - the HTML report at volume (`make bench-html`;
# docs/REPORTS.md, "Sizes and speed"). Writes BENCH_HTML_N synthetic
# exception lines (default 200000) through the new writer (html-gen) and
# the old writer's (html-gen-old, commit 677f056), prints bytes per line of each, then opens the
# new page in headless Chromium and prints the page's own ready marker
# (performance.now() when the table is interactive) for a plain open and
# for an open that filters and sorts. BENCH_HTML_OLD=1 also tries the old
# page (it needs minutes, if it finishes at all; capped at 120 s).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${BENCH_HTML_N:-200000}
dir=out/bench-html
mkdir -p "$dir"
out/bin/html-gen "$n" "$dir" new >/dev/null
out/bin/html-gen-old "$n" "$dir" old >/dev/null
new=$(stat -c %s "$dir/new.html")
old=$(stat -c %s "$dir/old.html")
awk -v n="$n" -v a="$old" -v b="$new" 'BEGIN {
	printf "lines %d\nold writer: %d bytes, %.1f bytes/line\nnew writer: %d bytes, %.1f bytes/line (%.3f of old)\n", n, a, a / n, b, b / n, b / a }'
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "bench-html: no chromium, no timing"
	exit 0
fi
ready() { # URL-fragment -> "ready MS wall S"
	local t0 t1 dom
	t0=$(date +%s.%N)
	dom=$(timeout 120 "$browser" --headless --disable-gpu --no-sandbox \
		--dump-dom "file://$root/$1" 2>/dev/null | grep -o 'data-ready="[0-9]*"' || true)
	t1=$(date +%s.%N)
	awk -v d="${dom:-none}" -v a="$t0" -v b="$t1" 'BEGIN {
		gsub(/[^0-9]/, "", d); printf "ready %s ms (chromium start to DOM dump: %.1f s)\n", d == "" ? "never" : d, b - a }'
}
echo "new page, plain open: $(ready "$dir/new.html")"
echo "new page, filter EUR, sort by difference: $(ready "$dir/new.html#filter=EUR&sort=amount&desc=1")"
if [ "${BENCH_HTML_OLD:-}" = 1 ]; then
	t0=$(date +%s)
	if timeout 120 "$browser" --headless --disable-gpu --no-sandbox \
		--dump-dom "file://$root/$dir/old.html" >/dev/null 2>&1; then
		echo "old page: DOM dumped after $(( $(date +%s) - t0 )) s"
	else
		echo "old page: not rendered within 120 s"
	fi
fi
