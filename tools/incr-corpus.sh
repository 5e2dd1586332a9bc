#!/bin/sh
# Regenerate the incremental state decoder's seed corpus
# (tests/fuzz/corpus/incr_decode) with the engine's own state writer:
# after any change to the state file format (engine/incr.c: the magic,
# struct incr_rec_hdr, the trailer), run `make build` and then this, and
# commit the files it rewrites. See tools/incr-corpus.c.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
obj=out/build/dev
[ -f "$obj/engine/incr.o" ] || { echo "incr-corpus: run make build first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=$(ls $obj/engine/*.o $obj/connectors/*.o $obj/reports/*.o | grep -v '/main\.o$')
cc -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I. \
  $(pkg-config --cflags lua5.4 libxml-2.0) -o "$tmp/incr-corpus" \
  tools/incr-corpus.c $objs $obj/gen/job_xsd.o \
  $(pkg-config --libs lua5.4 libxml-2.0 odbc) -lodbcinst -lcrypto -lm -pthread
dir=tests/fuzz/corpus/incr_decode
rm -f "$dir"/*.state "$dir"/*.bin "$dir"/empty
"$tmp/incr-corpus" "$dir"
ls "$dir"
