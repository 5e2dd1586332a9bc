#!/bin/sh
# Run a command with unixODBC pointed at the project-local odbc.ini in
# OUT (first argument). Nothing system-wide is read for DSNs.
set -eu
out=$(cd "$1" && pwd)
shift
ODBCINI=$out/odbc.ini
ODBCSYSINI=$out
export ODBCINI ODBCSYSINI
exec "$@"
