/*
 * job.c - load and validate a job file (see job.h and docs/JOBS.md).
 *
 * The file is read into memory (at most JOB_FILE_MAX bytes), parsed by
 * libxml2 with network access, entity substitution and DTD loading off,
 * refused if it has a DOCTYPE (the parse stops at the DOCTYPE, before
 * any entity declaration is read), validated against the embedded
 * etc/job.xsd, and then walked once in document order to build the
 * struct job and run the checks XSD 1.0 cannot express.
 *
 * Invariants:
 *  - every libxml2 message goes to on_xml_error() while a load runs (the
 *    previous handlers are restored on return), so nothing is printed;
 *  - the first error wins, and every message starts "FILE:LINE:" (with
 *    ":COL" when libxml2 knows the column);
 *  - everything the struct job owns comes from mem.h; libxml2's own
 *    allocations are freed on every path before job_load returns.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "job.h"
#include "cron.h"
#include "dialect.h"
#include "file.h"
#include "mem.h"
#include "text.h"
#include "money.h"
#include "pubval.h"
#include "banned.h"

/* etc/job.xsd, embedded by tools/embed.sh (NUL-terminated). */
extern const char recon_job_xsd[];
extern const unsigned long recon_job_xsd_len;

/* Largest job file we read. Real jobs are a few KiB; the cap keeps a
 * wrong path (a dump, a log) from being slurped. */
#define JOB_FILE_MAX ((size_t)1 << 20)

/* Longest duration: 100 years, so that as-of minus a window stays a
 * sane timestamp. */
#define JOB_DURATION_MAX INT64_C(3153600000)

/* How much of a libxml2 message or a job value goes into a message. */
#define JOB_SHOW_MAX 80
#define JOB_XMLMSG_MAX 400

/* Limits: most sources (canon.source is 16 bits), partitions, and the
 * smallest Lua heap worth starting. */
#define JOB_SOURCES_MAX 1024

/* Defaults for the optional parts. */
#define JOB_DEFAULT_PARTITIONS 64u

#if LIBXML_VERSION >= 21200
typedef const xmlError *job_xml_error;
#else
typedef xmlErrorPtr job_xml_error;
#endif

/* One load in progress. */
struct loader {
	const char *path;	/* the job file as given */
	struct error *err;
	struct job *job;	/* being built; freed on failure */
	struct sbuf show[2];	/* scratch for quoting values in messages */
	int nshow;
	int has_window;		/* the job has a window= attribute */
	const struct job_defaults *defaults;	/* never NULL */
};

/* ---- errors ---------------------------------------------------------- */

static int fail_nomem(struct loader *ld)
{
	return error_set(ld->err, ERR_NOMEM, "%s: out of memory loading job",
			 ld->path);
}

/* ERR_JOB "FILE:LINE: message" for a node (line 0 if node is NULL). */
static int fail(struct loader *ld, xmlNodePtr node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *ld, xmlNodePtr node, const char *fmt, ...)
{
	struct error *err = ld->err;
	long line = node ? xmlGetLineNo(node) : 0;
	va_list ap;

	if (err->code != ERR_OK)
		return -1;
	if (line < 0 || line > INT_MAX)
		line = 0;
	error_set(err, ERR_JOB, "%s:%ld: ", ld->path, line);
	va_start(ap, fmt);
	sbuf_vaddf(&err->msg, fmt, ap);
	va_end(ap);
	err->line = (int)line;
	return -1;
}

/*
 * A value from the job quoted for a message: printable ASCII and UTF-8
 * as is, control bytes escaped, long values cut with "...". The result
 * is borrowed until the next-but-one call (two scratch buffers, for
 * messages that show two values). Never NULL.
 */
static const char *show(struct loader *ld, const char *s)
{
	struct sbuf *sb = &ld->show[ld->nshow++ & 1];
	size_t i;

	sbuf_reset(sb);
	sbuf_addch(sb, '"');
	for (i = 0; s[i] && i < JOB_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sbuf_addf(sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sbuf_addf(sb, "\\x%02x", c);
		else
			sbuf_addch(sb, c);
	}
	if (s[i]) {
		/* do not end inside a UTF-8 sequence */
		while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80) {
			i--;
			sbuf_setlen(sb, sb->len - 1);
		}
		sbuf_addstr(sb, "...");
	}
	sbuf_addch(sb, '"');
	return sb->failed ? "(value)" : sb->buf;
}

/*
 * libxml2 messages that speak of its own options, functions or grammar
 * terms ("use XML_PARSE_HUGE option", "xmlParseCharRef: ...", "Name too
 * long: NCName", "Unregistered error message"), which a job's author can
 * do nothing with, said in the author's terms instead, with the limit
 * where one was reached. Chosen by error code (stable across libxml2
 * versions), not by message text, except to tell apart the several
 * messages one code has. Returns 1 if *out got a replacement.
 */
static int xml_user_message(job_xml_error e, const char *msg,
			    struct sbuf *out)
{
	if (e->domain != XML_FROM_PARSER)
		return 0;
	switch (e->code) {
	case XML_ERR_INTERNAL_ERROR:
		if (strstr(msg, "depth"))
			sbuf_addf(out, "elements are nested more than %d deep "
				  "(the limit for job files)",
				  e->int1 > 0 ? e->int1 : 256);
		else
			sbuf_addstr(out, "the XML goes beyond a limit of the "
				    "XML parser here (job files are small, "
				    "plain XML)");
		return 1;
	case XML_ERR_NAME_TOO_LONG:
		sbuf_addf(out, "a name (of an element, attribute or prefix) is "
			  "longer than %d characters (the limit for job files)",
			  XML_MAX_NAME_LENGTH);
		return 1;
	case XML_ERR_INVALID_CHAR:
		if (strncmp(msg, "Input is not proper UTF-8", 25) == 0)
			sbuf_addstr(out, "the file is not valid UTF-8 here (job "
				    "files are UTF-8: save it as UTF-8)");
		else if (strncmp(msg, "xmlParseCharRef", 15) == 0)
			sbuf_addf(out, "a character reference &#...; stands for "
				  "character %d, which XML does not allow",
				  e->int1);
		else
			sbuf_addstr(out, "a character XML does not allow (a "
				    "control character) is here; remove it");
		return 1;
	case XML_ERR_INVALID_HEX_CHARREF:
	case XML_ERR_INVALID_DEC_CHARREF:
		sbuf_addf(out, "a character reference &#%s...; is not a %s "
			  "number", e->code == XML_ERR_INVALID_HEX_CHARREF ? "x"
			  : "", e->code == XML_ERR_INVALID_HEX_CHARREF
			  ? "hexadecimal" : "decimal");
		return 1;
	case XML_ERR_CDATA_NOT_FINISHED:
		sbuf_addstr(out, "a <![CDATA[ section is not closed with ]]> or "
			    "holds a character XML does not allow");
		return 1;
	case XML_ERR_PI_NOT_FINISHED:
		sbuf_addstr(out, "a processing instruction <?...?> is not closed "
			    "with ?> or holds a character XML does not allow");
		return 1;
	default:
		break;
	}
	/* any other message that names libxml2's insides */
	if (strstr(msg, "XML_PARSE_") || strncmp(msg, "xml", 3) == 0 ||
	    strstr(msg, "Unregistered error") || strstr(msg, "nternal error")) {
		sbuf_addf(out, "not well-formed XML here (XML parser error %d)",
			  (int)e->code);
		return 1;
	}
	return 0;
}

/*
 * The structured error handler for parsing and validation: keep the
 * first error as "FILE:LINE:COL: message". Warnings are dropped (and,
 * because a handler is installed, not printed either).
 */
static void on_xml_error(void *ctx, job_xml_error e)
{
	struct loader *ld = ctx;
	struct error *err = ld->err;
	const char *msg = e->message ? e->message : "XML error";
	size_t n = strlen(msg);
	long line = e->line;
	int col = e->int2;
	int cut = 0;

	if (e->level < XML_ERR_ERROR || err->code != ERR_OK)
		return;
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n > JOB_XMLMSG_MAX) {
		n = JOB_XMLMSG_MAX;
		while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	if (line <= 0 && e->node)
		line = xmlGetLineNo((xmlNodePtr)e->node);
	if (line < 0 || line > INT_MAX)
		line = 0;
	if (e->domain != XML_FROM_PARSER || col < 0)
		col = 0;
	if (e->domain == XML_FROM_PARSER && e->code == XML_ERR_NO_MEMORY) {
		fail_nomem(ld);
		return;
	}
	if (col > 0)
		error_set(err, ERR_JOB, "%s:%ld:%d: ", ld->path, line, col);
	else
		error_set(err, ERR_JOB, "%s:%ld: ", ld->path, line);
	err->line = (int)line;
	if (xml_user_message(e, msg, &err->msg))
		return;
	/* one line: some libxml2 messages continue on a second line */
	for (size_t i = 0; i < n; i++)
		sbuf_addch(&err->msg, msg[i] == '\n' ? ' ' : msg[i]);
	if (cut)
		sbuf_addstr(&err->msg, "...");
	err->line = (int)line;
}

/* Errors while compiling our own schema are bugs, not job errors. */
static void on_schema_error(void *ctx, job_xml_error e)
{
	struct loader *ld = ctx;
	const char *msg = e->message ? e->message : "?";
	size_t n = strlen(msg);

	if (e->level < XML_ERR_ERROR)
		return;
	while (n > 0 && msg[n - 1] == '\n')
		n--;
	error_set(ld->err, ERR_INTERNAL, "embedded job schema, line %d: %.*s",
		  e->line, (int)(n > JOB_XMLMSG_MAX ? JOB_XMLMSG_MAX : n), msg);
}

/* Generic (unstructured) messages: none should arrive while a
 * structured handler is installed; swallow any that do. */
static void on_generic_error(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* SAX internalSubset: a DOCTYPE. Stop before its declarations are read,
 * so no entity is ever defined, let alone expanded. The DTD node itself
 * is still made, so that parse() refuses the document even if this
 * handler could not record the error. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
		       const xmlChar *sid)
{
	xmlParserCtxtPtr pc = ctx;
	struct loader *ld = pc->_private;

	if (ld && ld->err->code == ERR_OK) {
		long line = pc->input ? pc->input->line : 0;

		error_set(ld->err, ERR_JOB,
			  "%s:%ld: job files may not have a DOCTYPE", ld->path,
			  line);
		ld->err->line = (int)line;
	}
	xmlSAX2InternalSubset(ctx, name, eid, sid);
	xmlStopParser(pc);
}

/* ---- small parsers (no double, no atoi) ------------------------------ */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Digits only, overflow-checked; 0 or -1. */
static int parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (!is_digit((unsigned char)*s))
		return -1;
	for (; is_digit((unsigned char)*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	*sp = s;
	*out = v;
	return 0;
}

int job_parse_duration(const char *s, int64_t *out)
{
	uint64_t v, mult = 1;

	if (!s || parse_u64(&s, &v) < 0)
		return -1;
	switch (*s) {
	case '\0': break;
	case 's': mult = 1; s++; break;
	case 'm': mult = 60; s++; break;
	case 'h': mult = 3600; s++; break;
	case 'd': mult = 86400; s++; break;
	default: return -1;
	}
	if (*s != '\0' || __builtin_mul_overflow(v, mult, &v) ||
	    v > (uint64_t)JOB_DURATION_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

enum { PPM_OK, PPM_SYNTAX, PPM_PRECISION, PPM_RANGE };

/* A decimal fraction 0..1 with at most 6 significant decimals, into
 * parts per million, exactly: "0.001" is 1000. */
static int parse_ppm(const char *s, int64_t *out)
{
	int64_t ip = 0, frac = 0;
	int ndig = 0, nfrac = 0;

	for (; is_digit((unsigned char)*s); s++, ndig++)
		if (ip < 2)	/* anything over 1 is out of range */
			ip = ip * 10 + (*s - '0');
	if (*s == '.') {
		for (s++; is_digit((unsigned char)*s); s++, ndig++) {
			if (nfrac < 6) {
				frac = frac * 10 + (*s - '0');
				nfrac++;
			} else if (*s != '0') {
				return PPM_PRECISION;
			}
		}
	}
	if (ndig == 0 || *s != '\0')
		return PPM_SYNTAX;
	while (nfrac < 6) {
		frac *= 10;
		nfrac++;
	}
	if (ip > 1 || (ip == 1 && frac > 0))
		return PPM_RANGE;
	*out = ip * 1000000 + frac;
	return PPM_OK;
}

int job_parse_size(const char *s, size_t *out)
{
	uint64_t v, mult = 1;

	if (parse_u64(&s, &v) < 0)
		return -1;
	if (strcmp(s, "KB") == 0)
		mult = (uint64_t)1 << 10;
	else if (strcmp(s, "MB") == 0)
		mult = (uint64_t)1 << 20;
	else if (strcmp(s, "GB") == 0)
		mult = (uint64_t)1 << 30;
	else if (*s != '\0')
		return -1;
	if (__builtin_mul_overflow(v, mult, &v) || v > SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* [A-Za-z_][A-Za-z0-9_]{0,max-1} */
static int is_lua_keyword(const char *s)
{
	static const char *const kw[] = {
		"and", "break", "do", "else", "elseif", "end", "false", "for",
		"function", "goto", "if", "in", "local", "nil", "not", "or",
		"repeat", "return", "then", "true", "until", "while",
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(s, kw[i]) == 0)
			return 1;
	return 0;
}

/* [A-Za-z0-9_.-]+ (job.h) */
int job_is_dsn(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      is_digit(*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int ascii_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Does s contain the upper-case word w, in any case? */
static int contains_nocase(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++) {
		size_t i;

		for (i = 0; i < n && s[i] && ascii_upper((unsigned char)s[i]) ==
		     w[i]; i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

/* The credential marker found in s, or NULL. */
static const char *credential_in(const char *s)
{
	if (contains_nocase(s, "PWD="))
		return "PWD=";
	if (contains_nocase(s, "PASSWORD="))
		return "PASSWORD=";
	return NULL;
}

static int check_no_credentials(struct loader *ld, xmlNodePtr node,
				const char *what, const char *s)
{
	const char *c = credential_in(s);

	if (!c)
		return 0;
	return fail(ld, node, "%s contains \"%s\": credentials belong in "
		    "odbc.ini or the environment, never in a job file", what, c);
}

/* ---- tree access ----------------------------------------------------- */

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr next_element(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

#define FOR_EACH_CHILD(c, parent) \
	for (xmlNodePtr c = next_element((parent)->children); c; \
	     c = next_element(c->next))

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	FOR_EACH_CHILD(c, parent)
		if (named(c, name))
			return c;
	return NULL;
}

static size_t count_children(xmlNodePtr parent, const char *name)
{
	size_t n = 0;

	FOR_EACH_CHILD(c, parent)
		if (named(c, name))
			n++;
	return n;
}

/*
 * An attribute value, borrowed from the tree, or NULL if absent. Without
 * a DOCTYPE there are no entity references, so a value is a single text
 * node (or none, for "").
 */
static const char *attr(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next) {
		if (a->ns || strcmp((const char *)a->name, name) != 0)
			continue;
		if (!a->children)
			return "";
		if (a->children->type == XML_TEXT_NODE && !a->children->next &&
		    a->children->content)
			return (const char *)a->children->content;
		return NULL;
	}
	return NULL;
}

/* Copy of a string into job memory; NULL (and ERR_NOMEM) on failure. */
static char *copy_str(struct loader *ld, const char *s, size_t n)
{
	char *d = mem_strndup(s, n);

	if (!d)
		fail_nomem(ld);
	return d;
}

static char *copy_strz(struct loader *ld, const char *s)
{
	return copy_str(ld, s, strlen(s));
}

/* The trimmed text of an element, copied; NULL on error (empty text is
 * an error naming `what`). */
static char *text_of(struct loader *ld, xmlNodePtr n, const char *what)
{
	xmlChar *content = xmlNodeGetContent(n);
	const char *s, *e;
	char *r = NULL;

	if (!content)	/* no text at all, or libxml2 out of memory */
		s = e = "";
	else {
		s = (const char *)content;
		e = s + strlen(s);
	}
	while (s < e && is_blank((unsigned char)*s))
		s++;
	while (e > s && is_blank((unsigned char)e[-1]))
		e--;
	if (s == e)
		fail(ld, n, "%s is empty", what);
	else
		r = copy_str(ld, s, (size_t)(e - s));
	xmlFree(content);
	return r;
}

/*
 * Lexically tidy a path in place: drop "." and empty components, and let
 * "name/.." cancel, so messages say "rules/demo/x.lua:12" rather than
 * "jobs/../rules/demo/x.lua:12" (git's normalize_path_copy does the same;
 * like it, this ignores symbolic links, which job trees are not expected
 * to play tricks with). Leading ".." of a relative path are kept.
 */
static void tidy_path(struct sbuf *sb)
{
	char *b = sb->buf, *w = b, *p = b, *end = b + sb->len;
	int abs = b[0] == '/';
	size_t keep = 0;	/* bytes of leading "../" that cannot go */

	/* w never passes p, but writing a component's '/' can overwrite
	 * the byte after it, so bounds come from `end`, not from NULs */
	if (abs) {
		w++;
		p++;
	}
	while (p < end) {
		char *e = p;
		size_t n;

		while (e < end && *e != '/')
			e++;
		n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' &&
			   (size_t)(w - b) > (size_t)abs + keep) {
			/* pop the last component */
			w--;		/* the '/' after it */
			while (w > b + abs + keep && w[-1] != '/')
				w--;
		} else {
			int dotdot = n == 2 && p[0] == '.' && p[1] == '.';

			memmove(w, p, n);
			w += n;
			*w++ = '/';
			if (dotdot)
				keep = (size_t)(w - b) - (size_t)abs;
		}
		p = e + 1;
	}
	if (w > b + abs && w[-1] == '/')
		w--;
	if (w == b)
		*w++ = '.';
	sbuf_setlen(sb, (size_t)(w - b));
}

/* dir + "/" + p, or p if absolute, tidied. */
static char *resolve(struct loader *ld, const char *p)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	char *r;

	if (p[0] != '/') {
		sbuf_addstr(&sb, ld->job->dir);
		sbuf_addch(&sb, '/');
	}
	sbuf_addstr(&sb, p);
	if (!sb.failed && sb.len)
		tidy_path(&sb);
	if (sb.failed) {
		sbuf_release(&sb);
		fail_nomem(ld);
		return NULL;
	}
	r = sbuf_detach(&sb, NULL);
	if (!r)
		fail_nomem(ld);
	return r;
}

/* p tidied (as written: relative to the job's folder unless absolute). */
static char *tidy_copy(struct loader *ld, const char *p)
{
	struct sbuf sb = SBUF_INIT(SBUF_CAP_DEFAULT);
	char *r;

	sbuf_addstr(&sb, p);
	if (!sb.failed && sb.len)
		tidy_path(&sb);
	r = sb.failed ? NULL : sbuf_detach(&sb, NULL);
	sbuf_release(&sb);
	if (!r)
		fail_nomem(ld);
	return r;
}

/* ---- the parts of a job ---------------------------------------------- */

static int load_rules(struct loader *ld, xmlNodePtr rules)
{
	struct job *job = ld->job;
	size_t n = count_children(rules, "file");

	job->rule_files = mem_calloc(n ? n : 1, sizeof(*job->rule_files));
	job->rule_names = mem_calloc(n ? n : 1, sizeof(*job->rule_names));
	if (!job->rule_files || !job->rule_names)
		return fail_nomem(ld);
	FOR_EACH_CHILD(f, rules) {
		char *rel, *full, *name;
		FILE *fp;
		const char *kind;
		int bad = 0;

		if (!named(f, "file"))
			continue;
		rel = text_of(ld, f, "<file>");
		if (!rel)
			return -1;
		full = resolve(ld, rel);
		name = full ? tidy_copy(ld, rel) : NULL;
		if (!full || !name) {
			mem_free(full);
			mem_free(rel);
			return -1;
		}
		job->rule_names[job->nrule_files] = name;
		job->rule_files[job->nrule_files++] = full;
		for (size_t i = 0; i + 1 < job->nrule_files; i++)
			if (strcmp(job->rule_files[i], full) == 0)
				bad = fail(ld, f, "rule file %s is listed twice",
					   show(ld, rel));
		if (bad) {
			mem_free(rel);
			return -1;
		}
		fp = file_open_regular(full, &kind);
		if (fp)
			fclose(fp);
		else if (kind)
			fail(ld, f, "rule file %s (%s): not a regular file "
			     "(%s); give the path of a rule file",
			     show(ld, rel), show(ld, full), kind);
		else
			fail(ld, f, "rule file %s (%s): %s", show(ld, rel),
			     show(ld, full), strerror(errno));
		mem_free(rel);
		if (ld->err->code != ERR_OK)
			return -1;
	}
	return 0;
}

static int load_param(struct loader *ld, xmlNodePtr p, struct job_param *jp,
		      int incremental)
{
	const char *name = attr(p, "name"), *value = attr(p, "value");

	if ((name != NULL) == (value != NULL))
		return fail(ld, p, "a <param> has either name= (as_of or "
			    "window_start) or value= (a literal), not %s",
			    name ? "both" : "neither");
	if (value) {
		if (check_no_credentials(ld, p, "a <param> value", value) < 0)
			return -1;
		jp->kind = JP_LITERAL;
		jp->literal = copy_strz(ld, value);
		return jp->literal ? 0 : -1;
	}
	if (strcmp(name, "as_of") == 0) {
		jp->kind = JP_AS_OF;
	} else if (strcmp(name, "watermark") == 0) {
		if (!incremental)
			return fail(ld, p, "<param name=\"watermark\"/> "
				    "belongs after an <incremental> query, not "
				    "after the full <query> or <keys>");
		jp->kind = JP_WATERMARK;
	} else if (strcmp(name, "window_start") == 0) {
		if (!ld->has_window)
			return fail(ld, p, "<param name=\"window_start\"/> "
				    "needs a window= attribute on <job> "
				    "(for example window=\"400d\")");
		jp->kind = JP_WINDOW_START;
	} else {
		return fail(ld, p, "unknown parameter %s: expected as_of or "
			    "window_start", show(ld, name));
	}
	return 0;
}

/* watermark= and <incremental> come together, and need id-column=:
 * rows are matched across runs by their id (docs/INCREMENTAL.md). */
static int load_incremental(struct loader *ld, xmlNodePtr s, xmlNodePtr inc,
			    const char *wm, struct job_source *src)
{
	const char *scope = inc ? attr(inc, "scope-column") : NULL;

	if (!wm && !inc)
		return 0;
	if (!wm || !inc)
		return fail(ld, s, "source %s: incremental reading needs both "
			    "watermark=\"COLUMN\" and an <incremental> query",
			    show(ld, src->name));
	if (!src->id_column)
		return fail(ld, s, "source %s: incremental reading needs "
			    "id-column= (rows are matched across runs by it)",
			    show(ld, src->name));
	if (!text_is_identifier(wm, 63))
		return fail(ld, s, "source %s: watermark %s is not a column "
			    "name", show(ld, src->name), show(ld, wm));
	if (scope && !text_is_identifier(scope, 63))
		return fail(ld, inc, "source %s: scope-column %s is not a "
			    "column name", show(ld, src->name), show(ld, scope));
	if (!(src->watermark = copy_strz(ld, wm)) ||
	    (scope && !(src->scope_column = copy_strz(ld, scope))))
		return -1;
	src->inc_query = text_of(ld, inc, "<incremental>");
	if (!src->inc_query)
		return -1;
	if (check_no_credentials(ld, inc, "the incremental query",
				 src->inc_query) < 0)
		return -1;
	for (size_t i = 0; i < src->ninc_params; i++)
		if (src->inc_params[i].kind == JP_WATERMARK)
			return 0;
	return fail(ld, inc, "source %s: the <incremental> query needs a "
		    "<param name=\"watermark\"/> after it (the last run's "
		    "watermark)", show(ld, src->name));
}

static int parse_ratio(struct loader *ld, xmlNodePtr node, const char *name,
		       const char *v, int64_t *ppm);

static int load_source(struct loader *ld, xmlNodePtr s, struct job_source *src)
{
	const char *name = attr(s, "name"), *role = attr(s, "role");
	const char *dsn = attr(s, "dsn"), *translate = attr(s, "translate");
	const char *idcol = attr(s, "id-column");
	const char *empty = attr(s, "allow-empty");
	const char *ratio = attr(s, "min-rows-ratio");
	const char *errs = attr(s, "max-rule-error-ratio");
	const char *wm = attr(s, "watermark");
	xmlNodePtr q = child(s, "query"), inc = child(s, "incremental");
	xmlNodePtr keys = child(s, "keys");
	xmlNodePtr changed = child(s, "changed");
	int kind, after_inc = 0;
	size_t np;

	src->line = (int)xmlGetLineNo(s);
	if (!name || !role || !dsn || !translate || !q)
		return fail(ld, s, "a <source> needs name=, role=, dsn=, "
			    "translate= and a <query>");
	kind = canon_lookup(canon_kind_names, CANON__KINDS, role, strlen(role));
	if (kind < 0)
		return fail(ld, s, "source %s: unknown role %s: expected "
			    "deal, order or erp", show(ld, name),
			    show(ld, role));
	src->role = (enum canon_kind)kind;
	if (check_no_credentials(ld, s, "dsn", dsn) < 0)
		return -1;
	if (!job_is_dsn(dsn))
		return fail(ld, s, "source %s: dsn %s is not a data source "
			    "name ([A-Za-z0-9_.-]+ from odbc.ini)",
			    show(ld, name), show(ld, dsn));
	if (!text_is_identifier(translate, 128) || is_lua_keyword(translate))
		return fail(ld, s, "source %s: translate %s is not a Lua "
			    "function name", show(ld, name),
			    show(ld, translate));
	if (idcol && !text_is_identifier(idcol, 63))
		return fail(ld, s, "source %s: id-column %s is not a column "
			    "name", show(ld, name), show(ld, idcol));
	src->allow_empty = empty && (strcmp(empty, "true") == 0 ||
				     strcmp(empty, "1") == 0);
	src->min_rows_ppm = -1;	/* the job's, once <limits> is read */
	src->max_rule_errors_ppm = -1;
	if (ratio && parse_ratio(ld, s, "min-rows-ratio", ratio,
				 &src->min_rows_ppm) < 0)
		return -1;
	if (errs && parse_ratio(ld, s, "max-rule-error-ratio", errs,
				&src->max_rule_errors_ppm) < 0)
		return -1;
	if (!(src->name = copy_strz(ld, name)) || !(src->dsn = copy_strz(ld, dsn)) ||
	    !(src->translate = copy_strz(ld, translate)) ||
	    (idcol && !(src->id_column = copy_strz(ld, idcol))))
		return -1;
	src->query = text_of(ld, q, "<query>");
	if (!src->query)
		return -1;
	if (check_no_credentials(ld, q, "the query", src->query) < 0)
		return -1;
	np = count_children(s, "param");
	src->params = mem_calloc(np ? np : 1, sizeof(*src->params));
	src->inc_params = mem_calloc(np ? np : 1, sizeof(*src->inc_params));
	src->keys_params = mem_calloc(np ? np : 1, sizeof(*src->keys_params));
	src->changed_params = mem_calloc(np ? np : 1,
					  sizeof(*src->changed_params));
	if (!src->params || !src->inc_params || !src->keys_params ||
	    !src->changed_params)
		return fail_nomem(ld);
	/* Parameters after <incremental> are the incremental query's, after
	 * <keys> the keys query's. */
	FOR_EACH_CHILD(p, s) {
		if (named(p, "incremental"))
			after_inc = 1;
		if (named(p, "keys"))
			after_inc = 2;
		if (named(p, "changed"))
			after_inc = 3;
		if (!named(p, "param"))
			continue;
		if (after_inc == 3) {
			if (load_param(ld, p, &src->changed_params[
				       src->nchanged_params], 0) < 0)
				return -1;
			src->nchanged_params++;
		} else if (after_inc == 2) {
			if (load_param(ld, p, &src->keys_params[src->nkeys_params],
				       0) < 0)
				return -1;
			src->nkeys_params++;
		} else if (after_inc) {
			if (load_param(ld, p, &src->inc_params[src->ninc_params],
				       1) < 0)
				return -1;
			src->ninc_params++;
		} else {
			if (load_param(ld, p, &src->params[src->nparams], 0) < 0)
				return -1;
			src->nparams++;
		}
	}
	if (load_incremental(ld, s, inc, wm, src) < 0)
		return -1;
	if (keys) {
		src->keys_query = text_of(ld, keys, "<keys>");
		if (!src->keys_query ||
		    check_no_credentials(ld, keys, "the keys query",
					 src->keys_query) < 0)
			return -1;
	}
	if (changed) {
		src->changed_query = text_of(ld, changed, "<changed>");
		if (!src->changed_query ||
		    check_no_credentials(ld, changed, "the change probe",
					 src->changed_query) < 0)
			return -1;
	}
	return 0;
}

static int load_sources(struct loader *ld, xmlNodePtr sources)
{
	struct job *job = ld->job;
	size_t n = count_children(sources, "source");
	int have[CANON__KINDS] = { 0 };

	if (n > JOB_SOURCES_MAX)
		return fail(ld, sources, "%zu sources: at most %d", n,
			    JOB_SOURCES_MAX);
	job->sources = mem_calloc(n ? n : 1, sizeof(*job->sources));
	if (!job->sources)
		return fail_nomem(ld);
	FOR_EACH_CHILD(s, sources) {
		struct job_source *src;

		if (!named(s, "source"))
			continue;
		src = &job->sources[job->nsources++];
		if (load_source(ld, s, src) < 0)
			return -1;
		for (size_t i = 0; i + 1 < job->nsources; i++)
			if (strcmp(job->sources[i].name, src->name) == 0)
				return fail(ld, s, "duplicate source name %s "
					    "(lines %d and %d)",
					    show(ld, src->name),
					    job->sources[i].line, src->line);
		have[src->role] = 1;
	}
	for (int k = 0; k < CANON__KINDS; k++)
		if (!have[k])
			return fail(ld, sources, "no source with role=\"%s\": "
				    "a job needs at least one deal, one order "
				    "and one erp source", canon_kind_names[k]);
	return 0;
}

/* A link attribute: a canonical field name. */
static int link_field(struct loader *ld, xmlNodePtr l, const char *which,
		      enum canon_str *out)
{
	const char *v = attr(l, which);
	int f = v ? canon_lookup(canon_field_names, CS__COUNT, v, strlen(v))
		  : -1;
	struct sbuf *names;

	if (f >= 0) {
		*out = (enum canon_str)f;
		return 0;
	}
	names = &ld->show[ld->nshow++ & 1];
	sbuf_reset(names);
	for (int i = 0; i < CS__COUNT; i++)
		sbuf_addf(names, "%s%s", i ? ", " : "", canon_field_names[i]);
	return fail(ld, l, "<link %s=%s>: not a canonical field (expected "
		    "one of %s)", which, show(ld, v ? v : ""),
		    names->failed ? "the fields in docs/JOBS.md" : names->buf);
}

static int load_duration(struct loader *ld, xmlNodePtr n, const char *name,
			 int64_t *out)
{
	const char *v = attr(n, name);

	if (!v)
		return 0;
	if (job_parse_duration(v, out) < 0)
		return fail(ld, n, "%s=%s is not a duration: expected seconds "
			    "or a number with s, m, h or d (90s, 15m, 24h, 3d), "
			    "at most 36500d", name, show(ld, v));
	return 0;
}

static int load_matching(struct loader *ld, xmlNodePtr m)
{
	struct job *job = ld->job;
	const char *erp = attr(m, "erp");
	const char *orph = attr(m, "erp-without-order");
	long deal_line = 0, erp_line = 0;

	if (orph) {
		if (strcmp(orph, "any") == 0)
			job->erp_orphans = JOB_ORPHANS_ANY;
		else if (strcmp(orph, "posted") == 0)
			job->erp_orphans = JOB_ORPHANS_POSTED;
		else
			return fail(ld, m, "erp-without-order=%s: expected any "
				    "or posted", show(ld, orph));
	}

	if (erp) {
		if (strcmp(erp, "one-to-one") == 0)
			job->erp_many = 0;
		else if (strcmp(erp, "one-to-many") == 0)
			job->erp_many = 1;
		else
			return fail(ld, m, "erp=%s: expected one-to-one or "
				    "one-to-many", show(ld, erp));
	}
	FOR_EACH_CHILD(c, m) {
		int d = attr(c, "deal") != NULL, o = attr(c, "order") != NULL;
		int e = attr(c, "erp") != NULL;

		if (named(c, "grace")) {
			if (load_duration(ld, c, "deal-without-order",
					  &job->grace_deal) < 0 ||
			    load_duration(ld, c, "order-not-in-erp",
					  &job->grace_erp) < 0)
				return -1;
			continue;
		}
		if (!named(c, "link"))
			continue;
		if (d && o && !e) {
			if (deal_line)
				return fail(ld, c, "a second deal-order <link> "
					    "(the first is at line %ld)",
					    deal_line);
			deal_line = xmlGetLineNo(c);
			if (link_field(ld, c, "deal", &job->deal_link) < 0 ||
			    link_field(ld, c, "order",
				       &job->order_deal_link) < 0)
				return -1;
		} else if (o && e && !d) {
			if (erp_line)
				return fail(ld, c, "a second order-erp <link> "
					    "(the first is at line %ld)",
					    erp_line);
			erp_line = xmlGetLineNo(c);
			if (link_field(ld, c, "order", &job->order_erp_link) < 0
			    || link_field(ld, c, "erp", &job->erp_link) < 0)
				return -1;
		} else {
			return fail(ld, c, "a <link> joins deal to order "
				    "(deal= and order=) or order to erp "
				    "(order= and erp=)");
		}
	}
	return 0;
}

static int load_tolerance(struct loader *ld, xmlNodePtr t,
			  struct job_tolerance *tol)
{
	const char *cur = attr(t, "currency");
	const char *absolute = attr(t, "absolute");
	const char *rel = attr(t, "relative");
	int rc;

	if (!cur || !(strcmp(cur, "*") == 0 ||
		      (strlen(cur) == 3 && cur[0] >= 'A' && cur[0] <= 'Z' &&
		       cur[1] >= 'A' && cur[1] <= 'Z' && cur[2] >= 'A' &&
		       cur[2] <= 'Z')))
		return fail(ld, t, "tolerance currency=%s: expected \"*\" or "
			    "an ISO 4217 code in capitals (EUR)",
			    show(ld, cur ? cur : ""));
	if (absolute) {
		rc = money_parse(absolute, strlen(absolute), &tol->absolute);
		if (rc != MONEY_OK)
			return fail(ld, t, "tolerance absolute=%s: %s (an "
				    "amount with at most %d decimals)",
				    show(ld, absolute), money_strerror(rc),
				    MONEY_SCALE);
		if (tol->absolute < 0)
			return fail(ld, t, "tolerance absolute=%s is negative",
				    show(ld, absolute));
	}
	if (rel) {
		rc = parse_ppm(rel, &tol->rel_ppm);
		if (rc == PPM_SYNTAX)
			return fail(ld, t, "tolerance relative=%s is not a "
				    "decimal fraction (0.001 = 0.1%%)",
				    show(ld, rel));
		if (rc == PPM_PRECISION)
			return fail(ld, t, "tolerance relative=%s has too many "
				    "decimals: at most 6 (0.000001 = 1 ppm)",
				    show(ld, rel));
		if (rc == PPM_RANGE)
			return fail(ld, t, "tolerance relative=%s must be "
				    "between 0 and 1 (a fraction: 0.001 = "
				    "0.1%%)", show(ld, rel));
	}
	tol->currency = copy_strz(ld, cur);
	return tol->currency ? 0 : -1;
}

static int load_tolerances(struct loader *ld, xmlNodePtr ts)
{
	struct job *job = ld->job;
	size_t n = count_children(ts, "tolerance");
	long *lines;
	int rc = 0;

	job->tolerances = mem_calloc(n ? n : 1, sizeof(*job->tolerances));
	lines = mem_calloc(n ? n : 1, sizeof(*lines));
	if (!job->tolerances || !lines) {
		mem_free(lines);
		return fail_nomem(ld);
	}
	FOR_EACH_CHILD(t, ts) {
		struct job_tolerance *tol;

		if (!named(t, "tolerance"))
			continue;
		tol = &job->tolerances[job->ntolerances];
		if (load_tolerance(ld, t, tol) < 0) {
			rc = -1;
			break;
		}
		lines[job->ntolerances++] = xmlGetLineNo(t);
		for (size_t i = 0; i + 1 < job->ntolerances; i++)
			if (strcmp(job->tolerances[i].currency,
				   tol->currency) == 0)
				rc = fail(ld, t, "duplicate tolerance for "
					  "currency %s (lines %ld and %ld)",
					  show(ld, tol->currency), lines[i],
					  lines[job->ntolerances - 1]);
		if (rc < 0)
			break;
	}
	mem_free(lines);
	return rc;
}

static int is_fixed_column(const char *name)
{
	for (int f = 0; f < LF__COUNT; f++)
		if (strcmp(name, ledger_field_names[f]) == 0)
			return 1;
	return strcmp(name, "value_hash") == 0 ||
	       strcmp(name, "content_hash") == 0;
}

/*
 * value="deal.fields.NAME" / "order.fields.NAME": a field of <fields>
 * (loaded before <store> wherever it stands in the file) that the role
 * may set, in its own type (a timestamp may be published as a date);
 * "erp.fields.NAME" is the value common to the order's ERP documents
 * (pubval.c). A boolean field is published as "true"/"false" in a text
 * column or 1/0 in an integer one: the store DBMSs share no boolean type
 * (docs/STORE.md).
 */
static int site_column(struct loader *ld, xmlNodePtr c, const char *name,
		       const char *value, enum ledger_type t,
		       struct job_column *col)
{
	static const enum ledger_type lt[] = {
		[CFT_TEXT] = LT_TEXT, [CFT_MONEY] = LT_MONEY,
		[CFT_INTEGER] = LT_INTEGER, [CFT_DATE] = LT_DATE,
		[CFT_TIMESTAMP] = LT_TIMESTAMP, [CFT_BOOLEAN] = LT__COUNT,
	};
	const char *dot = strchr(value, '.') + 1;
	const char *fname = strchr(dot, '.') + 1;
	enum canon_kind role = value[0] == 'd' ? CANON_DEAL
			       : value[0] == 'o' ? CANON_ORDER : CANON_ERP;
	const struct job_field *f;
	int i;

	i = job_field_lookup(ld->job, fname, strlen(fname));
	if (i < 0) {
		struct sbuf all = SBUF_INIT(1024);

		for (size_t k = 0; k < ld->job->nfields; k++)
			sbuf_addf(&all, "%s%s", k ? " " : "",
				  ld->job->fields[k].name);
		fail(ld, c, "column %s: value %s: no field %s in <fields>; "
		     "declared: %s", name, show(ld, value), show(ld, fname),
		     all.len ? all.buf : "(none)");
		sbuf_release(&all);
		return -1;
	}
	f = &ld->job->fields[i];
	if (!(f->roles & 1u << role))
		return fail(ld, c, "column %s: value %s: field %s is not "
			    "declared for the %s (roles:%s%s%s, line %d)",
			    name, value, f->name, canon_kind_names[role],
			    f->roles & 1u << CANON_DEAL ? " deal" : "",
			    f->roles & 1u << CANON_ORDER ? " order" : "",
			    f->roles & 1u << CANON_ERP ? " erp" : "",
			    f->line);
	if (f->type == CFT_BOOLEAN) {
		if (t != LT_TEXT && t != LT_INTEGER)
			return fail(ld, c, "column %s: value %s is boolean, so "
				    "the column's type must be text (true/false) "
				    "or integer (1/0), not %s", name, value,
				    ledger_type_names[t]);
		col->pv = pubval_site_bool(role, (unsigned)i);
		return 0;
	}
	if (lt[f->type] != t &&
	    !(f->type == CFT_TIMESTAMP && t == LT_DATE))
		return fail(ld, c, "column %s: value %s is %s, so the column's "
			    "type must be %s, not %s", name, value,
			    canon_ftype_names[f->type],
			    f->type == CFT_TIMESTAMP ? "timestamp or date"
			    : canon_ftype_names[f->type],
			    ledger_type_names[t]);
	col->pv = pubval_site(role, (unsigned)i);
	return 0;
}

static int load_column(struct loader *ld, xmlNodePtr c, struct job_column *col)
{
	const char *name = attr(c, "name"), *type = attr(c, "type");
	const char *value = attr(c, "value");
	int t;

	if (!name || !type || !value)
		return fail(ld, c, "<column> needs name=, type= and value=");
	if (!text_is_column_name(name))
		return fail(ld, c, "column name %s is not a column name "
			    "([a-z_][a-z0-9_]*, lower case, at most 63 "
			    "characters)", show(ld, name));
	if (is_fixed_column(name))
		return fail(ld, c, "column name %s is one of the store's own "
			    "columns (docs/STORE.md); choose another name",
			    show(ld, name));
	t = ledger_type_lookup(type);
	if (t < 0)
		return fail(ld, c, "column %s: type %s is not one of text, "
			    "money, integer, date, timestamp", name,
			    show(ld, type));
	if (strncmp(value, "deal.fields.", 12) == 0 ||
	    strncmp(value, "order.fields.", 13) == 0 ||
	    strncmp(value, "erp.fields.", 11) == 0) {
		if (site_column(ld, c, name, value, (enum ledger_type)t,
				col) < 0)
			return -1;
		goto typed;
	}
	col->pv = pubval_lookup(value);
	if (col->pv < 0) {
		struct sbuf all = SBUF_INIT(4096);

		pubval_list(&all);
		fail(ld, c, "column %s: value %s is not a published value; "
		     "known: %s", name, show(ld, value),
		     all.buf ? all.buf : "");
		sbuf_release(&all);
		return -1;
	}
	if (!pubval_accepts(col->pv, (enum ledger_type)t))
		return fail(ld, c, "column %s: value %s is %s, so the column's "
			    "type must be %s, not %s", name, value,
			    ledger_type_names[pubval_type(col->pv)],
			    pubval_type(col->pv) == LT_TIMESTAMP
			    ? "timestamp or date"
			    : ledger_type_names[pubval_type(col->pv)],
			    type);
typed:
	col->type = (enum ledger_type)t;
	col->line = (int)xmlGetLineNo(c);
	col->name = copy_strz(ld, name);
	col->value = col->name ? copy_strz(ld, value) : NULL;
	if (!col->value) {
		mem_free(col->name);	/* not counted in ncolumns yet */
		col->name = NULL;
		return -1;
	}
	return 0;
}

static int load_columns(struct loader *ld, xmlNodePtr s)
{
	struct job *job = ld->job;
	size_t n = count_children(s, "column");

	if (n > LEDGER_MAX_COLS)
		return fail(ld, s, "<store> declares %zu columns; at most %d",
			    n, LEDGER_MAX_COLS);
	job->columns = mem_calloc(n ? n : (size_t)PUBVAL_NDEFAULTS,
				  sizeof(*job->columns));
	if (!job->columns)
		return fail_nomem(ld);
	if (n == 0) {
		for (int i = 0; i < PUBVAL_NDEFAULTS; i++) {
			struct job_column *col = &job->columns[i];

			col->pv = pubval_lookup(pubval_defaults[i].path);
			col->type = pubval_defaults[i].type;
			col->name = copy_strz(ld, pubval_defaults[i].name);
			col->value = col->name
				     ? copy_strz(ld, pubval_defaults[i].path)
				     : NULL;
			if (!col->value) {
				mem_free(col->name);
				col->name = NULL;
				return -1;
			}
			job->ncolumns++;
		}
		return 0;
	}
	FOR_EACH_CHILD(c, s) {
		struct job_column *col;

		if (!named(c, "column"))
			continue;
		col = &job->columns[job->ncolumns];
		if (load_column(ld, c, col) < 0)
			return -1;
		job->ncolumns++;
		for (size_t i = 0; i + 1 < job->ncolumns; i++)
			if (strcmp(job->columns[i].name, col->name) == 0)
				return fail(ld, c, "duplicate column %s (lines "
					    "%d and %d)", show(ld, col->name),
					    job->columns[i].line, col->line);
	}
	return 0;
}

static int load_store(struct loader *ld, xmlNodePtr s)
{
	struct job *job = ld->job;
	const char *dsn = attr(s, "dsn"), *table = attr(s, "table");

	/* no dsn=: the engine configuration's store-dsn (config.h), which
	 * main.c checked the same way before it got here */
	if (!dsn)
		dsn = ld->defaults->store_dsn;
	if (!dsn)
		return fail(ld, s, "<store> needs dsn= (or store-dsn in the "
			    "engine configuration: recon config, README.md "
			    "\"Configuration\")");
	if (!table)
		return fail(ld, s, "<store> needs table=");
	if (check_no_credentials(ld, s, "the store dsn", dsn) < 0)
		return -1;
	if (!job_is_dsn(dsn))
		return fail(ld, s, "store dsn %s is not a data source name "
			    "([A-Za-z0-9_.-]+ from odbc.ini)", show(ld, dsn));
	/* pasted into SQL as an identifier: this check is what makes that
	 * safe, whatever the schema says */
	if (!text_is_identifier(table, 63))
		return fail(ld, s, "store table %s is not an SQL identifier "
			    "([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)",
			    show(ld, table));
	/* the engine derives longer names from it (the trigger
	 * T_schema_insert_only): they must fit every DBMS a store can be
	 * on (dialect.h), or PostgreSQL cuts two of them to one name */
	if (strlen(table) > dialect_table_max_portable())
		return fail(ld, s, "store table %s is %zu characters long; at "
			    "most %zu (the engine names its triggers %s_schema_"
			    "insert_only and the like, and PostgreSQL allows %d "
			    "characters)", show(ld, table), strlen(table),
			    dialect_table_max_portable(), "T",
			    (int)dialect_by_id(DIALECT_PG)->ident_max);
	job->store_dsn = copy_strz(ld, dsn);
	job->store_table = job->store_dsn ? copy_strz(ld, table) : NULL;
	if (!job->store_table)
		return -1;
	/* the store's objects are named in lower case on every DBMS
	 * (dialect_store_name): one spelling for every statement */
	for (char *p = job->store_table; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return load_columns(ld, s);
}

static int load_reports(struct loader *ld, xmlNodePtr r)
{
	struct job *job = ld->job;
	const char *dir = attr(r, "dir"), *formats = attr(r, "formats");
	const char *bom = attr(r, "csv-bom"), *cols = attr(r, "csv-columns");
	const char *s;

	if (!dir || !formats)
		return fail(ld, r, "<reports> needs dir= and formats=");
	for (s = formats; *s;) {
		const char *w;

		while (is_blank((unsigned char)*s))
			s++;
		for (w = s; *s && !is_blank((unsigned char)*s); s++)
			;
		if (s == w)
			break;
		if (s - w == 3 && memcmp(w, "csv", 3) == 0)
			job->report_formats |= JOB_REPORT_CSV;
		else if (s - w == 4 && memcmp(w, "html", 4) == 0)
			job->report_formats |= JOB_REPORT_HTML;
		else if (s - w == 3 && memcmp(w, "xml", 3) == 0)
			job->report_formats |= JOB_REPORT_XML;
		else
			return fail(ld, r, "report format %s: expected csv, "
				    "html or xml", show(ld, w));
	}
	if (!job->report_formats)
		return fail(ld, r, "formats= names no report format "
			    "(csv, html, xml)");
	if (bom && strcmp(bom, "true") == 0)
		job->report_csv_no_bom = 0;
	else if (bom && strcmp(bom, "false") == 0)
		job->report_csv_no_bom = 1;
	else if (bom)
		return fail(ld, r, "csv-bom=%s: expected true or false",
			    show(ld, bom));
	if (cols && strcmp(cols, "full") == 0)
		job->report_csv_full = 1;
	else if (cols && strcmp(cols, "default") != 0)
		return fail(ld, r, "csv-columns=%s: expected default or full",
			    show(ld, cols));
	if (!*dir)
		return fail(ld, r, "<reports dir=\"\">: the directory is "
			    "empty");
	job->report_dir = resolve(ld, dir);
	return job->report_dir ? 0 : -1;
}

static int load_reference(struct loader *ld, xmlNodePtr x,
			  struct job_reference *ref)
{
	const char *name = attr(x, "name"), *key = attr(x, "key");
	const char *dsn = attr(x, "dsn"), *query = attr(x, "query");
	const char *file = attr(x, "file");

	ref->line = (int)xmlGetLineNo(x);
	if (!name || !key)
		return fail(ld, x, "a <reference> needs name= and key=");
	if (!text_is_identifier(name, 63) || is_lua_keyword(name))
		return fail(ld, x, "reference %s: the name must be a Lua name "
			    "([A-Za-z_][A-Za-z0-9_]*, not a keyword): rules "
			    "write ref.NAME", show(ld, name));
	if (!(ref->name = copy_strz(ld, name)) || !(ref->key = copy_strz(ld, key)))
		return -1;
	if ((dsn || query) && file)
		return fail(ld, x, "reference %s: give either dsn= and query= "
			    "or file=, not both", show(ld, name));
	if (file) {
		FILE *fp;
		const char *kind;

		if (!(ref->file = resolve(ld, file)) ||
		    !(ref->file_name = tidy_copy(ld, file)))
			return -1;
		fp = file_open_regular(ref->file, &kind);
		if (fp) {
			fclose(fp);
			return 0;
		}
		if (kind)
			return fail(ld, x, "reference %s: file %s is not a "
				    "regular file (%s)", show(ld, name),
				    show(ld, ref->file), kind);
		return fail(ld, x, "reference %s: file %s: %s", show(ld, name),
			    show(ld, ref->file), strerror(errno));
	}
	if (!dsn || !query)
		return fail(ld, x, "reference %s: needs dsn= and query= (a "
			    "table in a database) or file= (a CSV file)",
			    show(ld, name));
	if (check_no_credentials(ld, x, "dsn", dsn) < 0 ||
	    check_no_credentials(ld, x, "the query", query) < 0)
		return -1;
	if (!job_is_dsn(dsn))
		return fail(ld, x, "reference %s: dsn %s is not a data source "
			    "name ([A-Za-z0-9_.-]+ from odbc.ini)",
			    show(ld, name), show(ld, dsn));
	if (!(ref->dsn = copy_strz(ld, dsn)) ||
	    !(ref->query = copy_strz(ld, query)))
		return -1;
	return 0;
}

static int load_references(struct loader *ld, xmlNodePtr refs)
{
	struct job *job = ld->job;
	size_t n = count_children(refs, "reference");

	if (n > JOB_SOURCES_MAX)
		return fail(ld, refs, "%zu references: at most %d", n,
			    JOB_SOURCES_MAX);
	job->references = mem_calloc(n ? n : 1, sizeof(*job->references));
	if (!job->references)
		return fail_nomem(ld);
	FOR_EACH_CHILD(x, refs) {
		struct job_reference *ref;

		if (!named(x, "reference"))
			continue;
		ref = &job->references[job->nreferences++];
		if (load_reference(ld, x, ref) < 0)
			return -1;
		for (size_t i = 0; i + 1 < job->nreferences; i++)
			if (strcmp(job->references[i].name, ref->name) == 0)
				return fail(ld, x, "duplicate reference name "
					    "%s (lines %d and %d)",
					    show(ld, ref->name),
					    job->references[i].line, ref->line);
	}
	return 0;
}

/* roles="deal order": a space-separated list of roles, each once. The
 * errors quote the whole attribute and name the word that is wrong. */
static int parse_roles(struct loader *ld, xmlNodePtr x, const char *name,
		       const char *roles, unsigned *out)
{
	const char *s = roles;

	*out = 0;
	while (*s) {
		const char *e;
		int k;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		for (e = s; *e && *e != ' '; e++)
			;
		k = canon_lookup(canon_kind_names, CANON__KINDS, s,
				 (size_t)(e - s));
		if (k < 0)
			return fail(ld, x, "field %s: roles=%s: '%.*s' is not "
				    "a role (expected deal, order and/or erp, "
				    "separated by spaces)", name,
				    show(ld, roles), (int)(e - s), s);
		if (*out & (1u << k))
			return fail(ld, x, "field %s: roles=%s names %s twice",
				    name, show(ld, roles), canon_kind_names[k]);
		*out |= 1u << k;
		s = e;
	}
	if (!*out)
		return fail(ld, x, "field %s: roles= names no role (deal, "
			    "order, erp)", name);
	return 0;
}

static int load_field(struct loader *ld, xmlNodePtr x, struct job_field *f)
{
	const char *name = attr(x, "name"), *type = attr(x, "type");
	const char *roles = attr(x, "roles"), *report = attr(x, "report");
	int t;

	f->line = (int)xmlGetLineNo(x);
	if (!name || !type)
		return fail(ld, x, "<field> needs name= and type=");
	if (!text_is_column_name(name) || strlen(name) > 32 ||
	    is_lua_keyword(name))
		return fail(ld, x, "field name %s is not a field name "
			    "([a-z_][a-z0-9_]*, lower case, at most 32 "
			    "characters, not a Lua keyword)", show(ld, name));
	t = canon_lookup(canon_ftype_names, CFT__COUNT, type, strlen(type));
	if (t < 0)
		return fail(ld, x, "field %s: type %s is not one of text, "
			    "money, integer, date, timestamp, boolean", name,
			    show(ld, type));
	f->type = (enum canon_ftype)t;
	if (!roles)
		f->roles = (1u << CANON__KINDS) - 1;
	else if (parse_roles(ld, x, name, roles, &f->roles) < 0)
		return -1;
	if (report && strcmp(report, "true") != 0 &&
	    strcmp(report, "false") != 0)
		return fail(ld, x, "field %s: report=%s: expected true or "
			    "false", name, show(ld, report));
	f->report = !report || strcmp(report, "true") == 0;
	f->name = copy_strz(ld, name);
	return f->name ? 0 : -1;
}

static int load_fields(struct loader *ld, xmlNodePtr fs)
{
	struct job *job = ld->job;
	size_t n = count_children(fs, "field");

	if (n > CANON_XMAX)
		return fail(ld, fs, "<fields> declares %zu fields; at most %d",
			    n, CANON_XMAX);
	job->fields = mem_calloc(n ? n : 1, sizeof(*job->fields));
	if (!job->fields)
		return fail_nomem(ld);
	FOR_EACH_CHILD(x, fs) {
		struct job_field *f;

		if (!named(x, "field"))
			continue;
		f = &job->fields[job->nfields];
		if (load_field(ld, x, f) < 0)
			return -1;
		job->nfields++;
		for (size_t i = 0; i + 1 < job->nfields; i++)
			if (strcmp(job->fields[i].name, f->name) == 0)
				return fail(ld, x, "duplicate field name %s "
					    "(lines %d and %d); one field "
					    "may serve several roles "
					    "(roles=\"deal order\")",
					    show(ld, f->name),
					    job->fields[i].line, f->line);
	}
	return 0;
}

int job_field_lookup(const struct job *job, const char *name, size_t n)
{
	for (size_t i = 0; i < job->nfields; i++)
		if (strlen(job->fields[i].name) == n &&
		    memcmp(job->fields[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static int load_limits(struct loader *ld, xmlNodePtr l)
{
	struct job *job = ld->job;
	const char *mem = attr(l, "rule-memory");
	const char *ins = attr(l, "rule-instructions");
	const char *parts = attr(l, "partitions");
	const char *mmem = attr(l, "match-memory");
	const char *rsrc = attr(l, "read-sources");
	const char *ratio = attr(l, "min-rows-ratio");
	const char *errs = attr(l, "max-rule-error-ratio");
	const char *refrows = attr(l, "reference-rows");
	uint64_t v;
	const char *s;

	if (ratio && parse_ratio(ld, l, "min-rows-ratio", ratio,
				 &job->min_rows_ppm) < 0)
		return -1;
	if (errs && parse_ratio(ld, l, "max-rule-error-ratio", errs,
				&job->max_rule_errors_ppm) < 0)
		return -1;
	if (mem && (job_parse_size(mem, &job->rule_memory) < 0 ||
		    job->rule_memory < JOB_RULE_MEMORY_MIN))
		return fail(ld, l, "rule-memory=%s: expected a size of at "
			    "least 64KB (bytes, or with KB, MB or GB)",
			    show(ld, mem));
	if (rsrc)	/* the schema allows only these three */
		job->read_at_once = strcmp(rsrc, "parallel") == 0 ? 1
				    : strcmp(rsrc, "serial") == 0 ? 0 : -1;
	if (mmem && job_parse_size(mmem, &job->match_memory) < 0)
		return fail(ld, l, "match-memory=%s: expected a size (bytes, "
			    "or with KB, MB or GB; 0 to spill everything)",
			    show(ld, mmem));
	s = ins;
	if (ins && (parse_u64(&s, &v) < 0 || *s || v == 0))
		return fail(ld, l, "rule-instructions=%s: expected a positive "
			    "whole number", show(ld, ins));
	if (ins)
		job->rule_instructions = v;
	s = parts;
	if (parts && (parse_u64(&s, &v) < 0 || *s || v == 0 ||
		      v > JOB_PARTITIONS_MAX))
		return fail(ld, l, "partitions=%s: expected a whole number "
			    "from 1 to %u", show(ld, parts),
			    JOB_PARTITIONS_MAX);
	if (parts)
		job->partitions = (unsigned)v;
	s = refrows;
	if (refrows && (parse_u64(&s, &v) < 0 || *s || v == 0))
		return fail(ld, l, "reference-rows=%s: expected a positive "
			    "whole number", show(ld, refrows));
	if (refrows)
		job->reference_rows = v;
	return 0;
}

/* ---- <hooks> (docs/JOBS.md, "Hooks"; engine/hook.h) ------------------- */

static void hook_free(struct job_hook *h)
{
	if (!h)
		return;
	mem_free(h->program);
	mem_free(h->program_name);
	for (size_t i = 0; h->args && i < h->nargs; i++)
		mem_free(h->args[i]);
	mem_free(h->args);
	mem_free(h);
}

/* The program must be there and executable now, not at 3 a.m. when the
 * run fails: a hook that cannot start is found by `recon check`. */
static int check_program(struct loader *ld, xmlNodePtr x,
			 const struct job_hook *h)
{
	struct stat st;

	if (stat(h->program, &st) != 0)
		return fail(ld, x, "hook program %s (%s): %s", show(ld,
			    h->program_name), show(ld, h->program),
			    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(ld, x, "hook program %s (%s): not a regular file; "
			    "give the path of a program", show(ld,
			    h->program_name), show(ld, h->program));
	if (access(h->program, X_OK) != 0)
		return fail(ld, x, "hook program %s (%s): not executable "
			    "(%s; chmod +x it)", show(ld, h->program_name),
			    show(ld, h->program), strerror(errno));
	return 0;
}

static int load_hook(struct loader *ld, xmlNodePtr x, struct job_hook **out)
{
	const char *prog = attr(x, "program"), *timeout = attr(x, "timeout");
	const char *above = attr(x, "above"), *share = attr(x, "above-share");
	size_t n = count_children(x, "arg");
	struct job_hook *h = mem_calloc(1, sizeof(*h));
	const char *s;

	if (!h)
		return fail_nomem(ld);
	*out = h;	/* job_free frees it, whole or not */
	h->line = (int)xmlGetLineNo(x);
	h->timeout = JOB_DEFAULT_HOOK_TIMEOUT;
	h->above_ppm = -1;
	if (!prog || !*prog)	/* the schema requires it, not empty */
		return fail(ld, x, "<%s> needs program=", (const char *)x->name);
	if (!(h->program = resolve(ld, prog)) ||
	    !(h->program_name = tidy_copy(ld, prog)))
		return -1;
	if (timeout && (job_parse_duration(timeout, &h->timeout) < 0 ||
			h->timeout < 1 || h->timeout > JOB_HOOK_TIMEOUT_MAX))
		return fail(ld, x, "timeout=%s: expected a duration from 1s to "
			    "1h (seconds, or with s, m or h)", show(ld, timeout));
	if (above && share)
		return fail(ld, x, "<on-exceptions> takes above= or "
			    "above-share=, not both");
	s = above;
	if (above && (parse_u64(&s, &h->above) < 0 || *s))
		return fail(ld, x, "above=%s: expected a whole number of "
			    "exception lines", show(ld, above));
	if (share && parse_ratio(ld, x, "above-share", share,
				 &h->above_ppm) < 0)
		return -1;
	h->args = mem_calloc(n ? n : 1, sizeof(*h->args));
	if (!h->args)
		return fail_nomem(ld);
	FOR_EACH_CHILD(a, x) {
		xmlChar *content;

		if (!named(a, "arg"))
			continue;
		/* as written: an argument may be blank or empty on purpose */
		content = xmlNodeGetContent(a);
		h->args[h->nargs] = copy_strz(ld, content ? (const char *)content
						      : "");
		xmlFree(content);
		if (!h->args[h->nargs++])
			return -1;
	}
	return check_program(ld, x, h);
}

static int load_hooks(struct loader *ld, xmlNodePtr hs)
{
	struct job *job = ld->job;
	xmlNodePtr n;

	if ((n = child(hs, "on-failure")) &&
	    load_hook(ld, n, &job->on_failure) < 0)
		return -1;
	if ((n = child(hs, "on-exceptions")) &&
	    load_hook(ld, n, &job->on_exceptions) < 0)
		return -1;
	return 0;
}

/* <schedule> (docs/JOBS.md): every expression parsed and every zone
 * found in the tz database here, so that a job with a bad schedule is
 * refused by `recon check` like any other job error. */
static int load_slot(struct loader *ld, xmlNodePtr a, struct job_slot *s)
{
	const char *expr = attr(a, "cron"), *zone = attr(a, "zone");
	const char *mode = attr(a, "mode"), *cu = attr(a, "catch-up");
	struct sbuf why = SBUF_INIT(1024);
	struct cron c;

	s->line = (int)xmlGetLineNo(a);
	if (!expr)
		return fail(ld, a, "an <at> needs cron=\"MIN HOUR DOM MON DOW\"");
	if (cron_parse(expr, &c, &why) < 0) {
		fail(ld, a, "<at cron=%s>: %s", show(ld, expr),
		     why.failed ? "not a cron expression" : why.buf);
		sbuf_release(&why);
		return -1;
	}
	sbuf_release(&why);
	if (!zone)
		zone = "UTC";
	if (!cron_zone_ok(zone))
		return fail(ld, a, "<at zone=%s>: not a time zone of the tz "
			    "database (/usr/share/zoneinfo): expected a name "
			    "such as \"UTC\" or \"Europe/Berlin\"",
			    show(ld, zone));
	s->incremental = mode && strcmp(mode, "incremental") == 0;
	s->catch_up = !cu || strcmp(cu, "once") == 0;
	if (!(s->cron = copy_strz(ld, expr)) || !(s->zone = copy_strz(ld, zone)))
		return -1;
	return 0;
}

static int load_schedule(struct loader *ld, xmlNodePtr sch)
{
	struct job *job = ld->job;
	size_t n = count_children(sch, "at"), nprobes = 0;

	job->has_schedule = 1;
	if (attr(sch, "poll") && load_duration(ld, sch, "poll", &job->poll) < 0)
		return -1;
	if (attr(sch, "min-gap") &&
	    load_duration(ld, sch, "min-gap", &job->min_gap) < 0)
		return -1;
	for (size_t i = 0; i < job->nsources; i++)
		nprobes += job->sources[i].changed_query != NULL;
	if (attr(sch, "poll") && job->poll <= 0)
		return fail(ld, sch, "poll= must be at least one second");
	if (job->poll && !nprobes)
		return fail(ld, sch, "poll= without a source with a <changed> "
			    "probe: add <changed>QUERY</changed> to a source, "
			    "or drop poll=");
	if (nprobes && !job->poll)
		return fail(ld, sch, "%zu source%s a <changed> probe: the "
			    "<schedule> needs poll=\"DURATION\" (e.g. "
			    "poll=\"5m\")", nprobes, nprobes == 1
			    ? " has" : "s have");
	if (!n && !job->poll)
		return fail(ld, sch, "an empty <schedule>: expected <at "
			    "cron=\"...\"/> entries, poll= with <changed> "
			    "probes, or both");
	job->slots = mem_calloc(n ? n : 1, sizeof(*job->slots));
	if (!job->slots)
		return fail_nomem(ld);
	FOR_EACH_CHILD(a, sch) {
		if (!named(a, "at"))
			continue;
		if (load_slot(ld, a, &job->slots[job->nslots++]) < 0)
			return -1;
	}
	return 0;
}

/* The job's directory: everything before the last '/', "." if none. */
static char *dir_of(struct loader *ld, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return copy_strz(ld, ".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return copy_strz(ld, "/");
	return copy_str(ld, path, (size_t)(slash - path));
}

static int load_job(struct loader *ld, xmlNodePtr root)
{
	struct job *job = ld->job;
	const char *name = attr(root, "name"), *window = attr(root, "window");
	xmlNodePtr n;

	if (!name)
		return fail(ld, root, "<job> needs a name=");
	job->name = copy_strz(ld, name);
	if (!job->name)
		return -1;
	if (window) {
		if (load_duration(ld, root, "window", &job->window) < 0)
			return -1;
		ld->has_window = 1;
	}
	/* document order is not fixed (xs:all); take the parts in a fixed
	 * order so that sources can refer to the job's window */
	if (!(n = child(root, "rules")) || load_rules(ld, n) < 0)
		return n ? -1 : fail(ld, root, "<job> needs <rules>");
	if (!(n = child(root, "sources")) || load_sources(ld, n) < 0)
		return n ? -1 : fail(ld, root, "<job> needs <sources>");
	if ((n = child(root, "fields")) && load_fields(ld, n) < 0)
		return -1;
	if ((n = child(root, "matching")) && load_matching(ld, n) < 0)
		return -1;
	if ((n = child(root, "tolerances")) && load_tolerances(ld, n) < 0)
		return -1;
	if ((n = child(root, "references")) && load_references(ld, n) < 0)
		return -1;
	if (!(n = child(root, "store")) || load_store(ld, n) < 0)
		return n ? -1 : fail(ld, root, "<job> needs <store>");
	if (!(n = child(root, "reports")) || load_reports(ld, n) < 0)
		return n ? -1 : fail(ld, root, "<job> needs <reports>");
	if ((n = child(root, "limits")) && load_limits(ld, n) < 0)
		return -1;
	if ((n = child(root, "hooks")) && load_hooks(ld, n) < 0)
		return -1;
	if ((n = child(root, "schedule")) && load_schedule(ld, n) < 0)
		return -1;
	/* sources without their own ratios take the job's */
	for (size_t i = 0; i < ld->job->nsources; i++) {
		struct job_source *src = &ld->job->sources[i];

		if (src->min_rows_ppm < 0)
			src->min_rows_ppm = ld->job->min_rows_ppm;
		if (src->max_rule_errors_ppm < 0)
			src->max_rule_errors_ppm =
				ld->job->max_rule_errors_ppm;
	}
	return 0;
}

/* min-rows-ratio="0.5", max-rule-error-ratio="0.01": a decimal from 0
 * to 1, in parts per million (attribute `name`, for the message). */
static int parse_ratio(struct loader *ld, xmlNodePtr node, const char *name,
		       const char *v, int64_t *ppm)
{
	int64_t a;

	if (money_parse(v, strlen(v), &a) != MONEY_OK || a < 0 ||
	    a > 10000)
		return fail(ld, node, "%s=%s: expected a decimal from 0 to 1 "
			    "(%s)", name, show(ld, v),
			    strcmp(name, "min-rows-ratio") == 0
			    ? "0: no guard" : "1: no ceiling");
	*ppm = a * 100;	/* money has scale 4 */
	return 0;
}

/* ---- reading, parsing, validating ------------------------------------ */

static int read_job_file(struct loader *ld, struct sbuf *sb)
{
	const char *kind;
	FILE *f = file_open_regular(ld->path, &kind);
	int rc = 0;

	if (!f && kind)
		return error_set(ld->err, ERR_JOB, "%s: not a regular file (%s); "
				 "give the path of a job file", ld->path, kind);
	if (!f)
		return error_set(ld->err, ERR_JOB, "%s: cannot open job file: %s",
				 ld->path, strerror(errno));
	for (;;) {
		size_t want = sb->cap - sb->len, got;

		if (want == 0) {
			rc = error_set(ld->err, ERR_JOB, "%s: job file is "
				       "larger than %zu bytes", ld->path,
				       JOB_FILE_MAX);
			break;
		}
		if (want > 65536)
			want = 65536;
		if (sbuf_grow(sb, want) < 0) {
			rc = fail_nomem(ld);
			break;
		}
		got = fread(sb->buf + sb->len, 1, want, f);
		sb->len += got;
		sb->buf[sb->len] = '\0';
		if (got < want) {
			if (ferror(f))
				rc = error_set(ld->err, ERR_JOB, "%s: cannot "
					       "read job file: %s", ld->path,
					       strerror(errno));
			break;
		}
	}
	fclose(f);
	return rc;
}

static xmlDocPtr parse(struct loader *ld, const struct sbuf *text)
{
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;

	if (text->len == 0) {
		error_set(ld->err, ERR_JOB, "%s: the job file is empty",
			  ld->path);
		return NULL;
	}
	pc = xmlNewParserCtxt();
	if (!pc) {
		fail_nomem(ld);
		return NULL;
	}
	pc->sax->internalSubset = on_doctype;
	pc->_private = ld;
	/* NONET: no network; no NOENT, DTDLOAD, DTDATTR or XINCLUDE: no
	 * entity substitution, no external subset, no inclusion. */
	doc = xmlCtxtReadMemory(pc, text->buf, (int)text->len, ld->path, NULL,
				XML_PARSE_NONET);
	xmlFreeParserCtxt(pc);
	if (ld->err->code != ERR_OK) {
		xmlFreeDoc(doc);
		return NULL;
	}
	if (!doc) {
		error_set(ld->err, ERR_JOB, "%s: not a well-formed XML "
			  "document", ld->path);
		return NULL;
	}
	if (doc->intSubset || doc->extSubset) {
		fail(ld, (xmlNodePtr)(doc->intSubset ? doc->intSubset
				      : doc->extSubset),
		     "job files may not have a DOCTYPE");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static int validate(struct loader *ld, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlSchemaParserCtxtPtr sp;
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr vc;
	int rc;

	if (!root)
		return error_set(ld->err, ERR_JOB, "%s: no root element",
				 ld->path);
	if (strcmp((const char *)root->name, "job") != 0)
		return fail(ld, root, "the root element must be <job xmlns=\""
			    JOB_NS "\">, not <%s>",
			    show(ld, (const char *)root->name));
	if (!root->ns || strcmp((const char *)root->ns->href, JOB_NS) != 0)
		return fail(ld, root, "the root element must be <job xmlns=\""
			    JOB_NS "\">, not in namespace %s",
			    show(ld, root->ns ? (const char *)root->ns->href
					      : ""));
	if (recon_job_xsd_len > INT_MAX)
		return error_set(ld->err, ERR_INTERNAL, "job schema too big");
	sp = xmlSchemaNewMemParserCtxt(recon_job_xsd, (int)recon_job_xsd_len);
	if (!sp)
		return fail_nomem(ld);
	xmlSchemaSetParserStructuredErrors(sp, on_schema_error, ld);
	schema = xmlSchemaParse(sp);
	xmlSchemaFreeParserCtxt(sp);
	if (!schema)
		return error_set(ld->err, ERR_INTERNAL, "the embedded job "
				 "schema does not compile");
	vc = xmlSchemaNewValidCtxt(schema);
	if (!vc) {
		xmlSchemaFree(schema);
		return fail_nomem(ld);
	}
	xmlSchemaSetValidStructuredErrors(vc, on_xml_error, ld);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	if (rc > 0)
		return fail(ld, root, "the job does not match the schema");
	if (rc < 0)
		return error_set(ld->err, ERR_INTERNAL, "%s: schema "
				 "validation failed to run", ld->path);
	return ld->err->code == ERR_OK ? 0 : -1;
}

static int load(struct loader *ld)
{
	struct sbuf text = SBUF_INIT(JOB_FILE_MAX + 1);
	struct job *job;
	xmlDocPtr doc = NULL;
	int rc = -1;

	if (read_job_file(ld, &text) < 0)
		goto out;
	doc = parse(ld, &text);
	if (!doc || validate(ld, doc) < 0)
		goto out;
	job = mem_calloc(1, sizeof(*job));
	if (!job) {
		fail_nomem(ld);
		goto out;
	}
	ld->job = job;
	job->erp_many = 1;
	job->deal_link = CS_KEY;
	job->order_deal_link = CS_DEAL_REF;
	job->order_erp_link = CS_KEY;
	job->erp_link = CS_ORDER_REF;
	/* the engine-wide defaults (config.h), which <limits> overrides */
	job->rule_memory = ld->defaults->rule_memory;
	job->reference_rows = JOB_DEFAULT_REFERENCE_ROWS;
	job->rule_instructions = JOB_DEFAULT_RULE_INSTRUCTIONS;
	job->partitions = JOB_DEFAULT_PARTITIONS;
	job->match_memory = ld->defaults->match_memory;
	job->read_at_once = -1;
	job->min_rows_ppm = JOB_DEFAULT_MIN_ROWS_PPM;
	job->max_rule_errors_ppm = JOB_DEFAULT_MAX_RULE_ERRORS_PPM;
	if (!(job->path = copy_strz(ld, ld->path)) ||
	    !(job->dir = dir_of(ld, ld->path)))
		goto out;
	rc = load_job(ld, xmlDocGetRootElement(doc));
out:
	xmlFreeDoc(doc);
	sbuf_release(&text);
	return rc;
}

void job_defaults_init(struct job_defaults *d)
{
	d->store_dsn = NULL;
	d->match_memory = JOB_DEFAULT_MATCH_MEMORY;
	d->rule_memory = JOB_DEFAULT_RULE_MEMORY;
}

int job_load(const char *path, struct job **out, struct error *err)
{
	return job_load_with(path, NULL, out, err);
}

int job_load_with(const char *path, const struct job_defaults *defaults,
		  struct job **out, struct error *err)
{
	struct job_defaults builtin;
	struct loader ld;
	xmlStructuredErrorFunc old_serror;
	void *old_sctx;
	xmlGenericErrorFunc old_generic;
	void *old_gctx;
	int rc;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.err = err;
	job_defaults_init(&builtin);
	ld.defaults = defaults ? defaults : &builtin;
	sbuf_init(&ld.show[0], 4 * JOB_SHOW_MAX + 512);
	sbuf_init(&ld.show[1], 4 * JOB_SHOW_MAX + 512);

	xmlInitParser();
	old_serror = xmlStructuredError;
	old_sctx = xmlStructuredErrorContext;
	old_generic = xmlGenericError;
	old_gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&ld, on_xml_error);
	xmlSetGenericErrorFunc(NULL, on_generic_error);

	rc = load(&ld);

	xmlSetGenericErrorFunc(old_gctx, old_generic);
	xmlSetStructuredErrorFunc(old_sctx, old_serror);
	sbuf_release(&ld.show[0]);
	sbuf_release(&ld.show[1]);
	if (rc < 0) {
		if (err->code == ERR_OK)	/* never return -1 silently */
			error_set(err, ERR_INTERNAL, "%s: job load failed",
				  path);
		job_free(ld.job);
		return -1;
	}
	*out = ld.job;
	return 0;
}

void job_free(struct job *job)
{
	if (!job)
		return;
	mem_free(job->path);
	mem_free(job->dir);
	mem_free(job->name);
	for (size_t i = 0; i < job->nrule_files; i++) {
		mem_free(job->rule_files[i]);
		if (job->rule_names)
			mem_free(job->rule_names[i]);
	}
	mem_free(job->rule_files);
	mem_free(job->rule_names);
	for (size_t i = 0; i < job->nsources; i++) {
		struct job_source *s = &job->sources[i];

		mem_free(s->name);
		mem_free(s->dsn);
		mem_free(s->query);
		for (size_t p = 0; p < s->nparams; p++)
			mem_free(s->params[p].literal);
		mem_free(s->params);
		mem_free(s->translate);
		mem_free(s->id_column);
		for (size_t p = 0; p < s->ninc_params; p++)
			mem_free(s->inc_params[p].literal);
		mem_free(s->inc_params);
		mem_free(s->watermark);
		mem_free(s->inc_query);
		mem_free(s->scope_column);
		for (size_t p = 0; p < s->nkeys_params; p++)
			mem_free(s->keys_params[p].literal);
		mem_free(s->keys_params);
		mem_free(s->keys_query);
		for (size_t p = 0; p < s->nchanged_params; p++)
			mem_free(s->changed_params[p].literal);
		mem_free(s->changed_params);
		mem_free(s->changed_query);
	}
	mem_free(job->sources);
	for (size_t i = 0; i < job->ntolerances; i++)
		mem_free(job->tolerances[i].currency);
	mem_free(job->tolerances);
	for (size_t i = 0; job->references && i < job->nreferences; i++) {
		struct job_reference *x = &job->references[i];

		mem_free(x->name);
		mem_free(x->dsn);
		mem_free(x->query);
		mem_free(x->file);
		mem_free(x->file_name);
		mem_free(x->key);
	}
	mem_free(job->references);
	for (size_t i = 0; job->fields && i < job->nfields; i++)
		mem_free(job->fields[i].name);
	mem_free(job->fields);
	mem_free(job->store_dsn);
	mem_free(job->store_table);
	for (size_t i = 0; job->columns && i < job->ncolumns; i++) {
		mem_free(job->columns[i].name);
		mem_free(job->columns[i].value);
	}
	mem_free(job->columns);
	for (size_t i = 0; job->slots && i < job->nslots; i++) {
		mem_free(job->slots[i].cron);
		mem_free(job->slots[i].zone);
	}
	mem_free(job->slots);
	mem_free(job->report_dir);
	hook_free(job->on_failure);
	hook_free(job->on_exceptions);
	mem_free(job);
}

const struct job_tolerance *job_tolerance_for(const struct job *job,
					      const char *currency, size_t n)
{
	const struct job_tolerance *any = NULL;

	for (size_t i = 0; i < job->ntolerances; i++) {
		const struct job_tolerance *t = &job->tolerances[i];

		if (strcmp(t->currency, "*") == 0)
			any = t;
		else if (currency && strlen(t->currency) == n &&
			 memcmp(t->currency, currency, n) == 0)
			return t;
	}
	return any;
}

const char *job_rule_name(const struct job *job, size_t i)
{
	return job->rule_names && job->rule_names[i] ? job->rule_names[i]
						     : job->rule_files[i];
}
