# tests/e2e/lib/logs.sh - sourced by tests/e2e/run.sh after schedule.sh:
# the log of `recon run` (docs/LOGGING.md; engine/evlog.c, progress.c)
# on the demo.
#
# jobs/orders-nightly.xml into a store of its own (lg_store), with its
# own --state-dir, --report-dir and --tmpdir (tests/e2e/all.sh runs the
# backends at once), with a password in recon's environment (and, where
# the server ignores it, in the odbc.ini) that must reach no log line:
#  1. --log-format json --log-file F: every line of F is one JSON object
#     with exactly the keys time, level, job, run, phase, msg in that
#     order; stderr stays empty; the run's lines carry its id and job;
#     with RECON_PROGRESS_INTERVAL small there are progress events of
#     the read phase; F is created 0640 and a second run appends;
#  2. -q: no info event, the run still publishes;
#  3. a failing run (its crm source on a DSN that does not exist) logs
#     an error event naming the phase (read) and the DSN, and "nothing
#     was published";
#  4. text to a file: "TIME LEVEL JOB RUN PHASE: MSG"; a bad
#     --log-format is a usage error.
#
# Uses run.sh's pass/fail/check, db_reset and $backend, $work, $recon,
# $asof, $root.

lg=$work/logs
rm -rf "$lg"
mkdir -p "$lg/tmp" "$lg/ini"

if [ "$backend" = pg ] || [ "$backend" = maria ]; then
	lg_store=lg_store
	db_reset "$lg_store" "" "" || abort "logs: create database $lg_store"
else
	lg_store=$lg/store.db
fi
lg_secret=lg-secret-pwd-7f3a
# odbc.ini: run.sh's, with recon_demo_store on lg_store and (not on
# MariaDB, which refuses a password for a user without one) a Password
# line in the crm DSN
awk -v db="$lg_store" -v pw="$lg_secret" -v maria="$([ "$backend" = maria ] && echo 1)" '
	/^\[/ { sect = $0 }
	sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
	{ print }
	sect == "[recon_demo_crm]" && /^Driver *=/ && !maria { print "Password = " pw }' \
	"$work/odbc.ini" >"$lg/ini/odbc.ini"
: >"$lg/ini/odbcinst.ini"
# the credential in the environment: a PWD for crm where the server
# ignores it, and one for the DSN that does not exist (item 3)
if [ "$backend" = maria ]; then
	lg_env=(RECON_RECON_NO_SUCH_DSN_PWD="$lg_secret")
else
	lg_env=(RECON_RECON_DEMO_CRM_PWD="$lg_secret" RECON_RECON_NO_SUCH_DSN_PWD="$lg_secret")
fi
sed -e "s|\.\./rules/|$root/rules/|g" -e 's|dsn="recon_demo_crm"|dsn="recon_no_such_dsn"|' \
	jobs/orders-nightly.xml >"$lg/fail.xml"

# lg_run OUT JOB ARGS...: recon run JOB with the test's folders; stdout
# and stderr in OUT.*, the exit code in $lg_rc.
lg_run() {
	local out=$1 job=$2
	shift 2
	env "${lg_env[@]}" tools/env.sh "$lg/ini" "$recon" run "$job" --as-of "$asof" \
		--report-dir "$lg/reports" --state-dir "$lg/state" --tmpdir "$lg/tmp" "$@" \
		>"$out.stdout" 2>"$out.stderr"
	lg_rc=$?
}

# lg_json_lines FILE: every line one JSON object of exactly the six keys
# in order, each a string without a raw control character or a bad
# escape; prints the first bad line.
lg_json_lines() {
	awk '
		BEGIN { str = "\"([^\"\\\\[:cntrl:]]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-f]{4})*\"" }
		{
			re = "^\\{\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\"," \
			     "\"level\":\"(error|warning|info)\",\"job\":" str ",\"run\":" str \
			     ",\"phase\":" str ",\"msg\":" str "\\}$"
			if ($0 !~ re) { print "line " NR ": " $0; bad = 1; exit }
		}
		END { exit bad || NR == 0 }' "$1"
}

# 1. JSON to a file, progress events.
f=$lg/run.jsonl
RECON_PROGRESS_INTERVAL=0.001 lg_run "$lg/json" jobs/orders-nightly.xml --log-format json --log-file "$f"
check "logs: json run exits 1 (exceptions) as without a log file (exit $lg_rc)" [ "$lg_rc" = 1 ]
if bad=$(lg_json_lines "$f"); then
	pass "logs: every line of --log-file is one JSON object with time, level, job, run, phase, msg ($(wc -l <"$f") lines)"
else
	fail "logs: every line of --log-file is one JSON object with the six keys" "$bad"
fi
check "logs: nothing on stderr with --log-file" bash -c "[ ! -s '$lg/json.stderr' ]"
lg_id=$(sed -n 's/^run \([0-9TZ]*-[0-9a-f]*\):.*/\1/p' "$lg/json.stdout")
if [ -n "$lg_id" ] &&
	grep -q "\"level\":\"info\",\"job\":\"orders-nightly\",\"run\":\"$lg_id\",\"phase\":\"start\",\"msg\":\"job 'orders-nightly': run $lg_id, as of $asof\"}" "$f" &&
	grep -q "\"run\":\"$lg_id\",\"phase\":\"read\",\"msg\":\"source 'crm': [0-9]* rows read" "$f" &&
	grep -q "\"run\":\"$lg_id\",\"phase\":\"commit\",\"msg\":\"published: run seq 1," "$f" &&
	! grep -v "\"job\":\"orders-nightly\",\"run\":\"$lg_id\"" "$f" | grep -q .; then
	pass "logs: each event names the job and the run ($lg_id), the phases start, read, commit"
else
	fail "logs: each event names the job and the run" "id '$lg_id'" "$(head -5 "$f")"
fi
if grep -q '"level":"info","job":"orders-nightly","run":"[^"]*","phase":"read","msg":"progress: crm [0-9]* rows ([0-9]*/s), orders [0-9]* rows ([0-9]*/s), erp [0-9]* rows ([0-9]*/s); [0-9.]* s elapsed"' "$f"; then
	pass "logs: progress events of the read phase with RECON_PROGRESS_INTERVAL=0.001 ($(grep -c '"msg":"progress: ' "$f"))"
else
	fail "logs: progress events of the read phase" "$(grep -c progress "$f") progress lines" "$(head -3 "$f")"
fi
check "logs: --log-file created mode 0640" bash -c "[ \"\$(stat -c %a '$f')\" = 640 ]"

# 2. -q: no info event; and the file is appended to.
n1=$(wc -l <"$f")
lg_run "$lg/quiet" jobs/orders-nightly.xml --log-format json --log-file "$f" -q
n2=$(wc -l <"$f")
if [ "$lg_rc" = 1 ] && [ "$n2" = "$n1" ] && grep -q '^run .* exceptions' "$lg/quiet.stdout"; then
	pass "logs: -q logs no info event (the file kept its $n1 lines; the run published)"
else
	fail "logs: -q logs no info event" "exit $lg_rc, $n1 -> $n2 lines" "$(tail -3 "$f")"
fi
RECON_PROGRESS_INTERVAL=0.001 lg_run "$lg/again" jobs/orders-nightly.xml --log-format json --log-file "$f"
n3=$(wc -l <"$f")
if [ "$lg_rc" = 1 ] && [ "$n3" -gt "$n2" ] && head -1 "$f" | grep -q "\"run\":\"$lg_id\"" && lg_json_lines "$f" >/dev/null; then
	pass "logs: a second run appends to --log-file ($n2 -> $n3 lines)"
else
	fail "logs: a second run appends to --log-file" "exit $lg_rc, $n2 -> $n3 lines"
fi

# 3. A failing run: an error event naming the phase.
g=$lg/fail.jsonl
lg_run "$lg/fail" "$lg/fail.xml" --log-format json --log-file "$g"
if [ "$lg_rc" = 4 ] && lg_json_lines "$g" >/dev/null &&
	grep -q '"level":"error","job":"orders-nightly","run":"[0-9TZ]*-[0-9a-f]*","phase":"read","msg":"error\[SOURCE\]: job .orders-nightly., source .crm., dsn .recon_no_such_dsn.' "$g" &&
	grep -q '"level":"error",.*"phase":"read","msg":"nothing was published"}$' "$g"; then
	pass "logs: a failing run logs an error event of phase read naming the DSN, and nothing was published"
else
	fail "logs: a failing run logs an error event naming the phase" "exit $lg_rc" "$(grep error "$g" | head -3)"
fi

# no line of any log or output holds the password
if ! grep -rqF "$lg_secret" "$f" "$g" "$lg"/*.stdout "$lg"/*.stderr; then
	pass "logs: the password of recon's environment$([ "$backend" != maria ] && echo ' and the odbc.ini') is in no log line"
else
	fail "logs: a password reached a log" "$(grep -rF "$lg_secret" "$f" "$g" "$lg"/*.std* | head -3)"
fi

# 4. Text to a file; a bad --log-format.
t=$lg/run.log
lg_run "$lg/text" jobs/orders-nightly.xml --log-file "$t"
if [ "$lg_rc" = 1 ] &&
	grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z info orders-nightly [0-9TZ]+-[0-9a-f]+ read: source 'crm': [0-9]+ rows read" "$t" &&
	! grep -qvE '^[0-9-]+T[0-9:.]+Z (error|warning|info) [^ ]+ [^ ]+ [a-z-]+: ' "$t"; then
	pass "logs: text to a file is 'TIME LEVEL JOB RUN PHASE: MSG'"
else
	fail "logs: text to a file is 'TIME LEVEL JOB RUN PHASE: MSG'" "exit $lg_rc" "$(head -3 "$t")"
fi
lg_run "$lg/badfmt" jobs/orders-nightly.xml --log-format xml
if [ "$lg_rc" = 2 ] && grep -qF "log-format must be text or json, not 'xml'" "$lg/badfmt.stderr"; then
	pass "logs: --log-format xml is a usage error"
else
	fail "logs: --log-format xml is a usage error (exit $lg_rc)" "$(cat "$lg/badfmt.stderr")"
fi

# the estimate of what is left: only once a full run was published (the
# rows it read), so in the third run's progress and never in the first's
if grep '"msg":"progress: ' "$f" | grep -q "\"run\":\"$lg_id\".*left\"}" ||
	! grep '"msg":"progress: ' "$f" | grep -v "\"run\":\"$lg_id\"" | grep -q ', about [0-9.]* s left"}$'; then
	fail "logs: progress estimates the time left from the last full run's rows, and only then" "$(grep '"msg":"progress: ' "$f" | sed 's/.*"msg"://' | head -8)"
else
	pass "logs: progress estimates the time left from the last full run's rows, and only then"
fi
