/*
 * rule_msgs.h - the tails of the engine's messages to analysts, written
 * out here (not taken from the engine) so the suites that assert whole
 * messages (test_rules.c, test_ruletest.c, test_rlib.c) fail when a
 * message changes. docs/RULES.md shows the same texts.
 */
#ifndef RECON_TEST_RULE_MSGS_H
#define RECON_TEST_RULE_MSGS_H

/* After "instruction budget of N exhausted": Lua code spent it. */
#define LOOP_HINT " (an endless loop, or too much work for one call); fix " \
	"the rule, or raise rule-instructions in the job's <limits>"

/* After "instruction budget of N exhausted in string.match" & co. */
#define PATTERN_HINT " (the pattern backtracks: it tries too many ways to " \
	"match); anchor it (^...$), match runs with a class such as [^,]* " \
	"in place of .- or .*, or raise rule-instructions in the job's " \
	"<limits>"

/* After "rule memory limit of N bytes exceeded". */
#define MEMORY_HINT " (a table or string that keeps growing?); keep less " \
	"per call, or raise rule-memory in the job's <limits>"

/* After Lua's "attempt to ... a nil value (...)". */
#define NIL_HINT " (a value here is nil: an SQL NULL, a field that is not " \
	"set, or a misspelt name; guard it, e.g. `x and x.y`, " \
	"`(x or 0) + 1`)"

#define BUDGET(n) "instruction budget of " #n " exhausted" LOOP_HINT
#define PATTERN_BUDGET(n, fn) "instruction budget of " #n " exhausted in " \
	fn PATTERN_HINT
#define MEMORY(n) "rule memory limit of " #n " bytes exceeded" MEMORY_HINT

#endif
