# recon - rules-driven batch reconciliation engine.
#
#   make demo     install what is missing, build, make demo data, run the job
#   make check    install, build, run every test (unit, ASan+UBSan, valgrind,
#                 end to end on SQLite, PostgreSQL and MariaDB)
#   make bench    throughput and memory against the raw ODBC fetch floor
#   make bench-pg the same on a throwaway PostgreSQL cluster (not in check)
#   make bench-maria the same on a throwaway MariaDB server (not in check)
#   make unit-tsan ThreadSanitizer on the suites that start threads (not in check)
#   make install  PREFIX=/usr/local DESTDIR=...: binary, schema, samples, demo,
#                 man pages, docs (README.md, "Installing"); make uninstall
#
# Everything generated goes under out/ (git-ignored).

SHELL := /bin/bash
OUT    ?= out
BUILD   = $(OUT)/build
PKGS    = lua5.4 libxml-2.0 odbc odbcinst libcrypto jansson
CHECKPKG = check

CC     ?= gcc
# The developer build: warnings are errors (git's config.mak.dev).
WARN    = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) -pthread -D_POSIX_C_SOURCE=200809L -I. \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
CHECK_LIBS = $(shell pkg-config --libs $(CHECKPKG) 2>/dev/null)

SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
# ThreadSanitizer: the fetch thread (engine/prefetch.c), the translator
# threads (engine/xlate.c) and the store writer's thread
# (connectors/odbc.c) against their callers.
TSAN_CFLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
# The suites that start those threads: run and incremental read sources
# through prefetch (run's jobs_* tests through translators too); store,
# odbc and odbc_writer write through writers.
TSAN_SUITES = odbc_writer odbc store run incremental

LIB_SRC  = $(sort $(filter-out engine/main.c,$(wildcard engine/*.c)) \
             $(wildcard connectors/*.c) $(wildcard reports/*.c))
TEST_SRC = $(sort $(wildcard tests/unit/test_*.c))
SUITES   = $(patsubst tests/unit/test_%.c,%,$(TEST_SRC))

# Object trees: dev (the product), san (ASan+UBSan), tsan (TSan).
DEV_OBJ  = $(patsubst %.c,$(BUILD)/dev/%.o,$(LIB_SRC))
SAN_OBJ  = $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRC))
TSAN_OBJ = $(patsubst %.c,$(BUILD)/tsan/%.o,$(LIB_SRC))

RECON    = $(OUT)/bin/recon
UNIT     = $(BUILD)/dev/unit
UNIT_SAN = $(BUILD)/san/unit
UNIT_TSAN = $(BUILD)/tsan/unit

.PHONY: all deps build demo check unit unit-san unit-tsan unit-valgrind e2e e2e-sqlite \
        e2e-pg e2e-maria e2e-cross bench bench-pg bench-maria clean odbcini fuzz fuzz-replay rules-test \
        install uninstall man-check bench-html

all: build
build: $(RECON) $(OUT)/odbc.ini

deps:
	@tools/deps.sh etc/debian-packages.txt

$(BUILD)/dev/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN_CFLAGS) -MMD -MP -c $< -o $@

# The job schema is compiled into the binary so that `recon` works from
# any directory.
$(BUILD)/gen/job_xsd.c: etc/job.xsd tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh recon_job_xsd $< > $@
$(BUILD)/dev/gen/job_xsd.o: $(BUILD)/gen/job_xsd.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -c $< -o $@
$(BUILD)/san/gen/job_xsd.o: $(BUILD)/gen/job_xsd.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -c $< -o $@
$(BUILD)/tsan/gen/job_xsd.o: $(BUILD)/gen/job_xsd.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -c $< -o $@
# The HTML report's script and style (reports/html.c; the page's CSP
# names their SHA-256).
$(BUILD)/gen/html_js.c: reports/html.js tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh recon_html_js $< > $@
$(BUILD)/gen/html_css.c: reports/html.css tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh recon_html_css $< > $@
$(BUILD)/%/gen/html_js.o: $(BUILD)/gen/html_js.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -c $< -o $@
$(BUILD)/%/gen/html_css.o: $(BUILD)/gen/html_css.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -c $< -o $@
GEN_DEV  = $(BUILD)/dev/gen/job_xsd.o $(BUILD)/dev/gen/html_js.o $(BUILD)/dev/gen/html_css.o
GEN_SAN  = $(BUILD)/san/gen/job_xsd.o $(BUILD)/san/gen/html_js.o $(BUILD)/san/gen/html_css.o
GEN_TSAN = $(BUILD)/tsan/gen/job_xsd.o $(BUILD)/tsan/gen/html_js.o $(BUILD)/tsan/gen/html_css.o

$(RECON): $(DEV_OBJ) $(BUILD)/dev/engine/main.o $(GEN_DEV)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one Check suite per module, registered by file name.
$(BUILD)/gen/suites.inc: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@for s in $(SUITES); do echo "SUITE($$s)"; done > $@.tmp && mv $@.tmp $@

TEST_OBJ_DEV = $(patsubst %.c,$(BUILD)/dev/%.o,$(TEST_SRC) tests/unit/runner.c)
TEST_OBJ_SAN = $(patsubst %.c,$(BUILD)/san/%.o,$(TEST_SRC) tests/unit/runner.c)
TEST_OBJ_TSAN = $(patsubst %.c,$(BUILD)/tsan/%.o,$(TEST_SRC) tests/unit/runner.c)
$(BUILD)/dev/tests/unit/runner.o $(BUILD)/san/tests/unit/runner.o \
  $(BUILD)/tsan/tests/unit/runner.o: $(BUILD)/gen/suites.inc
$(BUILD)/dev/tests/unit/runner.o: ALL_CFLAGS += -I$(BUILD)/gen
$(BUILD)/san/tests/unit/runner.o: ALL_CFLAGS += -I$(BUILD)/gen
$(BUILD)/tsan/tests/unit/runner.o: ALL_CFLAGS += -I$(BUILD)/gen

$(UNIT): $(TEST_OBJ_DEV) $(DEV_OBJ) $(GEN_DEV)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)
$(UNIT_SAN): $(TEST_OBJ_SAN) $(SAN_OBJ) $(GEN_SAN)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)
$(UNIT_TSAN): $(TEST_OBJ_TSAN) $(TSAN_OBJ) $(GEN_TSAN)
	$(CC) $(TSAN_CFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

# A project-local odbc.ini: DSNs for the demo and the tests, pointing at
# databases under out/. unixODBC finds it through ODBCINI/ODBCSYSINI, which
# tools/env.sh exports; nothing system-wide is edited.
$(OUT)/odbc.ini: etc/odbc.ini.in tools/odbcini.sh
	@mkdir -p $(OUT)
	tools/odbcini.sh etc/odbc.ini.in $(abspath $(OUT)) > $@.tmp && mv $@.tmp $@
	@touch $(OUT)/odbcinst.ini

unit: deps $(UNIT) $(OUT)/odbc.ini
	@mkdir -p $(OUT)/test
	tools/env.sh $(OUT) $(UNIT)

unit-san: deps $(UNIT_SAN) $(OUT)/odbc.ini
	@mkdir -p $(OUT)/test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tools/env.sh $(OUT) $(UNIT_SAN)

# Not in `check`: 2 to 4 minutes here (2m11s and 4m02s measured on the
# shared 2-core machine, 1m07s-1m11s CPU). A race makes the test's
# process exit 66, failing that test;
# tests/tsan.supp says what is suppressed and why.
unit-tsan: deps $(UNIT_TSAN) $(OUT)/odbc.ini
	@mkdir -p $(OUT)/test
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(abspath tests/tsan.supp)" \
	  tools/env.sh $(OUT) $(UNIT_TSAN) $(TSAN_SUITES)

unit-valgrind: deps $(UNIT) $(OUT)/odbc.ini
	@mkdir -p $(OUT)/test
	CK_FORK=no RECON_UNDER_VALGRIND=1 tools/env.sh $(OUT) valgrind -q \
	  --leak-check=full --errors-for-leak-kinds=definite,indirect \
	  --error-exitcode=99 --suppressions=tests/valgrind.supp $(UNIT)

e2e-sqlite: deps build $(OUT)/bin/html-gen
	tests/e2e/run.sh sqlite

e2e-pg: deps build $(UNIT)
	tests/e2e/run.sh pg

e2e-maria: deps build $(UNIT)
	tests/e2e/run.sh maria

# The three backends at once, each with its own throwaway server, then
# tests/e2e/cross.sh: the same records and the same exception CSV on all
# three (tests/e2e/all.sh).
e2e: deps build $(UNIT) $(OUT)/bin/html-gen
	tests/e2e/all.sh

# Only the comparison, after e2e-sqlite, e2e-pg and e2e-maria.
e2e-cross:
	tests/e2e/cross.sh

# The analysts' rule tests (rules/*/tests/*_test.lua, docs/RULES.md): the
# demo's, and the helper library's (rules/lib/tests, rules/README.md).
rules-test: deps build
	tools/env.sh $(OUT) $(RECON) test jobs/orders-nightly.xml
	tools/env.sh $(OUT) $(RECON) test jobs/lib-examples.xml

# Fuzz targets: one per parser. `make check` replays every committed
# corpus (and crash) under ASan+UBSan with gcc; `make fuzz` runs libFuzzer
# (clang) for FUZZ_SECONDS per target and adds what it finds to the corpus.
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(SAN_OBJ) $(GEN_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/fuzz/libfuzzer-%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(BUILD)/gen/job_xsd.c $(BUILD)/gen/html_js.c $(BUILD)/gen/html_css.c
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -I. \
	  $(shell pkg-config --cflags $(PKGS)) -o $@ $^ $(LIBS)

fuzz-replay: deps $(patsubst %,$(BUILD)/fuzz/replay-%,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz-replay: $$t"; \
	  tools/env.sh $(OUT) $(BUILD)/fuzz/replay-$$t tests/fuzz/corpus/$$t/*; done

fuzz: deps $(patsubst %,$(BUILD)/fuzz/libfuzzer-%,$(FUZZ_TARGETS))
	@tools/deps.sh etc/debian-packages-fuzz.txt
	@set -e; for t in $(FUZZ_TARGETS); do \
	  tools/env.sh $(OUT) $(BUILD)/fuzz/libfuzzer-$$t -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=tests/fuzz/corpus/$$t/crash- tests/fuzz/corpus/$$t; done

# The man pages against recon --help, recon exit-codes and etc/job.xsd
# (tools/check-man.sh says what it refuses), and groff's warnings.
man-check: $(RECON)
	tools/check-man.sh $(RECON) docs/man etc/job.xsd

check: deps build man-check unit unit-san unit-valgrind fuzz-replay e2e rules-test
	@echo "make check: all passed"

demo: deps build
	tools/demo.sh

# The raw ODBC fetch floor the bench compares the engine with.
FLOOR    = $(OUT)/bin/odbc-floor
$(FLOOR): tests/bench/odbc_floor.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS)

# N=deals (default 1,000,000): make bench N=200000; FIELDS=8 adds the
# first load with eight site-defined fields (docs/DEMO.md)
BENCH_ENV = $(if $(N),BENCH_N=$(N)) $(if $(FIELDS),BENCH_FIELDS=$(FIELDS))

bench: deps build $(FLOOR)
	$(BENCH_ENV) tools/bench.sh

bench-pg: deps build $(FLOOR)
	$(BENCH_ENV) tools/bench.sh pg

bench-maria: deps build $(FLOOR)
	$(BENCH_ENV) tools/bench.sh maria

# make install [PREFIX=/usr/local] [DESTDIR=]: what README.md, "Installing"
# lists. The demo job keeps its folder tree under share/recon (jobs/,
# rules/demo/, etc/demo/, tools/) so that its relative paths hold there.
# Nothing is written outside $(DESTDIR)$(PREFIX) but $(OUT)/install (the
# odbc.ini samples, made from the templates by tools/odbc-sample.sh).
PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install
BINDIR   = $(DESTDIR)$(PREFIX)/bin
DATADIR  = $(DESTDIR)$(PREFIX)/share/recon
MANDIR   = $(DESTDIR)$(PREFIX)/share/man
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/recon

# under share/recon, each at its path in the tree
SHARE_DATA  = $(wildcard etc/*.xsd) etc/odbc.sqlserver.ini.sample \
              $(wildcard etc/demo/*.sql) jobs/orders-nightly.xml \
              $(wildcard rules/demo/*.lua rules/demo/*.csv rules/demo/tests/*.lua) \
              jobs/lib-examples.xml \
              $(wildcard rules/lib/*.lua rules/lib/*.csv rules/lib/tests/*.lua)
SHARE_PROGS = etc/hooks/notify.sh tools/gen-demo.sh tools/odbcini.sh tools/env.sh
ODBC_SAMPLES = $(patsubst etc/%.in,%.sample,$(wildcard etc/odbc*.ini.in))
CONF_SAMPLE = $(wildcard etc/recon.conf)
MAN_PAGES   = docs/man/recon.1 docs/man/recon-job.5
DOCS        = $(wildcard docs/*.md)

$(OUT)/install/%.sample: etc/%.in tools/odbc-sample.sh
	@mkdir -p $(dir $@)
	tools/odbc-sample.sh $< > $@.tmp && mv $@.tmp $@

install: $(RECON) $(patsubst %,$(OUT)/install/%,$(ODBC_SAMPLES))
	$(INSTALL) -d $(BINDIR) $(DATADIR) $(MANDIR)/man1 $(MANDIR)/man5 $(DOCDIR)/docs
	$(INSTALL) -m 0755 $(RECON) $(BINDIR)/recon
	@set -e; for f in $(SHARE_DATA); do \
	  echo "$(INSTALL) -D -m 0644 $$f $(DATADIR)/$$f"; \
	  $(INSTALL) -D -m 0644 $$f $(DATADIR)/$$f; done
	@set -e; for f in $(SHARE_PROGS); do \
	  echo "$(INSTALL) -D -m 0755 $$f $(DATADIR)/$$f"; \
	  $(INSTALL) -D -m 0755 $$f $(DATADIR)/$$f; done
	$(INSTALL) -m 0644 $(patsubst %,$(OUT)/install/%,$(ODBC_SAMPLES)) $(DATADIR)/etc
	$(if $(CONF_SAMPLE),$(INSTALL) -m 0644 $(CONF_SAMPLE) $(DATADIR)/recon.conf.sample)
	$(INSTALL) -m 0644 docs/man/recon.1 $(MANDIR)/man1/recon.1
	$(INSTALL) -m 0644 docs/man/recon-job.5 $(MANDIR)/man5/recon-job.5
	$(INSTALL) -m 0644 README.md $(DOCDIR)/README.md
	$(INSTALL) -m 0644 $(DOCS) $(DOCDIR)/docs
	$(INSTALL) -D -m 0644 rules/README.md $(DOCDIR)/rules/README.md

# Removes what install wrote, then the folders of share/recon and
# share/doc/recon left empty; bin/ and share/man/ stay (they are shared).
uninstall:
	rm -f $(BINDIR)/recon $(MANDIR)/man1/recon.1 $(MANDIR)/man5/recon-job.5
	rm -f $(patsubst %,$(DATADIR)/%,$(SHARE_DATA) $(SHARE_PROGS)) \
	      $(patsubst %,$(DATADIR)/etc/%,$(ODBC_SAMPLES)) $(DATADIR)/recon.conf.sample
	rm -f $(DOCDIR)/README.md $(patsubst docs/%,$(DOCDIR)/docs/%,$(DOCS)) \
	      $(DOCDIR)/rules/README.md
	@for d in $(DATADIR) $(DOCDIR); do \
	  [ ! -d $$d ] || find $$d -depth -type d -empty -delete; done

clean:
	rm -rf $(OUT)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The HTML report at volume (docs/REPORTS.md, "Sizes and speed"):
# html-gen writes N synthetic lines through reports/html.c, html-gen-old
# the same lines through the writer before the rewrite (git show 677f056:reports/html.c, the last commit with the old one);
# tools/bench-html.sh compares bytes per line and times headless
# Chromium to the page's ready marker. HTML_N=lines (default 200000).
HTMLGEN     = $(OUT)/bin/html-gen
HTMLGEN_OLD = $(OUT)/bin/html-gen-old
HTML_LIB_OBJ = $(filter-out $(BUILD)/dev/reports/html.o,$(DEV_OBJ))
$(HTMLGEN): tests/bench/html_gen.c $(DEV_OBJ) $(GEN_DEV)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/bench/html_old.c:
	@mkdir -p $(dir $@)
	git show 677f056:reports/html.c > $@.tmp && mv $@.tmp $@
$(HTMLGEN_OLD): tests/bench/html_gen.c $(BUILD)/bench/html_old.c $(HTML_LIB_OBJ) $(GEN_DEV)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ireports -o $@ $^ $(LIBS)

bench-html: deps build $(HTMLGEN) $(HTMLGEN_OLD)
	$(if $(HTML_N),BENCH_HTML_N=$(HTML_N)) tools/bench-html.sh
