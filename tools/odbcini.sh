#!/bin/sh
# tools/odbcini.sh TEMPLATE OUTDIR: print TEMPLATE with @OUT@ and the
# ODBC driver paths of this machine filled in.
set -eu
tmpl=$1 out=$2
find_driver() {
	for d in /usr/lib/*/odbc /usr/lib/odbc /usr/lib64 /usr/lib; do
		if [ -e "$d/$1" ]; then echo "$d/$1"; return; fi
	done
	echo "odbcini: driver $1 not found (is its package installed?)" >&2
	exit 1
}
# Each driver only where the template asks for it: the installed SQLite
# sample (odbc.ini.sample, make install) is filled on machines without
# psqlODBC or odbc-mariadb.
sqlite= psql= maria=
if grep -q '@SQLITE_DRIVER@' "$tmpl"; then
	sqlite=$(find_driver libsqlite3odbc.so)
fi
if grep -q '@PSQL_DRIVER@' "$tmpl"; then
	psql=$(find_driver psqlodbcw.so)
fi
if grep -q '@MARIADB_DRIVER@' "$tmpl"; then
	maria=$(find_driver libmaodbc.so)
fi
sed -e "s|@OUT@|$out|g" -e "s|@SQLITE_DRIVER@|$sqlite|g" \
    -e "s|@PSQL_DRIVER@|$psql|g" -e "s|@MARIADB_DRIVER@|$maria|g" "$tmpl"
