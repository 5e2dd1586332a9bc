/*
 * keep.c - keep_: the run's inputs file (inputs.h, run_int.h), the rows
 * a replay (`recon shadow`) needs: every reference table's rows as they
 * are loaded, every row each source's query returns, in one file per
 * run under STATE_DIR/inputs, put in place only once the run is
 * published.
 */
#include <string.h>

#include "run_int.h"
#include "inputs.h"
#include "mem.h"
#include "banned.h"

static int tee_table(void *ctx, const char *name, const char *const *cols,
		     size_t ncols, struct error *err)
{
	struct run *r = ctx;

	r->in_ref = r->in_next++;
	return inputs_writer_section(r->inw, r->in_ref, INPUTS_REFERENCE, name,
				     cols, ncols, err);
}

static int tee_row(void *ctx, const struct value *vals, size_t ncols,
		   struct error *err)
{
	struct run *r = ctx;

	return inputs_writer_row(r->inw, r->in_ref, vals, ncols, err);
}

int keep_open(struct run *r, struct error *err)
{
	const struct job *job = r->job;

	if (r->replay || !r->opts->keep_inputs)
		return 0;
	if (r->opts->state_dir)
		sbuf_addstr(&r->inputs_dir, r->opts->state_dir);
	else
		incr_default_dir(job, &r->inputs_dir);
	sbuf_addstr(&r->inputs_dir, "/inputs");
	r->in_sec = mem_calloc(job->nsources ? job->nsources : 1,
			       sizeof(*r->in_sec));
	if (r->inputs_dir.failed || !r->in_sec)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (inputs_writer_open(r->inputs_dir.buf, &r->inw, err) < 0)
		return -1;
	r->in_tee.table = tee_table;
	r->in_tee.row = tee_row;
	r->in_tee.ctx = r;
	return 0;
}

const struct ref_tee *keep_ref_tee(struct run *r)
{
	return r->inw ? &r->in_tee : NULL;
}

int keep_refs_end(struct run *r, struct error *err)
{
	/* the references were loaded in order, one section each */
	for (size_t i = 0; r->inw && i < r->refs.n; i++)
		if (inputs_writer_end(r->inw, (unsigned)i,
				      ref_table_rows(r->refs.t[i]), err) < 0)
			return -1;
	return 0;
}

void keep_drop(struct run *r, const char *why_fmt, const char *name)
{
	struct sbuf why = SBUF_INIT(1 << 16);

	if (!r->inw)
		return;
	inputs_writer_free(r->inw);
	r->inw = NULL;
	sbuf_addf(&why, why_fmt, name);
	runlog_printf(r, "this run's inputs are not kept (recon shadow cannot "
		      "replay it): %s", why.buf);
	sbuf_release(&why);
}

/* Source si's section, declared with the labels of its first row (a
 * source without rows: none). */
static int source_section(struct run *r, size_t si, const char *const *names,
			  size_t ncols, struct error *err)
{
	if (r->in_sec[si])
		return 0;
	if (r->in_next > 0xffff)
		return error_set(err, ERR_DATA, "more than 65535 sources and "
				 "references to keep the inputs of");
	r->in_sec[si] = ++r->in_next;	/* section in_next - 1 */
	return inputs_writer_section(r->inw, r->in_sec[si] - 1, INPUTS_SOURCE,
				     r->job->sources[si].name, names, ncols,
				     err);
}

int keep_row(struct run *r, size_t si, const struct row *row,
	     struct error *err)
{
	if (!r->inw)
		return 0;
	if (source_section(r, si, row->names, row->ncols, err) < 0)
		return -1;
	return inputs_writer_row(r->inw, r->in_sec[si] - 1, row->vals,
				 row->ncols, err);
}

int keep_source_end(struct run *r, size_t si, struct error *err)
{
	if (!r->inw)
		return 0;
	if (source_section(r, si, NULL, 0, err) < 0)
		return -1;
	return inputs_writer_end(r->inw, r->in_sec[si] - 1, r->stats[si].read,
				 err);
}

int keep_finish(struct run *r, struct error *err)
{
	return r->inw ? inputs_writer_finish(r->inw, err) : 0;
}

void keep_publish(struct run *r)
{
	struct error err;
	unsigned pruned;

	if (!r->inw)
		return;
	error_init(&err);
	if (inputs_writer_commit(r->inw, r->run_id.buf, &err) < 0) {
		runlog_printf(r, "warning: the run is published, but its inputs "
			      "could not be kept (recon shadow cannot replay "
			      "it): %s", err.msg.buf);
		error_release(&err);
		return;
	}
	error_release(&err);
	pruned = inputs_prune(r->inputs_dir.buf, r->opts->keep_inputs);
	runlog_printf(r, "inputs kept for recon shadow: %s/%s%s, %.1f MB "
		      "(%u older file%s removed; keep-inputs %u)",
		      r->inputs_dir.buf, r->run_id.buf, INPUTS_SUFFIX,
		      (double)inputs_writer_bytes(r->inw) / 1e6, pruned,
		      pruned == 1 ? "" : "s", r->opts->keep_inputs);
}

void keep_release(struct run *r)
{
	inputs_writer_free(r->inw);	/* removes an unpublished file */
	r->inw = NULL;
	mem_free(r->in_sec);
	r->in_sec = NULL;
	sbuf_release(&r->inputs_dir);
}
