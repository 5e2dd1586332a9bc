#!/bin/sh
# tools/odbc-sample.sh TEMPLATE - print the installed sample of an odbc.ini
# template (make install: PREFIX/share/recon/etc/*.sample): a header that
# explains each @PLACEHOLDER@ the template has and how to fill them, then
# the template's own comments and its demo DSNs (recon_demo_*) only; the
# test suite's DSNs (recon_test*, recon_case_*, recon_bench_*) are left
# out. The DSN entries themselves are the template's, byte for byte.
set -eu
tmpl=$1
name=$(basename "$tmpl" .in)

echo "; $name.sample - sample unixODBC entries for recon, installed by"
echo "; make install from etc/$name.in. Fill the placeholders below, then"
echo "; point ODBCINI at the result (and ODBCSYSINI at a folder with an"
echo "; odbcinst.ini, which may be empty), or copy the entries into the"
echo "; odbc.ini your service already reads. The driver paths and @OUT@"
echo "; are filled by the installed tools/odbcini.sh:"
echo ";     PREFIX/share/recon/tools/odbcini.sh $name.sample DIR > odbc.ini"
echo ";"
for p in $(grep -o '@[A-Z_][A-Z_]*@' "$tmpl" | sort -u); do
	case $p in
	@OUT@) w="a folder: the demo's SQLite databases are DIR/demo/*.db (tools/gen-demo.sh DIR/demo makes them)" ;;
	@SQLITE_DRIVER@) w="the path of libsqlite3odbc.so (Debian package libsqliteodbc)" ;;
	@PSQL_DRIVER@) w="the path of psqlodbcw.so (Debian package odbc-postgresql)" ;;
	@MARIADB_DRIVER@) w="the path of libmaodbc.so (Debian package odbc-mariadb)" ;;
	@PGHOST@) w="the PostgreSQL server's host name or address (by hand: odbcini.sh leaves it)" ;;
	@PGPORT@) w="the PostgreSQL server's port, usually 5432 (by hand)" ;;
	@MARIAHOST@) w="the MariaDB server's host name or address (by hand)" ;;
	@MARIAPORT@) w="the MariaDB server's port, usually 3306 (by hand)" ;;
	*)
		echo "odbc-sample: $tmpl: no explanation for placeholder $p" >&2
		exit 1
		;;
	esac
	printf ';   %-17s %s\n' "$p" "$w"
done
echo ";"
echo "; Credentials never go in job files: put them here in a file only the"
echo "; service account can read, or in RECON_<DSN>_UID / RECON_<DSN>_PWD."
echo ";"
# The template's leading comment block, then its recon_demo_* sections.
# Comments and blank lines between sections go with the section after
# them (they introduce it), so they are held until its header is read.
awk '
	NR == 1 { head = 1 }
	head && /^;/ { print; next }
	head && /^$/ { head = 0; print; next }
	/^\[/ {
		head = 0
		keep = ($0 ~ /^\[recon_demo_/)
		if (keep) printf "%s", held
		held = ""
		if (keep) print
		next
	}
	/^;/ || /^[ \t]*$/ { held = held $0 "\n"; next }
	keep { printf "%s", held; held = ""; print }' "$tmpl"
