/*
 * metrics.c - the shared counter segment of tasker-fcgi and the
 * Prometheus text format.  See metrics.h for the design.
 *
 * Segment layout (all counters uint64_t, added with atomic instructions):
 *
 *	struct seg_header
 *	struct req_cell   req[(nroutes + 1) * NSTATUS]   (last route: "none")
 *	struct step_cell  step[TK_METRICS_MAX_HANDLERS + 1] (last: "_other")
 *
 * Locks are Linux open-file-description locks on the segment's file:
 * byte 0 while a process creates or checks the header, byte 1 while a
 * process counts step transitions.  They are released when the holder
 * exits, so a process killed mid-way never wedges the others.
 */
#include "tasker/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tasker/alloc.h"
#include "tasker/log.h"
#include "tasker/utf8.h"

#define SEG_MAGIC   0x3143525445d4b54ULL /* arbitrary, never zero */
#define SEG_VERSION 1
#define MAX_ROUTES  1024

/* ---------------------------------------------------------------- slots */

/* Status codes with a slot of their own; others count per class. */
static const int status_codes[] = {
	200, 201, 202, 204, 206, 301, 302, 304, 307, 308,
	400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415,
	416, 422, 429, 500, 501, 502, 503, 504
};
#define NCODES  (sizeof(status_codes) / sizeof(status_codes[0]))
#define NSTATUS (NCODES + 6)   /* + "1xx".."5xx" + "other" */

static const char *const class_names[] = {
	"1xx", "2xx", "3xx", "4xx", "5xx", "other"
};

/* Request latency buckets: upper bounds in microseconds, and as "le". */
static const uint64_t req_bound_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
static const char *const req_le[] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10"
};
#define NREQB (sizeof(req_bound_us) / sizeof(req_bound_us[0]))

/* Step attempt duration buckets. */
static const uint64_t step_bound_us[] = {
	10000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 30000000, 60000000, 120000000, 300000000, 600000000,
	1800000000, 3600000000ULL
};
static const char *const step_le[] = {
	"0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
	"60", "120", "300", "600", "1800", "3600"
};
#define NSTEPB (sizeof(step_bound_us) / sizeof(step_bound_us[0]))

struct seg_header {
	uint64_t magic;      /* written last by the creator */
	uint64_t layout;
	uint64_t size;
	uint64_t created;    /* unix time the segment was zeroed */
	uint64_t watermark;  /* last step_transitions.id counted */
	uint64_t nhandlers;  /* step cells in use (not counting "_other") */
	uint64_t other_used;
	uint64_t reserved;
};

struct req_cell {
	uint64_t bucket[NREQB + 1];  /* not cumulative; last is +Inf */
	uint64_t sum_us;
};

struct step_cell {
	char     ns[TK_METRICS_NAME_MAX + 1];
	char     name[TK_METRICS_NAME_MAX + 1];
	uint64_t attempts;
	uint64_t failures;
	uint64_t bucket[NSTEPB + 1];
	uint64_t sum_us;
};

struct tk_metrics {
	const struct tk_route *routes;
	size_t                 nroutes;
	int                    fd;       /* -1 when private */
	char                  *path;     /* NULL when private */
	void                  *base;
	size_t                 size;
	struct seg_header     *h;
	struct req_cell       *req;
	struct step_cell      *step;
	int                    locked;
};

/* ---------------------------------------------------------------- atomics */

static void
add(uint64_t *p, uint64_t v)
{
	(void)__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- layout */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t
seg_size(size_t nroutes)
{
	return sizeof(struct seg_header) +
	    (nroutes + 1) * NSTATUS * sizeof(struct req_cell) +
	    (TK_METRICS_MAX_HANDLERS + 1) * sizeof(struct step_cell);
}

/* A hash of everything that decides where a counter lives. */
static uint64_t
layout_hash(const struct tk_route *routes, size_t nroutes)
{
	uint64_t h = 0xcbf29ce484222325ULL, v;
	size_t i;

	v = SEG_VERSION;
	h = fnv(h, &v, sizeof(v));
	v = seg_size(nroutes);
	h = fnv(h, &v, sizeof(v));
	h = fnv(h, status_codes, sizeof(status_codes));
	h = fnv(h, req_bound_us, sizeof(req_bound_us));
	h = fnv(h, step_bound_us, sizeof(step_bound_us));
	for (i = 0; i < nroutes; i++) {
		h = fnv(h, routes[i].name, strlen(routes[i].name) + 1);
		h = fnv(h, routes[i].method, strlen(routes[i].method) + 1);
	}
	return h;
}

static size_t
status_slot(int status)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (status_codes[i] == status)
			return i;
	if (status >= 100 && status <= 599)
		return NCODES + (size_t)(status / 100 - 1);
	return NCODES + 5;
}

static void
status_label(size_t slot, char *out, size_t outsz)
{
	if (slot < NCODES)
		snprintf(out, outsz, "%d", status_codes[slot]);
	else
		snprintf(out, outsz, "%s", class_names[slot - NCODES]);
}

static void
carve(struct tk_metrics *m)
{
	char *p = m->base;

	m->h = (void *)p;
	p += sizeof(struct seg_header);
	m->req = (void *)p;
	p += (m->nroutes + 1) * NSTATUS * sizeof(struct req_cell);
	m->step = (void *)p;
}

static void
seg_init(struct tk_metrics *m, uint64_t layout)
{
	memset(m->base, 0, m->size);
	m->h->layout = layout;
	m->h->size = m->size;
	m->h->created = (uint64_t)time(NULL);
	__atomic_store_n(&m->h->magic, SEG_MAGIC, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- locks */

static int
ofd_lock(int fd, short type, off_t byte, int wait)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- open */

/* Maps the shared file; 0 on success, -1 (errno-ish reason in why). */
static int
open_shared(struct tk_metrics *m, const char *dir, uint64_t layout,
    const char **why, int *eno)
{
	struct stat st;
	char name[64];
	size_t len;
	void *p;
	int fd;

	snprintf(name, sizeof(name), "tasker-fcgi-%016llx.metrics",
	    (unsigned long long)layout);
	len = strlen(dir) + 1 + strlen(name) + 1;
	if ((m->path = malloc(len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	snprintf(m->path, len, "%s/%s", dir, name);
	/* The run folder is normally made by the service manager; make the
	   last level if it is missing, as a convenience. */
	(void)mkdir(dir, 0750);
	fd = open(m->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*eno = errno;
		*why = "cannot open the file";
		return -1;
	}
	if (ofd_lock(fd, F_WRLCK, 0, 1) != 0 || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		*eno = errno;
		*why = "cannot lock or stat the file";
		goto err;
	}
	/* Growing never takes pages from under another process's mapping;
	   shrinking would, so a larger file is left as it is. */
	if ((size_t)st.st_size < m->size && ftruncate(fd, (off_t)m->size) != 0) {
		*eno = errno;
		*why = "cannot size the file";
		goto err;
	}
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		*eno = errno;
		*why = "cannot map the file";
		goto err;
	}
	m->base = p;
	carve(m);
	if (__atomic_load_n(&m->h->magic, __ATOMIC_ACQUIRE) != SEG_MAGIC ||
	    m->h->layout != layout || m->h->size != m->size)
		seg_init(m, layout);
	(void)ofd_lock(fd, F_UNLCK, 0, 0);
	m->fd = fd;
	return 0;
err:
	close(fd);
	return -1;
}

tk_err
tk_metrics_open(const char *dir, const struct tk_route *routes,
    size_t nroutes, struct tk_metrics **out)
{
	struct tk_metrics *m;
	const char *why = "no run_dir";
	uint64_t layout;
	int eno = 0;
	void *p;

	*out = NULL;
	if (nroutes > MAX_ROUTES)
		return TK_ERR_INTERNAL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return TK_ERR_NOMEM;
	m->routes = routes;
	m->nroutes = nroutes;
	m->fd = -1;
	m->size = seg_size(nroutes);
	layout = layout_hash(routes, nroutes);
	if (dir != NULL && *dir != '\0' && open_shared(m, dir, layout, &why,
	    &eno) == 0) {
		*out = m;
		return TK_OK;
	}
	tk_log(TK_LOG_WARN, "event=metrics_private reason=\"%s\" errno=%d "
	    "scope=process", why, eno);
	free(m->path);
	m->path = NULL;
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(m);
		return TK_ERR_NOMEM;
	}
	m->base = p;
	carve(m);
	seg_init(m, layout);
	*out = m;
	return TK_OK;
}

void
tk_metrics_close(struct tk_metrics *m)
{
	if (m == NULL)
		return;
	if (m->base != NULL)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	free(m);
}

int
tk_metrics_shared(const struct tk_metrics *m)
{
	return m != NULL && m->fd >= 0;
}

const char *
tk_metrics_path(const struct tk_metrics *m)
{
	return m != NULL ? m->path : NULL;
}

/* ---------------------------------------------------------------- requests */

static struct req_cell *
req_cell(const struct tk_metrics *m, size_t route, int status)
{
	if (route > m->nroutes)
		route = m->nroutes;
	return &m->req[route * NSTATUS + status_slot(status)];
}

void
tk_metrics_observe(struct tk_metrics *m, size_t route, int status,
    uint64_t duration_us)
{
	struct req_cell *c;
	size_t b;

	if (m == NULL)
		return;
	c = req_cell(m, route, status);
	for (b = 0; b < NREQB && duration_us > req_bound_us[b]; b++)
		;
	add(&c->bucket[b], 1);
	add(&c->sum_us, duration_us);
}

uint64_t
tk_metrics_count(const struct tk_metrics *m, size_t route, int status)
{
	const struct req_cell *c;
	uint64_t n = 0;
	size_t b;

	if (m == NULL)
		return 0;
	c = req_cell(m, route, status);
	for (b = 0; b <= NREQB; b++)
		n += load(&c->bucket[b]);
	return n;
}

/* ---------------------------------------------------------------- text */

tk_err
tk_prom_header(struct tk_buf *out, const char *name, const char *type,
    const char *help)
{
	return tk_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

tk_err
tk_prom_label_value(struct tk_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			tk_buf_puts(out, "\\\\");
		else if (*s == '"')
			tk_buf_puts(out, "\\\"");
		else if (*s == '\n')
			tk_buf_puts(out, "\\n");
		else
			tk_buf_putc(out, *s);
	}
	return out->failed ? TK_ERR_NOMEM : TK_OK;
}

static const char *
route_label(const struct tk_metrics *m, size_t r)
{
	return r < m->nroutes ? m->routes[r].name : "none";
}

/* One histogram's series: buckets (not cumulative) as they were read. */
static void
histogram(struct tk_buf *out, const char *name, const char *labels,
    const uint64_t *bucket, size_t nb, const char *const *le,
    uint64_t sum_us)
{
	uint64_t cum = 0;
	size_t b;

	for (b = 0; b <= nb; b++) {
		cum += bucket[b];
		tk_buf_printf(out, "%s_bucket{%s,le=\"%s\"} %llu\n", name, labels,
		    b < nb ? le[b] : "+Inf", (unsigned long long)cum);
	}
	tk_buf_printf(out, "%s_sum{%s} %llu.%06llu\n", name, labels,
	    (unsigned long long)(sum_us / 1000000),
	    (unsigned long long)(sum_us % 1000000));
	tk_buf_printf(out, "%s_count{%s} %llu\n", name, labels,
	    (unsigned long long)cum);
}

tk_err
tk_metrics_render_requests(const struct tk_metrics *m, struct tk_buf *out)
{
	struct tk_buf labels = TK_BUF_INIT;
	struct req_cell *snap;
	size_t ncells, i, b;
	uint64_t n;
	char st[8];
	tk_err e;

	ncells = (m->nroutes + 1) * NSTATUS;
	/* One snapshot for both metrics, so they agree. */
	if ((snap = tk_reallocarray(NULL, ncells, sizeof(*snap))) == NULL)
		return TK_ERR_NOMEM;
	for (i = 0; i < ncells; i++) {
		for (b = 0; b <= NREQB; b++)
			snap[i].bucket[b] = load(&m->req[i].bucket[b]);
		snap[i].sum_us = load(&m->req[i].sum_us);
	}
	tk_prom_header(out, "tasker_http_requests_total", "counter",
	    "Requests answered by tasker-fcgi, by route and status, summed "
	    "over every process of this host.");
	for (i = 0; i < ncells; i++) {
		for (n = 0, b = 0; b <= NREQB; b++)
			n += snap[i].bucket[b];
		if (n == 0)
			continue;
		status_label(i % NSTATUS, st, sizeof(st));
		tk_buf_printf(out, "tasker_http_requests_total{route=\"");
		tk_prom_label_value(out, route_label(m, i / NSTATUS));
		tk_buf_printf(out, "\",status=\"%s\"} %llu\n", st,
		    (unsigned long long)n);
	}
	tk_prom_header(out, "tasker_http_request_duration_seconds", "histogram",
	    "Time from the request's arrival at tasker-fcgi to its answer "
	    "written, by route and status.");
	for (i = 0; i < ncells; i++) {
		for (n = 0, b = 0; b <= NREQB; b++)
			n += snap[i].bucket[b];
		if (n == 0)
			continue;
		status_label(i % NSTATUS, st, sizeof(st));
		tk_buf_reset(&labels);
		tk_buf_puts(&labels, "route=\"");
		tk_prom_label_value(&labels, route_label(m, i / NSTATUS));
		tk_buf_printf(&labels, "\",status=\"%s\"", st);
		histogram(out, "tasker_http_request_duration_seconds",
		    tk_buf_str(&labels), snap[i].bucket, NREQB, req_le,
		    snap[i].sum_us);
	}
	tk_prom_header(out, "tasker_metrics_shared", "gauge",
	    "1 when the request counters are shared by every tasker-fcgi "
	    "process of this host, 0 when this process counts alone.");
	tk_buf_printf(out, "tasker_metrics_shared %d\n", tk_metrics_shared(m));
	e = out->failed || labels.failed ? TK_ERR_NOMEM : TK_OK;
	tk_buf_free(&labels);
	free(snap);
	return e;
}

/* ---------------------------------------------------------------- steps */

int
tk_metrics_steps_lock(struct tk_metrics *m)
{
	if (m->locked)
		return 0;
	if (m->fd >= 0 && ofd_lock(m->fd, F_WRLCK, 1, 0) != 0)
		return 0;
	m->locked = 1;
	return 1;
}

void
tk_metrics_steps_unlock(struct tk_metrics *m)
{
	if (!m->locked)
		return;
	if (m->fd >= 0)
		(void)ofd_lock(m->fd, F_UNLCK, 1, 0);
	m->locked = 0;
}

uint64_t
tk_metrics_steps_watermark(const struct tk_metrics *m)
{
	return __atomic_load_n(&m->h->watermark, __ATOMIC_ACQUIRE);
}

void
tk_metrics_steps_set_watermark(struct tk_metrics *m, uint64_t id)
{
	__atomic_store_n(&m->h->watermark, id, __ATOMIC_RELEASE);
}

/* Copies at most TK_METRICS_NAME_MAX bytes of s, cut on a UTF-8 boundary. */
static void
name_copy(char *out, const char *s)
{
	size_t n = strlen(s);

	if (n > TK_METRICS_NAME_MAX)
		n = tk_utf8_floor(s, TK_METRICS_NAME_MAX);
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The cell of ns/name, claiming a free one; the "_other" cell when full. */
static struct step_cell *
step_cell(struct tk_metrics *m, const char *ns, const char *name)
{
	char cns[TK_METRICS_NAME_MAX + 1], cname[TK_METRICS_NAME_MAX + 1];
	struct step_cell *c;
	uint64_t i, n;

	name_copy(cns, ns != NULL ? ns : "unknown");
	name_copy(cname, name != NULL ? name : "unknown");
	n = __atomic_load_n(&m->h->nhandlers, __ATOMIC_ACQUIRE);
	if (n > TK_METRICS_MAX_HANDLERS)
		n = TK_METRICS_MAX_HANDLERS;
	for (i = 0; i < n; i++)
		if (strcmp(m->step[i].ns, cns) == 0 &&
		    strcmp(m->step[i].name, cname) == 0)
			return &m->step[i];
	if (n < TK_METRICS_MAX_HANDLERS) {
		/* Only the lock holder claims cells: names first, then the
		   count that makes readers look at them. */
		c = &m->step[n];
		memcpy(c->ns, cns, sizeof(cns));
		memcpy(c->name, cname, sizeof(cname));
		__atomic_store_n(&m->h->nhandlers, n + 1, __ATOMIC_RELEASE);
		return c;
	}
	c = &m->step[TK_METRICS_MAX_HANDLERS];
	if (!__atomic_load_n(&m->h->other_used, __ATOMIC_ACQUIRE)) {
		snprintf(c->ns, sizeof(c->ns), "_other");
		snprintf(c->name, sizeof(c->name), "_other");
		__atomic_store_n(&m->h->other_used, 1, __ATOMIC_RELEASE);
	}
	return c;
}

void
tk_metrics_steps_add(struct tk_metrics *m, const char *ns, const char *name,
    enum tk_step_event ev, long long duration_us)
{
	struct step_cell *c = step_cell(m, ns, name);
	size_t b;

	switch (ev) {
	case TK_STEP_ATTEMPT:
		add(&c->attempts, 1);
		break;
	case TK_STEP_FAILURE:
		add(&c->failures, 1);
		break;
	case TK_STEP_FINISH:
		if (duration_us < 0)
			break;
		for (b = 0; b < NSTEPB &&
		    (uint64_t)duration_us > step_bound_us[b]; b++)
			;
		add(&c->bucket[b], 1);
		add(&c->sum_us, (uint64_t)duration_us);
		break;
	}
}

static void
step_labels(struct tk_buf *l, const struct step_cell *c)
{
	tk_buf_reset(l);
	tk_buf_puts(l, "namespace=\"");
	tk_prom_label_value(l, c->ns);
	tk_buf_puts(l, "\",handler=\"");
	tk_prom_label_value(l, c->name);
	tk_buf_putc(l, '"');
}

tk_err
tk_metrics_render_steps(const struct tk_metrics *m, struct tk_buf *out)
{
	static const char *const name[] = { "tasker_step_attempts_total",
	    "tasker_step_failures_total", "tasker_step_duration_seconds" };
	static const char *const type[] = { "counter", "counter", "histogram" };
	static const char *const help[] = {
	    "Step attempts started (claims by a worker), by handler.",
	    "Step attempts that failed, by handler.",
	    "Duration of finished step attempts, from claim to outcome, "
	    "by handler." };
	const struct step_cell *cell[TK_METRICS_MAX_HANDLERS + 1];
	struct tk_buf l = TK_BUF_INIT;
	uint64_t bucket[NSTEPB + 1];
	size_t n, i, b, k;
	tk_err e;

	/* The cells to show, read once so all three metrics agree. */
	n = (size_t)__atomic_load_n(&m->h->nhandlers, __ATOMIC_ACQUIRE);
	if (n > TK_METRICS_MAX_HANDLERS)
		n = TK_METRICS_MAX_HANDLERS;
	for (i = 0; i < n; i++)
		cell[i] = &m->step[i];
	if (__atomic_load_n(&m->h->other_used, __ATOMIC_ACQUIRE))
		cell[n++] = &m->step[TK_METRICS_MAX_HANDLERS];
	for (k = 0; k < 3; k++) {
		tk_prom_header(out, name[k], type[k], help[k]);
		for (i = 0; i < n; i++) {
			step_labels(&l, cell[i]);
			if (k < 2) {
				tk_buf_printf(out, "%s{%s} %llu\n", name[k],
				    tk_buf_str(&l), (unsigned long long)load(
				    k == 0 ? &cell[i]->attempts :
				    &cell[i]->failures));
				continue;
			}
			for (b = 0; b <= NSTEPB; b++)
				bucket[b] = load(&cell[i]->bucket[b]);
			histogram(out, name[k], tk_buf_str(&l), bucket, NSTEPB,
			    step_le, load(&cell[i]->sum_us));
		}
	}
	e = out->failed || l.failed ? TK_ERR_NOMEM : TK_OK;
	tk_buf_free(&l);
	return e;
}
