# tests/e2e/lib/lock.sh - one live run per (job, store) (engine/lock.h,
# docs/SCHEDULING.md "One run at a time"). Sourced by run.sh after
# lib/ledger.sh, whose 20,000-deal demo ($kd, kill_store, kill_fresh,
# lg_ini, lg_recon, lg_sql) it reuses, on every backend:
#
# 1. Run A (host "alpha") is frozen with SIGSTOP once it holds the lock
#    (it logged its reference tables, read after the lock and the store
#    open). Run B of the same job: exit 14 at once, naming A's pid, host
#    and run; the store holds no run of B; the lock row names A.
#    B with --lock-wait 2 waits about two seconds, then exits 14 saying so.
#    B with --lock-wait 60 and SIGTERM while it waits: exit 13.
#    B with --lock-wait 120 in the background, then A continued: A
#    publishes (exit 1), B gets the lock after it and, for the same
#    as-of and data, repeats A's run (publishes nothing new); the lock
#    row is gone once both are done.
# 2. A (host "alpha") frozen, then SIGKILLed: B from host "beta" takes
#    the lock over (exit 1), logging A's pid and host; then the same
#    from host "alpha", which adds that A's pid no longer runs.

lk=$lg/lock

# lk_start NAME HOST: start run NAME (host id HOST) of the demo job in
# the background, on the store $lk_store; sets lk_pid.
lk_start() {
	# (tools/env.sh execs recon: $! is recon's pid, which lg_recon's
	# subshell would hide)
	RECON_TEST_HOST_ID=$2 tools/env.sh "$lg/lock" "$recon" run jobs/orders-nightly.xml --as-of "$asof" \
		--report-dir "$lk/$1-reports" --tmpdir "$lk/tmp" --state-dir "$lk/$1-state" \
		"${@:3}" >"$lk/$1.out" 2>"$lk/$1.err" &
	lk_pid=$!
}

# lk_hold NAME: wait until run NAME ($lk_pid) holds the lock, then stop
# it. 0 if it was stopped holding the lock, else 1.
lk_hold() {
	for _ in $(seq 1 3000); do
		grep -q "^recon: reference " "$lk/$1.err" 2>/dev/null && break
		kill -0 "$lk_pid" 2>/dev/null || return 1
		sleep 0.01
	done
	kill -STOP "$lk_pid" 2>/dev/null
}

lk_rows() { lg_sql "$lk_store" "SELECT count(*) FROM ${T}_lock"; }
lk_runs() { lg_sql "$lk_store" "SELECT count(*) FROM ${T}_runs"; }

if [ "${kill_ok:-0}" = 1 ]; then
	rm -rf "$lk"
	lk_store=$(kill_store lock)
	kill_fresh lock
	lg_ini lock "$lk_store" "$kd/odbc.ini"
	mkdir -p "$lk/tmp"

	# 1. refused while A holds the lock
	lk_start a alpha
	a=$lk_pid
	if ! lk_hold a; then
		fail "lock: run A holds the lock" "$(tail -3 "$lk/a.err")"
	else
		a_run=$(sed -n "s/^recon: job 'orders-nightly': run \([^ ,]*\),.*/\1/p" "$lk/a.err" | head -1)
		RECON_TEST_HOST_ID=alpha lg_recon lock run jobs/orders-nightly.xml --as-of "$asof" \
			--report-dir "$lk/b-reports" --tmpdir "$lk/tmp" --state-dir "$lk/b-state" -q \
			>"$lk/b.out" 2>"$lk/b.err"
		rc=$?
		row=$(lg_sql "$lk_store" "SELECT pid || ' ' || host || ' ' || run_id FROM ${T}_lock WHERE job = 'orders-nightly'")
		if [ "$rc" = 14 ] &&
			grep -q "^recon: error\[LOCKED\]: job 'orders-nightly': another run of this job holds its lock on store '$T' (pid $a on host alpha, run $a_run, started [0-9-]* [0-9:]* UTC); this run did nothing and published nothing" "$lk/b.err" &&
			[ "$row" = "$a alpha $a_run" ] && [ ! -e "$lk/b-reports" ]; then
			pass "lock: a second run of the job exits 14 at once, naming the holder (pid, host, run, start)"
		else
			fail "lock: a second run of the job exits 14 at once, naming the holder (exit $rc, row '$row', A $a $a_run)" "$(cat "$lk/b.err")"
		fi
		t0=$(date +%s.%N)
		lg_recon lock run jobs/orders-nightly.xml --as-of "$asof" --lock-wait 2 -q \
			--report-dir "$lk/c-reports" --tmpdir "$lk/tmp" --state-dir "$lk/c-state" \
			>"$lk/c.out" 2>"$lk/c.err"
		rc=$?
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		if [ "$rc" = 14 ] && grep -q "waited 2 s" "$lk/c.err" &&
			awk -v s="$secs" 'BEGIN { exit !(s >= 1.9 && s < 10) }'; then
			pass "lock: --lock-wait 2 waits ($secs s), then exits 14"
		else
			fail "lock: --lock-wait 2 waits, then exits 14 (exit $rc, $secs s)" "$(cat "$lk/c.err")"
		fi
		tools/env.sh "$lg/lock" "$recon" run jobs/orders-nightly.xml --as-of "$asof" --lock-wait 60 -q \
			--report-dir "$lk/d-reports" --tmpdir "$lk/tmp" --state-dir "$lk/d-state" \
			>"$lk/d.out" 2>"$lk/d.err" &
		d=$!
		sleep 1.5
		kill -TERM "$d"
		wait "$d"
		rc=$?
		if [ "$rc" = 13 ] && grep -q "stopped by SIGTERM while waiting for the job's lock" "$lk/d.err"; then
			pass "lock: SIGTERM while waiting for the lock: exit 13"
		else
			fail "lock: SIGTERM while waiting for the lock (exit $rc)" "$(cat "$lk/d.err")"
		fi
		lg_recon lock run jobs/orders-nightly.xml --as-of "$asof" --lock-wait 120 -q \
			--report-dir "$lk/e-reports" --tmpdir "$lk/tmp" --state-dir "$lk/e-state" \
			>"$lk/e.out" 2>"$lk/e.err" &
		e=$!
		sleep 1
		kill -CONT "$a"
		wait "$a"
		rc_a=$?
		wait "$e"
		rc_e=$?
		runs=$(lg_sql "$lk_store" "SELECT job || ':' || seq FROM ${T}_runs ORDER BY seq" | tr '\n' ' ')
		rows=$(lk_rows)
		# (for the same as-of it repeats A's run: nothing new)
		if [ "$rc_a" = 1 ] && [ "$rc_e" = 1 ] && [ "$rows" = 0 ] && [ "$runs" = "orders-nightly:1 " ] &&
			grep -q "^store: nothing new published: this run repeats run seq 1 exactly" "$lk/e.out"; then
			pass "lock: a run waiting with --lock-wait runs once the holder is done (and repeats its run: runs $runs; lock rows left: 0)"
		else
			fail "lock: a run waiting with --lock-wait runs once the holder is done (A exit $rc_a, waiter exit $rc_e, runs '$runs', lock rows $rows)" \
				"$(tail -3 "$lk/a.err")" "$(tail -3 "$lk/e.err")"
		fi
	fi

	# 2. taken over after SIGKILL, from another host and from the same
	for host in beta alpha; do
		lk_start "k-$host" alpha
		k=$lk_pid
		if ! lk_hold "k-$host"; then
			fail "lock: takeover from host $host: the run to kill holds the lock" "$(tail -3 "$lk/k-$host.err")"
			continue
		fi
		kill -KILL "$k"
		wait "$k" 2>/dev/null
		# --lock-wait: the DBMS lets go when it sees the session end,
		# which on a loaded PostgreSQL can take a moment after the kill
		RECON_TEST_HOST_ID=$host lg_recon lock run jobs/orders-nightly.xml --as-of "$asof" --lock-wait 10 \
			--report-dir "$lk/t-$host-reports" --tmpdir "$lk/tmp" --state-dir "$lk/t-$host-state" \
			>"$lk/t-$host.out" 2>"$lk/t-$host.err"
		rc=$?
		pat="^recon: job 'orders-nightly': took over the lock of store '$T' left by pid $k on host alpha, run [0-9TZ]*-[0-9a-f]*, started [0-9-]* [0-9:]* UTC, which ended without letting go"
		[ "$host" = alpha ] && pat="$pat; that pid no longer runs\$" || pat="$pat\$"
		if [ "$rc" = 1 ] && grep -q "$pat" "$lk/t-$host.err" && [ "$(lk_rows)" = 0 ]; then
			pass "lock: a lock left by a SIGKILLed run (host alpha) is taken over by host $host, with a log line"
		else
			fail "lock: a lock left by a SIGKILLed run (host alpha) is taken over by host $host (exit $rc, lock rows $(lk_rows))" \
				"$(grep -v '^recon: \(source\|reference\)' "$lk/t-$host.err" | head -5)"
		fi
	done
fi
