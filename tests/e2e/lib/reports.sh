# tests/e2e/lib/reports.sh - sourced by tests/e2e/run.sh after the demo
# run's report checks: the report files as other systems and Excel read
# them (docs/REPORTS.md).
#
#  1. the demo run's XML is valid against etc/report.xsd (xmllint), names
#     the run the ledger has, and has as many exceptions as the CSV;
#  2. every report file is mode 0640 (not world-readable);
#  3. the exception CSV parsed back (csv.awk): no cell begins with a
#     formula character unless it is a bare plain-decimal amount; the
#     =HYPERLINK deal name is written with the leading quote, in the
#     file's bytes;
#  4. the CSV's amounts tie to the run ledger: per outcome and currency,
#     the sum over the record lines (each key's first line, which is its
#     primary outcome: lines come in outcome order) of the order's amount,
#     else the deal's, else the ERP's equals T_runs.outcomes' amounts and
#     counts (DUPLICATE_KEY and RULE_ERROR lines carry no record);
#  5. a copy of the job with csv-bom="false" csv-columns="full" and its
#     field delivery_date report="false" (its own store, --report-dir,
#     --state-dir, --tmpdir): no BOM; the 18 fixed and the 5 lifecycle
#     columns first, then the rest of the lifecycle, then the
#     report="false" field's columns last, holding the values the demo
#     run's CSV has in its delivery_date columns, line for line; the
#     field in no other report (the XML).
#
# Uses run.sh's pass/fail/check, csv_records, db_reset, store_query,
# $US, $backend, $work, $recon, $asof, $root, $reports, $csv, $html,
# $summary, $report_base, $store_pg, $store_file.

rp=$work/reports-fmt
rm -rf "$rp"
mkdir -p "$rp/tmp"
xml=$reports/$report_base.xml

# 1. the XML
if [ ! -f "$xml" ]; then
	fail "XML report written" "no $xml"
else
	if xmllint --noout --schema "$root/etc/report.xsd" "$xml" >"$rp/xmllint.txt" 2>&1; then
		pass "XML report is valid against etc/report.xsd (xmllint)"
	else
		fail "XML report is valid against etc/report.xsd (xmllint)" "$(head -5 "$rp/xmllint.txt")"
	fi
	rp_rid=$(sed -n 's|^ *<run-id>\(.*\)</run-id>$|\1|p' "$xml" | head -1)
	n=$(store_query "$store_pg" "$store_file" "SELECT count(*) FROM reconciled_orders_runs WHERE run_id = '$rp_rid'")
	if [ -n "$rp_rid" ] && [ "$n" = 1 ]; then
		pass "XML header names the run the ledger has ($rp_rid)"
	else
		fail "XML header names the run the ledger has" "run-id '$rp_rid', ledger rows '$n'"
	fi
	nx=$(sed -n 's|^ *<exceptions count="\([0-9]*\)".*|\1|p' "$xml")
	nc=$(csv_records "$csv" | awk 'NR > 1' | wc -l)
	ne=$(grep -c '^ *<exception>$' "$xml")
	if [ -n "$nx" ] && [ "$nx" = "$nc" ] && [ "$nx" = "$ne" ]; then
		pass "XML has the CSV's $nc exceptions"
	else
		fail "XML has the CSV's exceptions" "count=$nx elements=$ne csv=$nc"
	fi
fi

# 2. modes
bad=
for f in "$csv" "$summary" "$html" "$xml"; do
	m=$(stat -c %a "$f" 2>/dev/null)
	[ "$m" = 640 ] || bad="$bad $(basename "$f"):${m:-missing}"
done
if [ -z "$bad" ]; then pass "report files are mode 0640"; else fail "report files are mode 0640" "$bad"; fi

# 3. injection: parse back every cell of every line
bad=$(csv_records "$csv" | awk -F "$US" '
	NR == 1 { for (i = 1; i <= NF; i++) num[i] = ($i ~ /_amount$/ || $i == "difference" || $i == "tolerance"); next }
	{
		for (i = 1; i <= NF; i++) {
			c = substr($i, 1, 1)
			if (c ~ /[=+@\t\r]/ || (c == "-" && !(num[i] && $i ~ /^-[0-9]+(\.[0-9]+)?$/)))
				print NR ": field " i ": " $i
		}
	}')
if [ -z "$bad" ]; then
	pass "CSV parsed back: no cell starts with = + - @ TAB CR (but a negative amount)"
else
	fail "CSV parsed back: no cell starts with = + - @ TAB CR (but a negative amount)" "$bad"
fi
check "CSV file holds the =HYPERLINK name quoted, with the leading quote" grep -qF "\"'=HYPERLINK(" "$csv"

# 4. totals against the ledger. Amounts to integers of 10^-6 (exact in
# awk's doubles for these magnitudes), "OUTCOME CUR count micro" lines.
rp_norm='
function micro(a,   s, i, f) {
	s = 1
	if (substr(a, 1, 1) == "-") { s = -1; a = substr(a, 2) }
	i = a; f = ""
	if (index(a, ".")) { i = substr(a, 1, index(a, ".") - 1); f = substr(a, index(a, ".") + 1) }
	f = substr(f "000000", 1, 6)
	return s * (i * 1000000 + f)
}'
csv_records "$csv" | awk -F "$US" "$rp_norm"'
	NR == 1 || $1 == "DUPLICATE_KEY" || $1 == "RULE_ERROR" || seen[$3]++ { next }
	{
		a = $11 != "" ? $11 : $10 != "" ? $10 : $12
		k = $1 " " $9
		if (a != "") { sum[k] += micro(a); n[k]++ }
		cnt[$1]++
	}
	END {
		for (k in sum) printf "amount %s %.0f\n", k, sum[k]
		for (o in cnt) printf "count %s %d\n", o, cnt[o]
	}' | LC_ALL=C sort >"$rp/csv-totals.txt"
store_query "$store_pg" "$store_file" "SELECT outcomes FROM reconciled_orders_runs WHERE run_id = '$rp_rid'" |
	awk "$rp_norm"'
	{
		s = $0
		while (match(s, /"[A-Z_]+":\{"count":[0-9]+,"amounts":\{[^}]*\}\}/)) {
			e = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			split(e, p, "\"")
			o = p[2]
			if (o == "DUPLICATE_KEY" || o ~ /^(MATCHED|PENDING_ORDER|PENDING_ERP|REMOVED)$/)
				continue
			c = e; sub(/^[^:]*:\{"count":/, "", c); sub(/,.*/, "", c)
			printf "count %s %d\n", o, c
			am = e; sub(/^.*"amounts":\{/, "", am); sub(/\}\}$/, "", am)
			while (match(am, /"[^"]*":"-?[0-9.]+"/)) {
				kv = substr(am, RSTART, RLENGTH); am = substr(am, RSTART + RLENGTH)
				split(kv, q, "\"")
				printf "amount %s %s %.0f\n", o, q[2], micro(q[4])
			}
		}
	}' | LC_ALL=C sort >"$rp/ledger-totals.txt"
if [ -s "$rp/ledger-totals.txt" ] && diff -u "$rp/ledger-totals.txt" "$rp/csv-totals.txt" >"$rp/totals.diff"; then
	pass "CSV parsed back: amounts per outcome and currency, and counts, equal the run ledger's ($(grep -c '^amount' "$rp/csv-totals.txt") sums)"
else
	fail "CSV parsed back: amounts per outcome and currency equal the run ledger's" "diff ledger csv:" "$(head -30 "$rp/totals.diff")"
fi

# 5. csv-bom="false" csv-columns="full"
if [ "$backend" = pg ] || [ "$backend" = maria ]; then
	rp_store=rp_store
	db_reset "$rp_store" "" "" || abort "reports: create database $rp_store"
else
	rp_store=$rp/store.db
fi
mkdir -p "$rp/ini"
awk -v db="$rp_store" '
	/^\[/ { sect = $0 }
	sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
	{ print }' "$work/odbc.ini" >"$rp/ini/odbc.ini"
: >"$rp/ini/odbcinst.ini"
sed -e "s|\.\./rules/|$root/rules/|g" \
	-e 's|formats="csv html xml"|formats="csv xml" csv-bom="false" csv-columns="full"|' \
	-e 's|<field name="delivery_date" type="date" roles="order erp"/>|<field name="delivery_date" type="date" roles="order erp" report="false"/>|' \
	"$root/jobs/orders-nightly.xml" >"$rp/job.xml"
tools/env.sh "$rp/ini" "$recon" run "$rp/job.xml" --as-of "$asof" \
	--report-dir "$rp/out" --state-dir "$rp/state" --tmpdir "$rp/tmp" -q \
	>"$rp/run.out" 2>"$rp/run.err"
rc=$?
full=$rp/out/$report_base.csv
if [ "$rc" != 1 ] || [ ! -f "$full" ]; then
	fail "csv-columns=\"full\" run exits 1 with a CSV" "rc $rc" "$(tail -5 "$rp/run.err")"
else
	check "csv-bom=\"false\": the CSV starts with the header, no BOM" [ "$(head -c 9 "$full")" = '"outcome"' ]
	hdr=$(csv_records "$full" | head -1 | tr "$US" , | cut -d, -f19-)
	want=state,first_as_of,age_days,note_state,note_text,first_run,note_by,note_time,explained_before,order.fields.delivery_date,erp.fields.delivery_date
	if [ "$hdr" = "$want" ]; then pass "csv-columns=\"full\": the lifecycle columns, then the report=\"false\" field last"; else fail "csv-columns=\"full\" header" "got:  $hdr" "want: $want"; fi
	csv_records "$csv" >"$rp/default.rec"
	# the demo's column order again: fixed, the field, 5 lifecycle; the
	# copy names its rules by absolute path (the where column)
	csv_records "$full" | awk -F "$US" -v OFS="$US" '{
			if (NF != 29) { print "NF " NF; next }
			l = $1
			for (i = 2; i <= 18; i++) l = l OFS $i
			l = l OFS $28 OFS $29
			for (i = 19; i <= 23; i++) l = l OFS $i
			print l
		}' | sed "s|$root/rules/|../rules/|g" >"$rp/full.rec"
	if cmp -s "$rp/default.rec" "$rp/full.rec"; then
		pass "csv-columns=\"full\": 29 columns, the default CSV's cells line for line (delivery_date's values in the last two)"
	else
		fail "csv-columns=\"full\": the default CSV's cells line for line" "$(diff "$rp/default.rec" "$rp/full.rec" | head -10)"
	fi
	check "report=\"false\": the field is not in the XML" eval "! grep -q 'fields.delivery_date' '$rp/out/$report_base.xml'"
	if xmllint --noout --schema "$root/etc/report.xsd" "$rp/out/$report_base.xml" >/dev/null 2>&1; then
		pass "XML of the second run valid too"
	else
		fail "XML of the second run valid too"
	fi
fi
