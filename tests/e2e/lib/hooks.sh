# tests/e2e/lib/hooks.sh - sourced by tests/e2e/run.sh after ledger.sh:
# the job's hooks (docs/JOBS.md, "Hooks"; engine/hook.c) on the demo.
#
# Copies of jobs/orders-nightly.xml with a <hooks> block, into a store
# of their own (hk_store), with their own --state-dir, --report-dir and
# --tmpdir (tests/e2e/all.sh runs the backends at once):
#  1. a failing run (its crm source on a DSN that does not exist) calls
#     <on-failure> with the run's environment and a JSON summary that
#     parses; a credential in recon's environment is not passed on; the
#     summary file is gone afterwards; exit 4 as without the hook;
#  2. a run with more exceptions than <on-exceptions above> calls it
#     (published, the outcome counts, the report paths); one with as
#     many does not, nor <on-failure>; the sample etc/hooks/notify.sh
#     runs and its line is logged;
#  3. a hook that hangs (sleep 1000) is stopped at its timeout: the
#     run's exit code and published run are unchanged (a hook that exits
#     non-zero, in 1, likewise);
#  4. `recon check` refuses a job whose hook program is missing.
#
# Uses run.sh's pass/fail/check, db_reset, store_query and $backend,
# $work, $recon, $asof, $root.

hk=$work/hooks
rm -rf "$hk"
mkdir -p "$hk/tmp"

if [ "$backend" = pg ] || [ "$backend" = maria ]; then
	hk_store=hk_store
	db_reset "$hk_store" "" "" || abort "hooks: create database $hk_store"
else
	hk_store=$hk/store.db
fi
# odbc.ini: run.sh's, with recon_demo_store on hk_store
mkdir -p "$hk/ini"
awk -v db="$hk_store" '
	/^\[/ { sect = $0 }
	sect == "[recon_demo_store]" && /^Database *=/ { print "Database = " db; next }
	{ print }' "$work/odbc.ini" >"$hk/ini/odbc.ini"
: >"$hk/ini/odbcinst.ini"

# The hook that records what it was given into $HK_OUT (set in the
# environment of recon, which the hook inherits).
hk_probe='#!/bin/sh
mkdir -p "$HK_OUT"
env >"$HK_OUT/env.txt"
printf "%s\n" "$@" >"$HK_OUT/args.txt"
cp "$RECON_SUMMARY" "$HK_OUT/summary.json"
echo "$RECON_SUMMARY" >"$HK_OUT/summary-path.txt"
echo "probe: $RECON_HOOK"
'

# hk_job NAME HOOKS [CRM_DSN]: $hk/NAME/job.xml, the demo job with
# <hooks>HOOKS</hooks>, its rules by absolute path, and hooks/probe.sh.
hk_job() {
	local name=$1 hooks=$2 crm=${3:-recon_demo_crm} d=$hk/$1
	mkdir -p "$d/hooks"
	printf '%s' "$hk_probe" >"$d/hooks/probe.sh"
	printf '#!/bin/sh\necho "$$" >"$HK_OUT/hang.pid"\nexec sleep 1000\n' >"$d/hooks/hang.sh"
	printf '#!/bin/sh\necho "no relay" >&2\nexit 3\n' >"$d/hooks/fails.sh"
	chmod 755 "$d/hooks/"*.sh
	sed -e "s|\.\./rules/|$root/rules/|g" \
		-e "s|name=\"orders-nightly\"|name=\"$name\"|" \
		-e "s|dsn=\"recon_demo_crm\"|dsn=\"$crm\"|" \
		-e "s|table=\"reconciled_orders\"|table=\"hk_$name\"|" \
		-e "s|</job>|<hooks>$hooks</hooks></job>|" \
		"$root/jobs/orders-nightly.xml" >"$d/job.xml"
}

# The credential in recon's environment that must not reach the hook: a
# password for crm where the server ignores it (SQLite; PostgreSQL with
# trust authentication); MariaDB checks any password given, so there the
# crm DSN's user name (root, what the DSN has anyway).
if [ "$backend" = maria ]; then
	hk_cred=RECON_RECON_DEMO_CRM_UID=root
else
	hk_cred=RECON_RECON_DEMO_CRM_PWD=hk-secret-pwd
fi

# hk_run NAME OUT: run job NAME with HK_OUT=OUT; stdout, stderr in OUT.*,
# the exit code in $hk_rc, seconds taken in $hk_secs.
hk_run() {
	local t0
	t0=$(date +%s.%N)
	env "$hk_cred" HK_OUT="$2" \
		tools/env.sh "$hk/ini" "$recon" run "$hk/$1/job.xml" --as-of "$asof" \
		--report-dir "$hk/reports" --state-dir "$hk/state" --tmpdir "$hk/tmp" \
		>"$2.stdout" 2>"$2.stderr"
	hk_rc=$?
	hk_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# hk_json_ok FILE: one JSON object whose strings, braces and brackets
# are well formed (no jq here): strings out, then only JSON's other
# characters, balanced.
hk_json_ok() {
	awk '
		{ text = text $0 "\n" }
		END {
			s = text
			gsub(/"([^"\\]|\\.)*"/, "S", s)
			if (s ~ /"/) exit 1
			gsub(/[ \t\n]/, "", s)
			if (s !~ /^\{.*\}$/) exit 1
			t = s
			gsub(/S|true|false|null|-?[0-9]+(\.[0-9]+)?/, "v", t)
			if (t ~ /[^{}\[\]:,v]/) exit 1
			depth = 0
			for (i = 1; i <= length(t); i++) {
				c = substr(t, i, 1)
				if (c == "{" || c == "[") depth++
				else if (c == "}" || c == "]") depth--
				if (depth < 0) exit 1
			}
			exit depth != 0
		}' "$1"
}

# hk_runs NAME: the published runs of job NAME (its own table)
hk_runs() {
	store_query "$hk_store" "$hk_store" "SELECT count(*) FROM hk_$1_runs" 2>/dev/null
}

# ---------------------------------------------------------------------
# 1. A failing run calls <on-failure>.

hk_job fail '<on-failure program="hooks/probe.sh" timeout="30s"><arg>--to</arg><arg>ops room</arg></on-failure>' recon_no_such_dsn
o=$hk/out-fail
hk_run fail "$o"
check "hooks: failing run (source DSN missing) exits 4 as without a hook (exit $hk_rc)" [ "$hk_rc" = 4 ]
e=$o/env.txt
if [ -f "$e" ] && grep -qx 'RECON_HOOK=failure' "$e" && grep -qx 'RECON_JOB=fail' "$e" &&
	grep -qx 'RECON_EXIT_CODE=4' "$e" && grep -qx 'RECON_EXIT_NAME=SOURCE' "$e" &&
	grep -qx "RECON_AS_OF=$asof" "$e" && grep -qx 'RECON_MODE=full' "$e" &&
	grep -qx 'RECON_EXCEPTIONS=0' "$e" && grep -qE '^RECON_RUN_ID=[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}$' "$e" &&
	grep -qE "^RECON_SUMMARY=$hk/tmp/recon-hook-" "$e"; then
	pass "hooks: on-failure ran with RECON_HOOK, JOB, RUN_ID, AS_OF, MODE, EXIT_CODE, EXIT_NAME, EXCEPTIONS, SUMMARY"
else
	fail "hooks: on-failure ran with the run's environment" "$(grep '^RECON_' "$e" 2>&1)" "$(tail -5 "$o.stderr")"
fi
check "hooks: on-failure got its fixed arguments" [ "$(cat "$o/args.txt" 2>/dev/null)" = "--to
ops room" ]
check "hooks: no credential of recon's environment reaches the hook" \
	bash -c "[ -f '$e' ] && ! grep -q '^RECON_RECON_DEMO_CRM_' '$e' && ! grep -q hk-secret-pwd '$e'"
j=$o/summary.json
if [ -f "$j" ] && hk_json_ok "$j" && grep -q '"hook":"failure"' "$j" &&
	grep -q '"job":"fail"' "$j" && grep -q '"exit_code":4,"exit_name":"SOURCE"' "$j" &&
	grep -q '"published":false' "$j" && grep -q '"error":"error\[SOURCE\]: [^"]*recon_no_such_dsn' "$j" &&
	grep -q "\"as_of\":\"$asof\"" "$j" && grep -q '"reports":\[\]' "$j"; then
	pass "hooks: the failure summary JSON parses: hook, job, exit code and name, error, not published"
else
	fail "hooks: the failure summary JSON" "$(cat "$j" 2>&1)"
fi
sp=$(cat "$o/summary-path.txt" 2>/dev/null)
check "hooks: the summary file is removed after the hook" bash -c "[ -n '$sp' ] && [ ! -e '$sp' ] && [ -z \"\$(ls '$hk/tmp' | grep recon-hook)\" ]"
check "hooks: the hook's output is logged, prefixed" grep -qF 'hook on-failure: probe: failure' "$o.stderr"
check "hooks: and how it went" grep -qF 'hook on-failure (hooks/probe.sh): exited 0' "$o.stderr"

# A hook that exits non-zero: logged; the exit code stays the run's.
hk_job failfails '<on-failure program="hooks/fails.sh"/>' recon_no_such_dsn
hk_run failfails "$hk/out-failfails"
if [ "$hk_rc" = 4 ] && grep -qF 'hook on-failure: no relay' "$hk/out-failfails.stderr" &&
	grep -qF "exited with status 3 after" "$hk/out-failfails.stderr" &&
	grep -qF "the run's exit code stays 4" "$hk/out-failfails.stderr"; then
	pass "hooks: a hook that exits 3 is logged; recon still exits 4"
else
	fail "hooks: a hook that exits non-zero" "exit $hk_rc" "$(tail -5 "$hk/out-failfails.stderr")"
fi

# ---------------------------------------------------------------------
# 2. <on-exceptions above=N>: more than N exceptions call it.

hk_job exc '<on-failure program="hooks/probe.sh"/><on-exceptions above="0" program="hooks/probe.sh"/>'
o=$hk/out-exc
hk_run exc "$o"
nexc=$(sed -n 's/^run [^:]*: [0-9]* records, \([0-9]*\) exceptions.*/\1/p' "$o.stdout")
check "hooks: the exceptions run publishes (exit $hk_rc, $nexc exceptions)" \
	bash -c "[ '$hk_rc' = 1 ] && [ '${nexc:-0}' -gt 1 ]"
e=$o/env.txt
j=$o/summary.json
csv=$(sed -n 's/^report: \(.*\.csv\)$/\1/p' "$o.stdout" | head -1)
if [ -f "$e" ] && grep -qx 'RECON_HOOK=exceptions' "$e" && grep -qx "RECON_EXCEPTIONS=$nexc" "$e" &&
	grep -qx 'RECON_EXIT_CODE=1' "$e" && grep -qx 'RECON_EXIT_NAME=EXCEPTIONS' "$e" &&
	[ -f "$j" ] && hk_json_ok "$j" && grep -q '"published":true' "$j" &&
	grep -q "\"exceptions\":$nexc," "$j" && grep -q '"error":null' "$j" &&
	grep -qE '"outcomes":\{"[A-Z_]+":[0-9]+' "$j" && grep -q '"above":0}' "$j" &&
	[ -n "$csv" ] && grep -qF "\"$csv\"" "$j"; then
	pass "hooks: on-exceptions above=0 ran: environment and JSON (published, outcome counts, report paths)"
else
	fail "hooks: on-exceptions above=0" "$(grep '^RECON_' "$e" 2>&1)" "$(cat "$j" 2>&1)" "$(tail -5 "$o.stderr")"
fi

# as many as the threshold: neither hook runs
hk_job excat "<on-failure program=\"hooks/probe.sh\"/><on-exceptions above=\"$nexc\" program=\"hooks/probe.sh\"/>"
o=$hk/out-excat
hk_run excat "$o"
if [ "$hk_rc" = 1 ] && [ ! -e "$o" ] && ! grep -q 'hook on-' "$o.stderr"; then
	pass "hooks: $nexc exceptions, above=$nexc: no hook started"
else
	fail "hooks: above=$nexc with $nexc exceptions starts nothing" "exit $hk_rc" "$(ls "$o" 2>&1)" "$(grep 'hook' "$o.stderr")"
fi

# one fewer: the sample hook runs and says so
hk_job excsample "<on-exceptions above=\"$((nexc - 1))\" program=\"$root/etc/hooks/notify.sh\" timeout=\"20s\"/>"
o=$hk/out-excsample
hk_run excsample "$o"
if [ "$hk_rc" = 1 ] &&
	grep -qE "^recon: hook on-exceptions: recon: job 'excsample' run [0-9T]+Z-[0-9a-f]+ \(as of $asof, full\): exceptions, exit 1 \(EXCEPTIONS\), $nexc exceptions$" "$o.stderr" &&
	grep -qF 'notify.sh): exited 0' "$o.stderr"; then
	pass "hooks: above=$((nexc - 1)): the sample etc/hooks/notify.sh runs, its line logged"
else
	fail "hooks: the sample etc/hooks/notify.sh" "exit $hk_rc" "$(grep hook "$o.stderr")"
fi

# ---------------------------------------------------------------------
# 3. A hanging hook is stopped at its timeout; the run stands.

hk_job hang '<on-exceptions above="0" program="hooks/hang.sh" timeout="2s"/>'
o=$hk/out-hang
mkdir -p "$o"
hk_run hang "$o"
after=$(hk_runs hang)
hpid=$(cat "$o/hang.pid" 2>/dev/null)
if [ "$hk_rc" = 1 ] && grep -qF "did not finish within its timeout of 2.0 s: stopped with SIGTERM" "$o.stderr" &&
	grep -qF "the run's exit code stays 1" "$o.stderr" &&
	grep -q '^run .* exceptions' "$o.stdout" && [ -n "$hpid" ] && ! kill -0 "$hpid" 2>/dev/null &&
	awk -v s="$hk_secs" 'BEGIN { exit !(s >= 2 && s < 60) }'; then
	pass "hooks: a hanging hook (sleep 1000) is stopped at its 2 s timeout (run took $hk_secs s); exit 1 stands"
else
	fail "hooks: a hanging hook is stopped at its timeout" "exit $hk_rc, $hk_secs s, pid ${hpid:-?}" "$(grep hook "$o.stderr")"
fi
check "hooks: the run with the hanging hook was published (runs: $after)" \
	[ "$after" = 1 ]

hk_job hangfail '<on-failure program="hooks/hang.sh" timeout="1s"/>' recon_no_such_dsn
o=$hk/out-hangfail
mkdir -p "$o"
hk_run hangfail "$o"
if [ "$hk_rc" = 4 ] && grep -qF "stopped with SIGTERM" "$o.stderr" &&
	grep -qF "nothing was published" "$o.stderr"; then
	pass "hooks: a hanging on-failure hook is stopped; exit 4 stands, nothing published"
else
	fail "hooks: a hanging on-failure hook" "exit $hk_rc" "$(tail -5 "$o.stderr")"
fi
check "hooks: no summary file left in the run's tmpdir" \
	bash -c "[ -z \"\$(ls '$hk/tmp' | grep recon-hook)\" ]"

# A hook program that is not there is a job error at load, naming
# file:line (recon check finds it before any night's run).
hk_job badprog '<on-failure program="hooks/nope.sh"/>'
tools/env.sh "$hk/ini" "$recon" check "$hk/badprog/job.xml" >"$hk/badprog.out" 2>"$hk/badprog.err"
rc=$?
if [ "$rc" = 3 ] && grep -qE "error\[JOB\]: .*badprog/job\.xml:[0-9]+: hook program \"hooks/nope\.sh\" \(.*\): No such file or directory" "$hk/badprog.err"; then
	pass "hooks: recon check refuses a missing hook program with file:line (exit 3)"
else
	fail "hooks: recon check refuses a missing hook program" "exit $rc" "$(cat "$hk/badprog.err")"
fi
