# tests/e2e/lib/html.sh - sourced by tests/e2e/run.sh: the demo run's
# HTML report in headless Chromium (docs/REPORTS.md, "HTML"). SQLite only
# (the page is the same on every backend); a missing chromium is a
# failure (make deps installs it: etc/debian-packages.txt).
#
# The page reads a URL fragment (#sort=...&filter=...&test=1) and writes
# what it shows into <pre id="test-out">, and marks <html data-ready=MS>
# when the table is interactive; --dump-dom gives both back:
#  1. it runs: ready marker, "errors 0", no console message and no CSP
#     refusal on stderr; the summary cards, outcome table and the SVG
#     charts are in the DOM; the table holds one page of rows;
#  2. sort by difference, descending: the shown values do not increase;
#  3. filter EUR: as many lines as CSV records that mention eur; the
#     outcome filter: as many as the CSV has of that outcome;
#  4. the deal named <script>alert(1)</script>: its full record shows
#     the name as text, and no such element exists in the DOM;
#  5. the CSP is enforced: a copy with one byte of the script changed
#     does not run (Chromium refuses it, no ready marker);
#  6. a screenshot, kept as out/e2e/sqlite/html/report.png, and a PDF
#     print (report.pdf); the print view (print=1) holds all 2,000 lines
#     of the synthetic page;
#  7. the lifecycle on 2,000 synthetic lines (out/bin/html-gen): the
#     state filter, "explained before", and a line's message (a template
#     in the data) and difference (computed by the page) equal to the
#     CSV of the same lines;
#  8. a page of 200,000 synthetic lines (out/bin/html-gen) reaches its
#     ready marker (the time is printed, not asserted: make bench-html).
#
# Uses run.sh's pass/fail/check, csv_records, $US, $backend, $work,
# $reports, $report_base, $root.

ht=$work/html
browser=$(command -v chromium || command -v chromium-browser || true)
if [ "$backend" != sqlite ]; then
	:
elif [ -z "$browser" ]; then
	# the browser checks are what issue 12 asks for: not optional
	fail "html: chromium is not installed (make deps installs it: etc/debian-packages.txt)"
else
	rm -rf "$ht"
	mkdir -p "$ht/profile"
	page=$ht/report.html
	cp "$reports/$report_base.html" "$page"
	csv=$reports/$report_base.csv

	# ht_dom NAME FRAGMENT: the DOM after the script ran, in $ht/NAME.dom,
	# Chromium's log in $ht/NAME.err
	ht_dom() {
		timeout 120 "$browser" --headless --disable-gpu --no-sandbox \
			--user-data-dir="$ht/profile" --enable-logging=stderr --v=0 \
			--dump-dom "file://$3#$2" >"$ht/$1.dom" 2>"$ht/$1.err"
	}
	ht_out() { # the test-out lines of a dump
		sed -n '/<pre id="test-out">/,/<\/pre>/p' "$ht/$1.dom" | sed 's/<[^>]*>//g'
	}

	ht_dom plain "test=1" "$page"
	if grep -q 'data-ready="[0-9]*"' "$ht/plain.dom" && ht_out plain | grep -q '^errors 0'; then
		pass "HTML report runs in headless Chromium (ready marker, no script error)"
	else
		fail "HTML report runs in headless Chromium" "$(ht_out plain)" "$(tail -5 "$ht/plain.err")"
	fi
	if grep -E 'CONSOLE|Content Security Policy|Refused to' "$ht/plain.err" >"$ht/console.txt"; then
		fail "HTML report: no console message, no CSP refusal" "$(head -5 "$ht/console.txt")"
	else
		pass "HTML report: no console message, no CSP refusal"
	fi
	# the header names each rule file with the SHA-256 of its bytes
	ht_rf=0
	for f in translate orders; do
		h=$(sha256sum "rules/demo/$f.lua" | cut -d' ' -f1)
		grep -q "<dt>Rule file</dt><dd>\.\./rules/demo/$f\.lua, sha256 $h</dd>" "$page" && ht_rf=$((ht_rf + 1))
	done
	if [ "$ht_rf" = 2 ]; then
		pass "HTML header: each rule file with the SHA-256 of its bytes"
	else
		fail "HTML header: each rule file with the SHA-256 of its bytes" "$(grep -o '<dt>Rule file</dt><dd>[^<]*' "$page")"
	fi
	nexc=$(csv_records "$csv" | awk 'NR > 1' | wc -l)
	if grep -q '<div class="v">'"$nexc"'</div><div class="l">exceptions' "$ht/plain.dom" &&
		grep -q '<figcaption>Exceptions by outcome</figcaption>' "$ht/plain.dom" &&
		grep -q '<figcaption>Matched versus exceptions</figcaption>' "$ht/plain.dom" &&
		[ "$(grep -c '<svg ' "$ht/plain.dom")" -ge 2 ] &&
		grep -q '<h2>Control totals by source</h2>' "$ht/plain.dom"; then
		pass "HTML summary: cards, outcome table, SVG charts, control totals in the DOM"
	else
		fail "HTML summary: cards, outcome table, SVG charts, control totals in the DOM" "$(grep -o '<figcaption>[^<]*' "$ht/plain.dom")"
	fi
	line=$(ht_out plain | grep '^table exceptions' | head -1)
	check "HTML table holds all $nexc lines, one page" [ "${line#table exceptions rows $nexc matching $nexc shown $nexc }" != "$line" ]

	ht_dom sort "test=1&sort=amount&desc=1" "$page"
	vals=$(ht_out sort | grep '^table exceptions' | sed 's/.* first //' | tr ',' '\n' | sed 's/.*=//')
	if [ -n "$vals" ] && printf '%s\n' "$vals" | awk 'NR > 1 && $1 + 0 > prev + 0 { bad = 1 } { prev = $1 } END { exit bad }' &&
		ht_out sort | grep -q 'sort amount desc'; then
		pass "HTML sort by difference, descending: $(printf '%s' "$vals" | tr '\n' ' ')"
	else
		fail "HTML sort by difference, descending" "$(ht_out sort)"
	fi

	want=$(csv_records "$csv" | awk 'NR > 1' | grep -ic eur)
	ht_dom filter "test=1&filter=EUR" "$page"
	check "HTML filter EUR: $want lines, as many as CSV records mention eur" \
		eval "ht_out filter | grep -q '^table exceptions rows $nexc matching $want shown $want '"
	want=$(csv_records "$csv" | awk -F "$US" '$1 == "AMOUNT_MISMATCH_DEAL_ORDER"' | wc -l)
	ht_dom outcome "test=1&outcome=AMOUNT_MISMATCH_DEAL_ORDER" "$page"
	check "HTML outcome filter: $want AMOUNT_MISMATCH_DEAL_ORDER lines, as in the CSV" \
		eval "ht_out outcome | grep -q '^table exceptions rows $nexc matching $want shown $want '"

	ht_dom xss "test=1&filter=alert(1)&open=0" "$page"
	if ht_out xss | grep -q '^detail .*Name&lt;script&gt;alert(1)&lt;/script&gt;' &&
		! grep -q '<script>alert' "$ht/xss.dom" && ht_out xss | grep -q '^errors 0'; then
		pass "HTML shows the deal named <script>alert(1)</script> as text (full record), no such element"
	else
		fail "HTML shows the deal named <script>alert(1)</script> as text" "$(ht_out xss | head -3)"
	fi

	# the rule's comparison: the difference and the tolerance applied
	# (SO-99000026: ERP 999.98 against the order's 1000.00, USD 0.01)
	ht_dom tol "test=1&filter=SO-99000026&open=0" "$page"
	if ht_out tol | grep -q '^detail .*Difference-0\.02Tolerance applied0\.01Message' &&
		grep -q '<th[^>]*><button[^>]*>Tolerance</button></th>' "$ht/tol.dom"; then
		pass "HTML shows the difference and the tolerance the rule applied (a Tolerance column, the full record)"
	else
		fail "HTML shows the difference and the tolerance the rule applied" "$(ht_out tol | head -3)" \
			"$(grep -o '<th[^>]*><button[^>]*>[^<]*' "$ht/tol.dom" | head -20)"
	fi

	sed 's/(function () {/(function  () {/' "$page" >"$ht/tampered.html"
	ht_dom tampered "test=1" "$ht/tampered.html"
	if ! grep -q 'data-ready="' "$ht/tampered.dom" && grep -q "violates the following Content Security Policy directive 'script-src" "$ht/tampered.err"; then
		pass "HTML CSP: a script one byte off its hash is refused"
	else
		fail "HTML CSP: a script one byte off its hash is refused" "$(grep -c 'data-ready="' "$ht/tampered.dom") ready markers" "$(grep -i 'security policy' "$ht/tampered.err" | head -2)"
	fi

	(cd "$ht" && timeout 120 "$browser" --headless --disable-gpu --no-sandbox \
		--user-data-dir="$ht/profile" --hide-scrollbars --window-size=1400,2400 \
		--screenshot="$ht/report.png" "file://$page" >/dev/null 2>&1)
	check "HTML screenshot saved (out/e2e/$backend/html/report.png)" [ -s "$ht/report.png" ]

	# the lifecycle: a synthetic report of 2,000 lines (out/bin/html-gen),
	# one in four reopened, the first of them explained before; its
	# message (a template in the data) and difference (computed by the
	# page) against the CSV of the same lines
	if [ -x "$root/out/bin/html-gen" ]; then
		"$root/out/bin/html-gen" 2000 "$ht" life >/dev/null
		ht_dom life "test=1&state=reopened&open=0" "$ht/life.html"
		key=SO-10000021
		msg=$(csv_records "$ht/life.csv" | awk -F "$US" -v k=$key '$3 == k { print $18 }')
		diff=$(csv_records "$ht/life.csv" | awk -F "$US" -v k=$key '$3 == k { printf "%.2f", $11 - $10 }')
		det=$(ht_out life | grep '^detail ')
		ht_dom print "test=1&print=1" "$ht/life.html"
		check "HTML print view: the 2,000 lines in full (the screen shows 100)" \
			eval "ht_out print | grep -q '^table exceptions rows 2000 matching 2000 shown 2000 '"
		(cd "$ht" && timeout 120 "$browser" --headless --disable-gpu --no-sandbox \
			--user-data-dir="$ht/profile" --no-pdf-header-footer \
			--print-to-pdf="$ht/report.pdf" "file://$page" >/dev/null 2>&1)
		check "HTML prints to PDF (out/e2e/$backend/html/report.pdf)" \
			eval "[ \"\$(head -c 4 '$ht/report.pdf')\" = %PDF ]"
		if ht_out life | grep -q "^table exceptions rows 2000 matching 500 shown 100 .* first $key=" &&
			grep -q '<td>reopened (explained before)</td>' "$ht/life.dom" &&
			case $det in *"Explained beforeyes"*) true ;; *) false ;; esac &&
			case $det in *"Message$msg"Rule*) true ;; *) false ;; esac &&
			case $det in *"Difference$diff"Message*) true ;; *) false ;; esac &&
			[ -n "$msg" ]; then
			pass "HTML lifecycle: state filter (500 reopened), explained before shown, message and difference as in the CSV ($msg)"
		else
			fail "HTML lifecycle: state filter, explained before, message and difference as in the CSV" "$(ht_out life | head -2)" "CSV: $msg / $diff"
		fi
	fi

	if [ -x "$root/out/bin/html-gen" ]; then
		"$root/out/bin/html-gen" 200000 "$ht" big >/dev/null
		t0=$(date +%s)
		ht_dom big "" "$ht/big.html"
		ms=$(grep -o 'data-ready="[0-9]*"' "$ht/big.dom" | tr -dc 0-9)
		rm -f "$ht/big.dom"
		if [ -n "$ms" ]; then
			pass "HTML page of 200,000 lines ($(($(stat -c %s "$ht/big.html") / 200000)) bytes a line) interactive at $ms ms (Chromium, $(($(date +%s) - t0)) s with start and DOM dump)"
		else
			fail "HTML page of 200,000 lines reaches its ready marker" "$(tail -3 "$ht/big.err")"
		fi
		rm -f "$ht/big.html" "$ht/big.csv" "$ht/big-summary.csv"
	else
		fail "HTML page of 200,000 lines" "no out/bin/html-gen (make out/bin/html-gen)"
	fi
fi
