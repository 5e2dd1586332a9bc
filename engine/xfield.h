/*
 * xfield.h - site-defined fields between Lua and records (docs/JOBS.md,
 * "<fields>"; docs/RULES.md, "Site-defined fields").
 *
 * A job declares typed extra fields per role; translation rules set them
 * (out.fields.NAME = ...), order rules read them (o.deal.fields.NAME,
 * o.erp.docs[i].fields.NAME), typed. This module is the one place that
 * converts a Lua value into a field's stored form and back, for the
 * run's views (rules.c) and the rule tests (ruletest.c) alike.
 */
#ifndef RECON_XFIELD_H
#define RECON_XFIELD_H

#include <lua.h>

#include "canon.h"
#include "job.h"

/*
 * Set field fi (job->fields[fi]) of c from the Lua value at index idx,
 * converted to the field's type; nil unsets it. Raises a Lua error that
 * starts with `what` ("out.fields.region") when the value has another
 * type or does not fit, and "out of memory" (fatal) when c cannot grow.
 * The caller has checked that c's role may set the field.
 *
 *   text       a string (an integer is written in decimal), UTF-8, no NUL
 *   money      money(...) or a decimal string ("12.50"); a Lua number is
 *              refused (whole units or minor units?)
 *   integer    an integer, a string of decimal digits with an optional
 *              sign, or money without a fraction
 *   date       "YYYY-MM-DD" or epoch seconds at 00:00:00 UTC
 *   timestamp  epoch seconds or "YYYY-MM-DD HH:MM[:SS]" (as out.time)
 *   boolean    true/false, the integers 0/1, or "0" "1" "true" "false"
 *              (any case)
 */
void xfield_set(lua_State *L, const struct job *job, struct canon *c,
		unsigned fi, int idx, const char *what);

/* Push field fi of c as rules see it: a string, money, an integer (date
 * and timestamp as epoch seconds), a boolean, or nil if unset. */
void xfield_push(lua_State *L, const struct canon *c,
		 const struct job_field *f, unsigned fi);

/* Push "region (text), tax (money)": the fields role k may use, or
 * "none" when it has none; for the errors that list what there is. */
void xfield_push_names(lua_State *L, const struct job *job, unsigned role);

/* Push the roles field f is declared for: "order, erp". */
void xfield_push_roles(lua_State *L, const struct job_field *f);

#endif
