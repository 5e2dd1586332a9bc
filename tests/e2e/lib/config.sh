# tests/e2e/lib/config.sh - sourced by tests/e2e/run.sh after hooks.sh:
# the engine configuration (README.md, "Configuration"; engine/config.c)
# on the demo.
#
# A copy of jobs/orders-nightly.xml whose <store> names no dsn= (the
# configuration's store-dsn gives it) and writes its own table
# (cf_orders) in the demo store; every folder under $work/config
# (tests/e2e/all.sh runs the backends at once):
#  1. recon config with no file: every setting at its default (eleven);
#  2. a file setting report-dir, state-dir, tmpdir, store-dsn and jobs:
#     the run's report goes to its report-dir, its state under
#     STATE-DIR/JOB, and it is published on the configured store DSN;
#     RECON_REPORT_DIR beats the file, --report-dir beats both;
#     recon config --json shows each value's origin;
#  3. match-memory from the file is the job's default (every partition
#     spilled), a job's <limits match-memory> beats it;
#  4. a bad file (bad value, unknown key) is exit 2 naming FILE:LINE and
#     nothing is published; a store-dsn with credentials is refused
#     without echoing them; without a store-dsn, a job with no dsn= is
#     refused (exit 3).
#
# Uses run.sh's pass/fail/check, store_query and $work, $recon, $asof,
# $root, $report_base, $store_pg, $store_file; hooks.sh's hk_json_ok.

cf=$work/config
rm -rf "$cf"
mkdir -p "$cf/tmp"

# The demo job without dsn= on <store>, on its own table; rules by
# absolute path. cf_job NAME [LIMITS-SED]
cf_job() {
	sed -e "s|\.\./rules/|$root/rules/|g" \
		-e "s|name=\"orders-nightly\"|name=\"$1\"|" \
		-e "s|<store dsn=\"recon_demo_store\" table=\"reconciled_orders\">|<store table=\"cf_orders\">|" \
		-e "${2:-s|x|x|}" \
		"$root/jobs/orders-nightly.xml" >"$cf/$1.xml"
}
cf_job cfjob
cf_job cfmem 's|<limits |<limits match-memory="64MB" |'

# cf_run OUT ARGS...: recon with ARGS (RECON_CONFIG empty unless the
# caller's env says otherwise), stdout/stderr in OUT.out/OUT.err, exit
# code in $cf_rc.
cf_run() {
	local o=$1
	shift
	tools/env.sh "$work" "$recon" "$@" >"$o.out" 2>"$o.err"
	cf_rc=$?
	cf_last=$o
}

cf_runs() {
	store_query "$store_pg" "$store_file" "SELECT count(*) FROM cf_orders_runs" 2>/dev/null
}

# ---------------------------------------------------------------------
# 1. No file: the defaults.

RECON_CONFIG= cf_run "$cf/none" config
if [ "$cf_rc" = 0 ] && grep -q '^# configuration file: none: RECON_CONFIG is empty$' "$cf/none.out" &&
	[ "$(grep -c ' default$' "$cf/none.out")" = 11 ] &&
	grep -qE '^report-dir +\(each job.s <reports dir>\) +default$' "$cf/none.out" &&
	grep -qE '^keep-inputs +2 +default$' "$cf/none.out" &&
	grep -qE '^jobs +auto +default$' "$cf/none.out"; then
	pass "config: recon config with no file: eleven settings at their defaults"
else
	fail "config: recon config with no file (exit $cf_rc)" "$(cat "$cf/none.out" "$cf/none.err")"
fi

# ---------------------------------------------------------------------
# 2. report-dir, state-dir, tmpdir, store-dsn, jobs from the file;
#    the environment and the flag over it.

cat >"$cf/recon.conf" <<EOF
# e2e: tests/e2e/lib/config.sh
report-dir = $cf/rep-file

state-dir = $cf/state
tmpdir = $cf/tmp
store-dsn = recon_demo_store
jobs = 2
EOF

RECON_CONFIG= cf_run "$cf/r1" run "$cf/cfjob.xml" --as-of "$asof" --config "$cf/recon.conf"
if [ "$cf_rc" = 1 ] && [ -f "$cf/rep-file/cfjob-20261126T000000Z.csv" ] &&
	grep -q "^store: dsn 'recon_demo_store', table 'cf_orders'$" "$cf/r1.out" &&
	[ "$(cf_runs)" = 1 ]; then
	pass "config: report-dir and store-dsn from the file: the report in it, published on the configured DSN"
else
	fail "config: report-dir and store-dsn from the file (exit $cf_rc)" "$(ls -R "$cf" 2>&1 | head -20)" "$(tail -5 "$cf/r1.err")"
fi
if [ -d "$cf/state/cfjob" ] && [ -n "$(ls "$cf/state/cfjob")" ]; then
	pass "config: state-dir from the file is the parent of the job's folder (STATE-DIR/cfjob)"
else
	fail "config: state-dir from the file is the parent of the job's folder (STATE-DIR/cfjob)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

# each run below must leave the folders of the levels it beats alone
rm -rf "$cf/rep-file"
RECON_REPORT_DIR=$cf/rep-env RECON_CONFIG= cf_run "$cf/r2" run "$cf/cfjob.xml" --as-of "$asof" --config "$cf/recon.conf"
if [ "$cf_rc" = 1 ] && [ -f "$cf/rep-env/cfjob-20261126T000000Z.csv" ] && [ ! -e "$cf/rep-file" ]; then
	pass "config: RECON_REPORT_DIR beats the file's report-dir (exit $cf_rc)"
else
	fail "config: RECON_REPORT_DIR beats the file's report-dir (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

# the file found through RECON_CONFIG this time
rm -rf "$cf/rep-env"
RECON_REPORT_DIR=$cf/rep-env RECON_CONFIG=$cf/recon.conf cf_run "$cf/r3" run "$cf/cfjob.xml" \
	--as-of "$asof" --report-dir "$cf/rep-flag"
if [ "$cf_rc" = 1 ] && [ -f "$cf/rep-flag/cfjob-20261126T000000Z.csv" ] &&
	[ ! -e "$cf/rep-env" ] && [ ! -e "$cf/rep-file" ]; then
	pass "config: --report-dir beats RECON_REPORT_DIR and the file (exit $cf_rc)"
else
	fail "config: --report-dir beats RECON_REPORT_DIR and the file (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

RECON_REPORT_DIR=$cf/rep-env RECON_JOBS=3 RECON_CONFIG= cf_run "$cf/json" --config "$cf/recon.conf" config --json
j=$cf/json.out
if [ "$cf_rc" = 0 ] && hk_json_ok "$j" &&
	grep -qF "\"file\":\"$cf/recon.conf\"," "$j" &&
	grep -qF "\"report-dir\":{\"value\":\"$cf/rep-env\",\"origin\":\"env RECON_REPORT_DIR\"," "$j" &&
	grep -qF "\"state-dir\":{\"value\":\"$cf/state\",\"origin\":\"$cf/recon.conf:4\"," "$j" &&
	grep -qF "\"store-dsn\":{\"value\":\"recon_demo_store\",\"origin\":\"$cf/recon.conf:6\"," "$j" &&
	grep -qF '"jobs":{"value":"3","origin":"env RECON_JOBS",' "$j" &&
	grep -qF '"log-format":{"value":"text","origin":"default",' "$j"; then
	pass "config: recon config --json: values and origins (FILE:LINE, env, default), well-formed JSON"
else
	fail "config: recon config --json (exit $cf_rc)" "$(cat "$j" "$cf/json.err")"
fi

# ---------------------------------------------------------------------
# 3. match-memory: the file's is the job's default; <limits> beats it.

printf 'store-dsn = recon_demo_store\nmatch-memory = 0\n' >"$cf/spill.conf"
RECON_CONFIG=$cf/spill.conf cf_run "$cf/m1" run "$cf/cfjob.xml" --as-of "$asof" \
	--report-dir "$cf/rep-m" --state-dir "$cf/state-m" --tmpdir "$cf/tmp"
RECON_CONFIG=$cf/spill.conf cf_run "$cf/m2" run "$cf/cfmem.xml" --as-of "$asof" \
	--report-dir "$cf/rep-m" --state-dir "$cf/state-m2" --tmpdir "$cf/tmp"
m1=$(grep -o 'spilled [0-9.]* MB, kept in memory [0-9.]* MB' "$cf/m1.err")
m2=$(grep -o 'spilled [0-9.]* MB, kept in memory [0-9.]* MB' "$cf/m2.err")
if echo "$m1" | grep -q 'kept in memory 0\.0 MB' && ! echo "$m1" | grep -q 'spilled 0\.0 MB' &&
	echo "$m2" | grep -q 'spilled 0\.0 MB' && ! echo "$m2" | grep -q 'kept in memory 0\.0 MB'; then
	pass "config: match-memory = 0 in the file spills every partition; <limits match-memory=\"64MB\"> keeps them ($m1 / $m2)"
else
	fail "config: match-memory from the file, <limits> over it" "file only: $m1" "with <limits>: $m2" "$(tail -3 "$cf/m1.err")"
fi

# ---------------------------------------------------------------------
# 4. Bad configurations.

before=$(cf_runs)
printf '# bad\nreport-dir = %s/rep-bad\nlog-format = xml\n' "$cf" >"$cf/bad.conf"
RECON_CONFIG= cf_run "$cf/b1" run "$cf/cfjob.xml" --as-of "$asof" --config "$cf/bad.conf"
if [ "$cf_rc" = 2 ] && grep -qF "recon: error[USAGE]: $cf/bad.conf:3: log-format must be text or json, not 'xml'" "$cf/b1.err" &&
	[ "$(cf_runs)" = "$before" ] && [ ! -e "$cf/rep-bad" ]; then
	pass "config: a bad value is exit 2 naming FILE:LINE, nothing published (exit $cf_rc)"
else
	fail "config: a bad value is exit 2 naming FILE:LINE, nothing published (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

printf 'report_dir = /tmp\n' >"$cf/typo.conf"
RECON_CONFIG=$cf/typo.conf cf_run "$cf/b2" check "$cf/cfjob.xml"
if [ "$cf_rc" = 2 ] && grep -qF "$cf/typo.conf:1: unknown setting 'report_dir' (did you mean 'report-dir'?)" "$cf/b2.err"; then
	pass "config: an unknown key is exit 2 with a did-you-mean, for recon check too (exit $cf_rc)"
else
	fail "config: an unknown key is exit 2 with a did-you-mean, for recon check too (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

RECON_STORE_DSN='DSN=recon_demo_store;PWD=cf-hush' RECON_CONFIG= cf_run "$cf/b3" config
if [ "$cf_rc" = 2 ] && grep -qF 'credentials belong in odbc.ini or the environment' "$cf/b3.err" &&
	! grep -q 'cf-hush' "$cf/b3.out" "$cf/b3.err"; then
	pass "config: a store-dsn with credentials is refused without echoing them (exit $cf_rc)"
else
	fail "config: a store-dsn with credentials is refused without echoing them (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

RECON_CONFIG= cf_run "$cf/b4" check "$cf/cfjob.xml"
if [ "$cf_rc" = 3 ] && grep -qF '<store> needs dsn= (or store-dsn in the engine configuration' "$cf/b4.err"; then
	pass "config: without store-dsn a job with no <store dsn> is refused (exit $cf_rc)"
else
	fail "config: without store-dsn a job with no <store dsn> is refused (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi

RECON_CONFIG=$cf/none.conf cf_run "$cf/b5" config
if [ "$cf_rc" = 2 ] && grep -qF "cannot read configuration file '$cf/none.conf'" "$cf/b5.err"; then
	pass "config: RECON_CONFIG naming a missing file is exit 2 (exit $cf_rc)"
else
	fail "config: RECON_CONFIG naming a missing file is exit 2 (exit $cf_rc)" "$(tail -5 "$cf_last.err" 2>/dev/null)"
fi
