# tests/e2e/lib/install.sh - sourced by tests/e2e/run.sh (sqlite only):
# `make install` into a temporary DESTDIR and the demo run from there
# (README.md, "Installing").
#
#  1. make install DESTDIR=$in PREFIX=/usr/local writes exactly the files
#     listed below, with their modes, and nothing outside $in/usr/local;
#     the binary is out/bin/recon;
#  2. the installed recon --version names the release of engine/version.h
#     and every format constant of the headers (and the schema's
#     namespace);
#  3. the odbc.ini samples explain every placeholder they have and hold no
#     test DSN;
#  4. with the installed tree read-only: data from the installed
#     tools/gen-demo.sh, an odbc.ini from the installed sample through the
#     installed tools/odbcini.sh, then the installed recon checks, tests
#     and runs the installed demo job: exit 1 with exactly the planted
#     exceptions in its report;
#  5. man -l renders both pages without a warning, and tools/check-man.sh
#     refuses pages that lost an option or an attribute;
#  6. make uninstall leaves no file.
# The temporary folder is removed when everything passed.
#
# Uses run.sh's pass/fail/check, csv_exceptions and $backend, $work,
# $recon, $asof, $root.

in_ok=1
in_fail() {
	in_ok=0
	fail "$@"
}
in=$work/install
rm -rf "$in"
mkdir -p "$in/dest" "$in/run"
in_dest=$in/dest
in_pre=$in_dest/usr/local
in_share=$in_pre/share/recon

if make -s -C "$root" install DESTDIR="$in_dest" PREFIX=/usr/local >"$in/make.log" 2>&1; then
	pass "install: make install DESTDIR=... PREFIX=/usr/local"
else
	in_fail "install: make install DESTDIR=... PREFIX=/usr/local" "$(tail -20 "$in/make.log")"
fi

# 1. the files, their modes, nothing else
{
	echo "755 bin/recon"
	echo "644 share/man/man1/recon.1"
	echo "644 share/man/man5/recon-job.5"
	echo "644 share/doc/recon/README.md"
	for f in "$root"/docs/*.md; do echo "644 share/doc/recon/docs/$(basename "$f")"; done
	for f in "$root"/etc/*.xsd; do echo "644 share/recon/etc/$(basename "$f")"; done
	for f in "$root"/etc/demo/*.sql; do echo "644 share/recon/etc/demo/$(basename "$f")"; done
	for s in odbc.ini odbc.pg.ini odbc.mariadb.ini odbc.sqlserver.ini; do
		echo "644 share/recon/etc/$s.sample"
	done
	echo "755 share/recon/etc/hooks/notify.sh"
	echo "644 share/recon/jobs/orders-nightly.xml"
	(cd "$root" && git ls-files rules/demo) | sed 's|^|644 share/recon/|'
	echo "644 share/recon/jobs/lib-examples.xml"
	(cd "$root" && git ls-files rules/lib) | sed 's|^|644 share/recon/|'
	echo "644 share/doc/recon/rules/README.md"
	for t in env.sh gen-demo.sh odbcini.sh; do echo "755 share/recon/tools/$t"; done
	[ ! -f "$root/etc/recon.conf" ] || echo "644 share/recon/recon.conf.sample"
} | sort -k2 >"$in/want.txt"
(cd "$in_pre" 2>/dev/null && find . -type f -printf '%m %P\n') | sort -k2 >"$in/got.txt"
if diff -u "$in/want.txt" "$in/got.txt" >"$in/diff.txt"; then
	pass "install: the $(wc -l <"$in/want.txt") files installed, each with its mode (0755 programs, 0644 the rest)"
else
	in_fail "install: the files installed and their modes (want, got)" "$(cat "$in/diff.txt")"
fi
outside=$(cd "$in_dest" && find . -mindepth 1 ! -path ./usr ! -path ./usr/local ! -path './usr/local/*')
if [ -z "$outside" ]; then
	pass "install: nothing written outside DESTDIR/PREFIX"
else
	in_fail "install: nothing written outside DESTDIR/PREFIX" "$outside"
fi
check "install: bin/recon is out/bin/recon" cmp -s "$recon" "$in_pre/bin/recon"

# 2. --version: the release and every format, from the headers
in_ver=$("$in_pre/bin/recon" --version 2>&1)
in_want_ver=$(sed -n 's/^#define RECON_VERSION "\(.*\)"$/\1/p' "$root/engine/version.h")
in_miss=()
[ "$(printf '%s\n' "$in_ver" | head -1)" = "recon $in_want_ver" ] ||
	in_miss+=("first line is not 'recon $in_want_ver'")
for def in LEDGER_FORMAT:ledger.h ROWFP_FORMAT:rowfp.h INCR_FORMAT:incr.h \
	JOB_NS:job.h VERIFY_DIGEST_FORMAT:verify.h; do
	v=$(sed -n "s/^#define ${def%%:*} \"\(.*\)\"$/\1/p" "$root/engine/${def#*:}")
	if [ -z "$v" ]; then
		in_miss+=("no #define ${def%%:*} in engine/${def#*:}")
	elif ! printf '%s\n' "$in_ver" | grep -qF -- "$v"; then
		in_miss+=("${def%%:*} '$v' not named")
	fi
done
in_ns=$(sed -n 's/.*targetNamespace="\([^"]*\)".*/\1/p' "$root/etc/job.xsd")
printf '%s\n' "$in_ver" | grep -qF "job files          $in_ns" ||
	in_miss+=("the schema's namespace '$in_ns' is not the job files' format")
if [ ${#in_miss[@]} = 0 ]; then
	pass "install: recon --version names recon $in_want_ver and its $(($(printf '%s\n' "$in_ver" | wc -l) - 2)) formats"
else
	in_fail "install: recon --version" "${in_miss[@]}" "got:" "$in_ver"
fi

# 3. the samples: every placeholder explained, no test DSN
in_miss=()
for s in "$in_share"/etc/odbc*.sample; do
	for p in $(grep -v '^;' "$s" | grep -o '@[A-Z_][A-Z_]*@' | sort -u); do
		grep -q "^;   $p " "$s" || in_miss+=("$(basename "$s"): $p not explained")
	done
	t=$(grep -E '^\[recon_(test|case|bench)' "$s")
	[ -z "$t" ] || in_miss+=("$(basename "$s"): test DSNs $t")
done
if [ ${#in_miss[@]} = 0 ]; then
	pass "install: the odbc.ini samples explain their placeholders and hold only demo DSNs"
else
	in_fail "install: the odbc.ini samples" "${in_miss[@]}"
fi

# 4. the demo from the installed tree, which is read-only meanwhile
chmod -R a-w "$in_pre"
in_run=$in/run
if "$in_share/tools/gen-demo.sh" "$in_run/demo" 300 >"$in/gen.log" 2>&1 &&
	"$in_share/tools/odbcini.sh" "$in_share/etc/odbc.ini.sample" "$in_run" >"$in_run/odbc.ini" &&
	: >"$in_run/odbcinst.ini"; then
	pass "install: demo data and odbc.ini from the installed tools and sample"
else
	in_fail "install: demo data and odbc.ini from the installed tools and sample" "$(tail -5 "$in/gen.log")"
fi
in_recon() {
	(cd "$in_run" && ODBCINI=$in_run/odbc.ini ODBCSYSINI=$in_run TMPDIR=$in_run \
		"$in_pre/bin/recon" "$@")
}
in_job=$in_share/jobs/orders-nightly.xml
if in_recon check "$in_job" --connect >"$in/check.out" 2>&1; then
	pass "install: recon check --connect of the installed demo job"
else
	in_fail "install: recon check --connect of the installed demo job" "$(cat "$in/check.out")"
fi
if in_recon test "$in_job" >"$in/test.out" 2>&1; then
	pass "install: recon test of the installed demo job's rules ($(grep -c '^ok' "$in/test.out") tests)"
else
	in_fail "install: recon test of the installed demo job's rules" "$(tail -10 "$in/test.out")"
fi
if in_recon test "$in_share/jobs/lib-examples.xml" >"$in/libtest.out" 2>&1; then
	pass "install: recon test of the installed helper library's examples and tests ($(grep -c '^ok' "$in/libtest.out") tests)"
else
	in_fail "install: recon test of the installed helper library's examples and tests" "$(tail -10 "$in/libtest.out")"
fi
in_recon run "$in_job" --as-of "$asof" --report-dir "$in_run/reports" \
	--state-dir "$in_run/state" --tmpdir "$in_run" -q >"$in/run.out" 2>"$in/run.err"
in_rc=$?
in_csv=$(find "$in_run/reports" -name 'orders-nightly-*.csv' ! -name '*-summary.csv' 2>/dev/null | head -1)
if [ "$in_rc" = 1 ] && [ -n "$in_csv" ] &&
	csv_exceptions "$in_csv" | cmp -s - "$in_run/demo/expected.txt"; then
	pass "install: the installed demo job runs from the installed tree: exit 1, the $(wc -l <"$in_run/demo/expected.txt") planted exceptions"
else
	in_fail "install: the installed demo job runs from the installed tree (exit $in_rc, want 1 and the planted exceptions)" \
		"$(cat "$in/run.out" "$in/run.err" | tail -10)" \
		"$( [ -z "$in_csv" ] || csv_exceptions "$in_csv" | diff "$in_run/demo/expected.txt" - | head -10)"
fi
chmod -R u+w "$in_pre"

# 5. the man pages: rendered by man -l, and held to the binary
for p in man1/recon.1 man5/recon-job.5; do
	name=$(basename "$p")
	head=$(echo "${name%.*}(${name##*.})" | tr 'a-z' 'A-Z')
	if MANWIDTH=80 man --warnings -l "$in_pre/share/man/$p" >"$in/man.out" 2>"$in/man.err" &&
		[ ! -s "$in/man.err" ] && head -1 "$in/man.out" | grep -qF "$head"; then
		pass "install: man -l renders $name without a warning ($(wc -l <"$in/man.out") lines)"
	else
		in_fail "install: man -l renders $name without a warning" "$(head -5 "$in/man.err")"
	fi
done
mkdir -p "$in/man"
cp "$root"/docs/man/* "$in/man/"
sed -i '/^\.B \\-\\-retranslate$/d' "$in/man/recon.1"
sed -i '/^\.B above\\-share$/d' "$in/man/recon-job.5"
if "$root/tools/check-man.sh" "$recon" "$in/man" "$root/etc/job.xsd" >"$in/cm.out" 2>&1; then
	in_fail "install: check-man refuses pages that lost --retranslate and above-share" "it passed"
elif grep -q 'option --retranslate' "$in/cm.out" && grep -q 'attribute above-share' "$in/cm.out"; then
	pass "install: check-man refuses pages that lost --retranslate and above-share"
else
	in_fail "install: check-man refuses pages that lost --retranslate and above-share" "$(cat "$in/cm.out")"
fi

# 6. uninstall
make -s -C "$root" uninstall DESTDIR="$in_dest" PREFIX=/usr/local >"$in/make.log" 2>&1
left=$(find "$in_dest" -type f; find "$in_dest" -type d \( -name recon -o -path '*/share/recon/*' \))
if [ -z "$left" ]; then
	pass "install: make uninstall removes every installed file"
else
	in_fail "install: make uninstall removes every installed file" "$left"
fi

[ "$in_ok" = 0 ] || rm -rf "$in"
