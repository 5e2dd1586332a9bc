# tests/e2e/lib/schedule.sh - sourced by tests/e2e/run.sh: `recon
# schedule` (docs/SCHEDULING.md).
#
# 1. --next against `systemd-analyze calendar --base-time` for several
#    expressions, --systemd units through `systemd-analyze verify`,
#    --crontab lines (five fields and a command; a non-UTC zone refused).
#    Skipped with a message where systemd-analyze is absent.
# 2. (sqlite) The loop under the test clock (RECON_TEST_SCHEDULE_CLOCK)
#    with real child runs of the demo job on a store of its own: a
#    nightly slot starts a full run, a <changed> probe that moves starts
#    an incremental run no sooner than min-gap after the last start,
#    SIGTERM stops the loop, and after three days of downtime the
#    missed nightly job runs once. Its own --schedule-dir, --state-dir,
#    --report-dir and --tmpdir, passed on to the runs.

sw=$work/schedule
rm -rf "$sw"
mkdir -p "$sw"

# sched_job FILE SCHEDULE-XML [PROBE-XML]: the demo job with a schedule,
# rule paths made absolute, reports under $sw.
sched_job() {
	local file=$1 sched=$2 probe=${3:-}
	awk -v root="$root" -v sched="$sched" -v probe="$probe" -v rep="$sw/reports" '
		{ gsub(/\.\.\/rules\//, root "/rules/") }
		/<reports dir=/ { sub(/dir="[^"]*"/, "dir=\"" rep "\"") }
		/<\/source>/ && !done && probe != "" { print "      " probe; done = 1 }
		/<\/job>/ { print sched }
		{ print }' jobs/orders-nightly.xml >"$file"
}

sched_job "$sw/cal.xml" '<schedule>
<at cron="30 2 * * *" zone="Europe/Berlin"/>
<at cron="*/20 9-17 * * mon-fri"/>
<at cron="0 0 13 * fri" zone="America/New_York" mode="incremental"/>
<at cron="5 4 1,15 jan,jul *" catch-up="skip"/>
</schedule>'

if [ -x /usr/bin/systemd-analyze ] || command -v systemd-analyze >/dev/null 2>&1; then
	base='2026-12-03 10:07:00'
	# entry N's OnCalendar lines (as --systemd prints them) against ours
	recon_env schedule "$sw/cal.xml" --systemd >"$sw/units.txt" 2>"$sw/units.err"
	"$recon" schedule "$sw/cal.xml" --next 6 --from "$base" >"$sw/next.txt" 2>&1
	cal_ok=1
	for n in 1 2 3 4; do
		exprs=$(awk -v u="recon-orders-nightly-$n.timer" '
			/^# file: / { f = ($3 == u); next }
			f && /^OnCalendar=/ { sub(/^OnCalendar=/, ""); print }' "$sw/units.txt")
		: >"$sw/sd-$n.txt"
		while IFS= read -r e; do
			systemd-analyze calendar --base-time="$base UTC" --iterations=6 "$e" 2>&1 |
				awk '/\(in UTC\)|Iter|Next elapse/ && /UTC$/ { print $(NF-2), $(NF-1) }' >>"$sw/sd-$n.txt"
		done <<<"$exprs"
		# two OnCalendar lines (both day fields restricted): the union
		sort -u "$sw/sd-$n.txt" | head -6 >"$sw/sd-$n.sorted"
		awk -v n="$n" '$2 == n { print $3, $4 }' "$sw/next.txt" >"$sw/ours-$n.txt"
		if [ -s "$sw/ours-$n.txt" ] && diff -u "$sw/sd-$n.sorted" "$sw/ours-$n.txt" >"$sw/diff-$n.txt"; then
			:
		else
			cal_ok=0
			fail "schedule: entry $n: our next 6 times equal systemd-analyze calendar's" "$exprs" "$(cat "$sw/diff-$n.txt" "$sw/units.err")"
		fi
	done
	[ "$cal_ok" = 1 ] && pass "schedule: --next equals systemd-analyze calendar --base-time for 4 entries (Berlin, UTC lists/steps, New York with both day fields, skip)"

	mkdir -p "$sw/units"
	awk -v d="$sw/units" '/^# file: / { f = d "/" $3; next } f { print > f }' "$sw/units.txt"
	nunits=$(ls "$sw/units" | wc -l)
	if [ "$nunits" = 8 ] && (cd "$sw/units" && systemd-analyze verify ./*.timer ./*.service) >"$sw/verify.txt" 2>&1 &&
		! grep -q . "$sw/verify.txt" &&
		grep -q '^Persistent=true$' "$sw/units/recon-orders-nightly-1.timer" &&
		grep -q '^Persistent=false$' "$sw/units/recon-orders-nightly-4.timer" &&
		grep -q '^ExecStart=.* --incremental -q$' "$sw/units/recon-orders-nightly-3.service" &&
		grep -q "^Environment=\"ODBCINI=$work/odbc.ini\"\$" "$sw/units/recon-orders-nightly-1.service"; then
		pass "schedule: --systemd prints $nunits units that pass systemd-analyze verify (Persistent= by catch-up, ODBCINI in Environment=)"
	else
		fail "schedule: --systemd units pass systemd-analyze verify" "units: $nunits" "$(cat "$sw/verify.txt")"
	fi
else
	echo "skip $backend: schedule: systemd-analyze is not installed (calendar and unit checks)"
fi

# crontab: UTC entries only
sched_job "$sw/utc.xml" '<schedule>
<at cron="*/20 9-17 * * mon-fri"/>
<at cron="5 4 1,15 jan,jul *" mode="incremental"/>
</schedule>'
if recon_env schedule "$sw/utc.xml" --crontab >"$sw/crontab.txt" 2>"$sw/crontab.err" &&
	[ "$(grep -c . "$sw/crontab.txt" | tr -d ' ')" -ge 4 ] &&
	awk '/^#/ || /^[A-Z]+=/ { next }
		NF < 6 || $6 !~ /recon/ { bad = 1 }
		{ n++ }
		END { exit bad || n != 2 }' "$sw/crontab.txt" &&
	grep -q "^ODBCINI=$work/odbc.ini\$" "$sw/crontab.txt" &&
	grep -q "^5 4 1,15 jan,jul \* '.*recon' run '.*utc.xml' --incremental -q\$" "$sw/crontab.txt"; then
	pass "schedule: --crontab prints two lines of five fields and a command, ODBCINI first"
else
	fail "schedule: --crontab lines" "$(cat "$sw/crontab.txt" "$sw/crontab.err")"
fi
recon_env schedule "$sw/cal.xml" --crontab >/dev/null 2>"$sw/crontab2.err"
rc=$?
if [ "$rc" = 3 ] && grep -q "cal.xml:[0-9]*: job 'orders-nightly': <at zone=\"Europe/Berlin\">: Debian's cron has no CRON_TZ" "$sw/crontab2.err"; then
	pass "schedule: --crontab refuses an entry in Europe/Berlin (exit 3, file:line)"
else
	fail "schedule: --crontab refuses a non-UTC zone (exit $rc)" "$(cat "$sw/crontab2.err")"
fi

# ---------------------------------------------------------------------
# 2. The loop under the test clock.
if [ "$backend" != sqlite ]; then
	echo "skip $backend: schedule: the loop under the test clock runs on sqlite"
	return 0 2>/dev/null || true
fi

sched_job "$sw/loop.xml" '<schedule poll="10m" min-gap="30m">
<at cron="0 2 * * *"/>
</schedule>' '<changed>SELECT max(modified_at) FROM crm_deal WHERE stage LIKE ?</changed><param value="Closed%"/>'
sed "s|$demo/store.db|$sw/store.db|" "$work/odbc.ini" >"$sw/odbc.ini"
: >"$sw/odbcinst.ini"
clock=$sw/clock

# set_clock TIME: write the test clock atomically (the loop reads it
# every tick: a file truncated by `>` and not yet written reads empty,
# and the loop stops with "the file must hold a time").
set_clock() {
	echo "$1" >"$clock.tmp" && mv "$clock.tmp" "$clock"
}

# clock_to TIME: set the test clock and wait until the loop has handled it.
clock_to() {
	set_clock "$1"
	local i
	for i in $(seq 1 200); do
		[ "$(cat "$clock.seen" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_log PATTERN [N]: wait until the log has N lines matching PATTERN.
wait_log() {
	local i want=${2:-1}
	for i in $(seq 1 600); do
		[ "$(grep -c -- "$1" "$sw/loop.log")" -ge "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
sched_start() {
	RECON_TEST_SCHEDULE_CLOCK=$clock tools/env.sh "$sw" "$recon" schedule "$sw/loop.xml" \
		--schedule-dir "$sw/sstate" --state-dir "$sw/state" --report-dir "$sw/reports" \
		--tmpdir "$sw/tmp" -q >>"$sw/loop.out" 2>>"$sw/loop.log" &
	sched_pid=$!
}
mkdir -p "$sw/tmp"
set_clock '2026-12-01 00:00:00'
sched_start
if clock_to '2026-12-01 00:00:00' && grep -q "no record of earlier slots" "$sw/loop.log" &&
	grep -q "source 'crm': probe baseline '" "$sw/loop.log" &&
	clock_to '2026-12-01 02:00:00' &&
	wait_log "exited 1 (EXCEPTIONS)" &&
	grep -q "job 'orders-nightly': start (slot 2026-12-01 02:00:00 UTC, \"0 2 \* \* \*\" UTC): recon run $sw/loop.xml --as-of '2026-12-01 02:00:00'" "$sw/loop.log"; then
	pass "schedule: the 02:00 slot starts a full run as of its time (test clock), exit 1 (EXCEPTIONS) logged"
else
	fail "schedule: the 02:00 slot starts a run" "$(cat "$sw/loop.log")"
fi

# a probe that moves at 02:10: the incremental run waits for min-gap (02:30)
sqlite3 "$demo/crm.db" "UPDATE crm_deal SET modified_at = '2026-12-01 02:05:00' WHERE deal_id = (SELECT min(deal_id) FROM crm_deal WHERE stage LIKE 'Closed%')"
if clock_to '2026-12-01 02:10:00' && grep -q "probe moved from '.*' to '2026-12-01 02:05:00'" "$sw/loop.log" &&
	grep -q "waiting for min-gap until 2026-12-01 02:30:00" "$sw/loop.log" &&
	[ "$(grep -c "': start" "$sw/loop.log")" = 1 ] &&
	clock_to '2026-12-01 02:29:00' && [ "$(grep -c "': start" "$sw/loop.log")" = 1 ] &&
	clock_to '2026-12-01 02:40:00' && wait_log "exited" 2 &&
	grep -q "start incremental (a probe moved): recon run $sw/loop.xml --as-of '2026-12-01 02:30:00' --incremental" "$sw/loop.log"; then
	pass "schedule: a moved <changed> probe starts an incremental run, not before min-gap"
else
	fail "schedule: a moved probe starts an incremental run after min-gap" "$(cat "$sw/loop.log")"
fi

kill -TERM "$sched_pid"
wait "$sched_pid"
rc=$?
if [ "$rc" = 0 ] && grep -q "stopping on SIGTERM: no more starts; passing it to 0 running runs" "$sw/loop.log"; then
	pass "schedule: SIGTERM stops the loop (exit 0, logged)"
else
	fail "schedule: SIGTERM stops the loop (exit $rc)" "$(tail -5 "$sw/loop.log")"
fi

# down from 12-01 02:40 to 12-04 12:00: three nightly slots missed, one run
set_clock '2026-12-04 12:00:00'
: >"$sw/loop.log"
sched_start
if clock_to '2026-12-04 12:00:00' && wait_log "exited" &&
	grep -q "catch-up: 3 missed slots, running once as of the latest, 2026-12-04 02:00:00 UTC" "$sw/loop.log" &&
	[ "$(grep -c "': start" "$sw/loop.log")" = 1 ] &&
	clock_to '2026-12-04 23:59:00' && [ "$(grep -c "': start" "$sw/loop.log")" = 1 ]; then
	pass "schedule: after three days down the missed nightly job runs once, as of the latest slot"
else
	fail "schedule: catch-up once after downtime" "$(cat "$sw/loop.log")"
fi
kill -TERM "$sched_pid"
wait "$sched_pid"

runs=$(tools/env.sh "$sw" "$recon" runs "$sw/loop.xml" 2>&1 | awk 'NR > 1 { print $3, $4, $5 }')
want="2026-12-04 02:00:00 full
2026-12-01 02:30:00 incremental
2026-12-01 02:00:00 full"
if [ "$runs" = "$want" ]; then
	pass "schedule: the store's runs are the three the loop started (as-of, mode)"
else
	fail "schedule: the store's runs" "$(tools/env.sh "$sw" "$recon" runs "$sw/loop.xml" 2>&1)"
fi
