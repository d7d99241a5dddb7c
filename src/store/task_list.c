/*
 * task_list.c - GET /tasks: the lists and their counts (see
 * task_store.h).
 *
 * The list statements are spelled out per filter shape so that each
 * names the index it reads (FORCE INDEX: an ORDER BY id DESC LIMIT query
 * is where MariaDB's optimiser likes to pick a filtering index and sort
 * everything it matched), and each reads ids from that index first and
 * joins the full rows only for the page ("late row lookup").
 */
#include "tasker/task_store.h"

#include "tasker/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "task_rows.h"

/* ---------------------------------------------------------------- statements */


/*
 * How many tasks the filter matches, per status, from task_counts joined
 * to the registry: one row, one column, "n,n,n,n,n,n" in the order of
 * enum tk_status (count_sum reads it).  Parameters: namespace twice, name
 * twice, version twice, handler version id twice (SQL_COUNT_NS_SET: then
 * the namespace set).
 */
#define COUNT_OF(ST) "COALESCE(SUM(IF(tc.status = '" ST "', tc.n, 0)), 0)"
#define COUNTS                                                             \
	"SELECT CONCAT_WS(',', " COUNT_OF("pending") ", "                  \
	COUNT_OF("in_progress") ", " COUNT_OF("complete") ", "             \
	COUNT_OF("error") ", " COUNT_OF("cancelled") ", "                  \
	COUNT_OF("resolved_manually") ") FROM handler_versions hv"         \
	" JOIN namespaces ns ON ns.id = hv.namespace_id"                   \
	" JOIN task_counts tc ON tc.handler_version_id = hv.id"            \
	" WHERE (? IS NULL OR ns.name = ?) AND (? IS NULL OR hv.name = ?)" \
	" AND (? IS NULL OR hv.version = ?) AND (? = 0 OR hv.id = ?)"
#define NCOUNTS      6
#define COUNT_PARAMS 8
_Static_assert(TK_ST__COUNT == NCOUNTS, "COUNTS names every status");
static const char SQL_COUNT[] = COUNTS;
static const char SQL_COUNT_NS_SET[] =
    COUNTS " AND FIND_IN_SET(ns.name, ?) > 0";

/*
 * Lists.  PLAIN: one ordered read of an index.  MULTI: one ordered read
 * per status (six branches; an unused branch has LIMIT 0 and costs
 * nothing), merged and cut to the page.
 * Every row of a page carries the COUNTS of the filter as its last
 * column (an uncorrelated scalar subquery: computed once), so a page and
 * its total take one round trip; as a column it leaves the join and its
 * order alone (a derived table there made MariaDB sort the whole page,
 * LONGTEXTs and all, through a temporary table).  Parameters: the COUNTS
 * parameters (the subquery comes first in the text), then PLAIN: keys,
 * limit, offset; MULTI: per branch keys, status, offset + limit; then
 * limit, offset.  (A statement of its own for a single status measured no
 * faster than MULTI with five empty branches.)
 */
#define PAGE_OF(IDS)                                                       \
	"SELECT " TASK_COLS ", (" COUNTS ") FROM (" IDS ") p"              \
	" JOIN tasks t ON t.id = p.id ORDER BY t.id DESC"
#define PLAIN(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM tasks FORCE INDEX (" IDX ")" COND          \
	    " ORDER BY id DESC LIMIT ? OFFSET ?")
#define BRANCH(IDX, COND)                                                  \
	"(SELECT id FROM tasks FORCE INDEX (" IDX ") WHERE " COND          \
	"status = ? ORDER BY id DESC LIMIT ?)"
#define MULTI(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM (" BRANCH(IDX, COND) " UNION ALL "         \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) ") u ORDER BY id DESC LIMIT ? OFFSET ?")
#define NBRANCH 6

/*
 * From this offset on, the total is counted first and a page past the
 * end is not read: its ordered read would walk the index up to the offset
 * for nothing (the old cost of a deep page, kept to what it was).
 */
#define COUNT_FIRST_OFFSET 10000ULL

enum shape_kind { K_ALL, K_NS, K_NS_NAME, K_HV, K_VER, K_NS_VER, K_NAME,
    K_NAME_VER, K__COUNT };

static const char L_ALL[] = PLAIN("PRIMARY", "");
static const char L_ALL_S[] = MULTI("ix_tasks_status", "");
static const char L_NS[] = PLAIN("ix_tasks_ns", " WHERE namespace = ?");
static const char L_NS_S[] = MULTI("ix_tasks_ns_status", "namespace = ? AND ");
static const char L_NS_NAME[] = PLAIN("ix_tasks_ns_name",
    " WHERE namespace = ? AND name = ?");
static const char L_NS_NAME_S[] = MULTI("ix_tasks_ns_name_status",
    "namespace = ? AND name = ? AND ");
static const char L_HV[] = PLAIN("ix_tasks_hv",
    " WHERE handler_version_id = ?");
static const char L_HV_S[] = MULTI("ix_tasks_hv_status",
    "handler_version_id = ? AND ");
static const char L_VER[] = PLAIN("ix_tasks_ver", " WHERE version = ?");
static const char L_VER_S[] = MULTI("ix_tasks_ver_status", "version = ? AND ");
static const char L_NS_VER[] = PLAIN("ix_tasks_ns_ver",
    " WHERE namespace = ? AND version = ?");
static const char L_NS_VER_S[] = MULTI("ix_tasks_ns_ver_status",
    "namespace = ? AND version = ? AND ");
static const char L_NAME[] = PLAIN("ix_tasks_name", " WHERE name = ?");
static const char L_NAME_S[] = MULTI("ix_tasks_name_status", "name = ? AND ");
static const char L_NAME_VER[] = PLAIN("ix_tasks_name_ver",
    " WHERE name = ? AND version = ?");
static const char L_NAME_VER_S[] = MULTI("ix_tasks_name_ver_status",
    "name = ? AND version = ? AND ");

static const struct {
	const char *plain;
	const char *multi;
} shapes[K__COUNT] = {
	[K_ALL] = { L_ALL, L_ALL_S },
	[K_NS] = { L_NS, L_NS_S },
	[K_NS_NAME] = { L_NS_NAME, L_NS_NAME_S },
	[K_HV] = { L_HV, L_HV_S },
	[K_VER] = { L_VER, L_VER_S },
	[K_NS_VER] = { L_NS_VER, L_NS_VER_S },
	[K_NAME] = { L_NAME, L_NAME_S },
	[K_NAME_VER] = { L_NAME_VER, L_NAME_VER_S },
};

/*
 * Filtered lists: of a subject's tasks (created_by), by initiator,
 * source_system, tags or a created_at range, or of a set of namespaces
 * (a limited caller's scope).  One index is read (DRIVE: the first of
 * these filters given, see drive_of) and the other filters are
 * conditions on the rows it yields, in id order.  Parameters: the
 * drive's keys, the SCOPED_WHERE pairs: namespace set, namespace, name,
 * version, status set (comma lists for FIND_IN_SET), created_by,
 * initiator, source_system, created after, created before, tags (a JSON
 * array) (NULL: any), priority range (a marker, NULL: any; low; high);
 * then limit, offset.
 */
#define SCOPED_WHERE                                                       \
	" (? IS NULL OR FIND_IN_SET(namespace, ?) > 0)"                    \
	" AND (? IS NULL OR namespace = ?) AND (? IS NULL OR name = ?)"    \
	" AND (? IS NULL OR version = ?)"                                  \
	" AND (? IS NULL OR FIND_IN_SET(status, ?) > 0)"                   \
	" AND (? IS NULL OR created_by = ?)"                               \
	" AND (? IS NULL OR initiator = ?)"                                \
	" AND (? IS NULL OR source_system = ?)"                            \
	" AND (? IS NULL OR created_at > ?) AND (? IS NULL OR created_at < ?)" \
	" AND (? IS NULL OR JSON_CONTAINS(tags, ?))"                       \
	" AND (? IS NULL OR priority BETWEEN ? AND ?)"                     \
	" AND (? IS NULL OR ? = " STALE_EXPR ")"
#define SCOPED_PARAMS 30
/* FROM, the drive's key condition, the id it orders by. */
#define SCOPED_PAGE_OF(FROM, COND, ORD)                                    \
	"SELECT " TASK_COLS " FROM (SELECT " ORD " AS id FROM " FROM       \
	" WHERE " COND SCOPED_WHERE " ORDER BY " ORD " DESC LIMIT ?"       \
	" OFFSET ?) p JOIN tasks t ON t.id = p.id ORDER BY t.id DESC"
#define SCOPED_COUNT_OF(FROM, COND)                                        \
	"SELECT COUNT(*) FROM " FROM " WHERE " COND SCOPED_WHERE
#define SCOPED_PAGE(IDX, COND)                                             \
	SCOPED_PAGE_OF("tasks FORCE INDEX (" IDX ")", COND, "id")
#define SCOPED_COUNT(IDX, COND)                                            \
	SCOPED_COUNT_OF("tasks FORCE INDEX (" IDX ")", COND)
/* tags: the first tag's rows of task_tags, in task id order. */
#define TAG_FROM                                                           \
	"task_tags g FORCE INDEX (PRIMARY) JOIN tasks FORCE INDEX (PRIMARY)" \
	" ON tasks.id = g.task_id"
/* A range has both ends (drive_keys fills in the open one). */
#define CREATED_COND "created_at BETWEEN ? AND ? AND"
/* priority= / priority_min= / priority_max= (0011): ix_tasks_priority;
 * one priority is read in id order, a range is sorted by id. */
#define PRIORITY_COND "priority BETWEEN ? AND ? AND"

/* stale=true: one range of ix_tasks_status_updated per status. */
#define STALE_COND STALE_EXPR " AND"

/* D_STALE: stale=true; D_ANY: stale=false alone (the primary key, in id
 * order, the condition on each row; its count reads every task). */
enum drive { D_TAG, D_OWN, D_INITIATOR, D_SOURCE, D_CREATED, D_PRIORITY,
    D_STALE, D_ANY, D_NS, D__COUNT };

/* A drive's page, its count, and its page's EXPLAIN (for
 * tk_task_store_list_plan: statements are cached by address, so each
 * text is a static string). */
#define DRIVE(PAGE, COUNT) { PAGE, COUNT, "EXPLAIN " PAGE }
static const struct {
	const char *page;
	const char *count;
	const char *explain;
} drives[D__COUNT] = {
	[D_TAG] = DRIVE(SCOPED_PAGE_OF(TAG_FROM, "g.tag = ? AND", "g.task_id"),
	    SCOPED_COUNT_OF(TAG_FROM, "g.tag = ? AND")),
	[D_OWN] = DRIVE(SCOPED_PAGE("ix_tasks_created_by",
	    "created_by = ? AND"), SCOPED_COUNT("ix_tasks_created_by",
	    "created_by = ? AND")),
	[D_INITIATOR] = DRIVE(SCOPED_PAGE("ix_tasks_initiator",
	    "initiator = ? AND"), SCOPED_COUNT("ix_tasks_initiator",
	    "initiator = ? AND")),
	[D_SOURCE] = DRIVE(SCOPED_PAGE("ix_tasks_source_system",
	    "source_system = ? AND"), SCOPED_COUNT("ix_tasks_source_system",
	    "source_system = ? AND")),
	[D_CREATED] = DRIVE(SCOPED_PAGE("ix_tasks_created_at", CREATED_COND),
	    SCOPED_COUNT("ix_tasks_created_at", CREATED_COND)),
	[D_STALE] = DRIVE(SCOPED_PAGE("ix_tasks_status_updated", STALE_COND),
	    SCOPED_COUNT("ix_tasks_status_updated", STALE_COND)),
	[D_ANY] = DRIVE(SCOPED_PAGE("PRIMARY", ""),
	    SCOPED_COUNT("PRIMARY", "")),
	[D_NS] = DRIVE(SCOPED_PAGE("PRIMARY", ""), NULL),
	[D_PRIORITY] = DRIVE(SCOPED_PAGE("ix_tasks_priority", PRIORITY_COND),
	    SCOPED_COUNT("ix_tasks_priority", PRIORITY_COND)),
};

/*
 * A set of at most NS_BRANCHES namespaces: one ordered read of
 * ix_tasks_ns per namespace (an unused branch has namespace NULL and
 * LIMIT 0: it reads nothing), merged and cut to the page as MULTI does.
 * The other filters are conditions on the rows (COALESCE: one parameter
 * each).  Parameters per branch: namespace, name, version, status set,
 * offset + limit; then limit, offset.
 */
#define NS_BRANCH                                                          \
	"(SELECT id FROM tasks FORCE INDEX (ix_tasks_ns) WHERE namespace = ?" \
	" AND name = COALESCE(?, name) AND version = COALESCE(?, version)"  \
	" AND FIND_IN_SET(status, COALESCE(?, status)) > 0"                 \
	" ORDER BY id DESC LIMIT ?)"
#define NS_BRANCH_PARAMS 5
#define NS_BRANCHES      8
#define NS_BRANCH2       NS_BRANCH " UNION ALL " NS_BRANCH
#define NS_BRANCH4       NS_BRANCH2 " UNION ALL " NS_BRANCH2
static const char SQL_NS_BRANCHES_PAGE[] =
    "SELECT " TASK_COLS " FROM (SELECT id FROM (" NS_BRANCH4 " UNION ALL "
    NS_BRANCH4 ") u ORDER BY id DESC LIMIT ? OFFSET ?) p"
    " JOIN tasks t ON t.id = p.id ORDER BY t.id DESC";
_Static_assert(NS_BRANCHES * NS_BRANCH_PARAMS + 2 <= 64,
    "within db.c's parameter limit");

/*
 * Keyset pages (cursor): the index of the filter's first key (a drive's,
 * else the shape's; SCOPED_WHERE for every filter), read from the key
 * on: "<" and DESC for older tasks, ">" and ASC for newer ones (then
 * shown newest first).  Parameters: the index's keys, the key (16
 * bytes), the SCOPED_WHERE pairs, limit.
 */
#define SEEK_PAGE(FROM, COND, ORD, CMP, DIR)                               \
	"SELECT " TASK_COLS " FROM (SELECT " ORD " AS id FROM " FROM       \
	" WHERE " COND " " ORD " " CMP " ? AND" SCOPED_WHERE               \
	" ORDER BY " ORD " " DIR " LIMIT ?) p JOIN tasks t ON t.id = p.id" \
	" ORDER BY t.id DESC"
#define SEEK_OF(FROM, COND, ORD) {                                         \
	SEEK_PAGE(FROM, COND, ORD, "<", "DESC"),                           \
	SEEK_PAGE(FROM, COND, ORD, ">", "ASC"),                            \
	"EXPLAIN " SEEK_PAGE(FROM, COND, ORD, "<", "DESC") }
#define SEEK(IDX, COND) SEEK_OF("tasks FORCE INDEX (" IDX ")", COND, "id")

enum seek_ix { X_ALL, X_NS, X_NS_NAME, X_VER, X_NS_VER, X_NAME, X_NAME_VER,
    X_TAG, X_OWN, X_INITIATOR, X_SOURCE, X_CREATED, X_PRIORITY, X__COUNT };

static const struct {
	const char *older;
	const char *newer;
	const char *explain;
} seeks[X__COUNT] = {
	[X_ALL] = SEEK("PRIMARY", ""),
	[X_NS] = SEEK("ix_tasks_ns", "namespace = ? AND"),
	[X_NS_NAME] = SEEK("ix_tasks_ns_name",
	    "namespace = ? AND name = ? AND"),
	[X_VER] = SEEK("ix_tasks_ver", "version = ? AND"),
	[X_NS_VER] = SEEK("ix_tasks_ns_ver", "namespace = ? AND version = ? AND"),
	[X_NAME] = SEEK("ix_tasks_name", "name = ? AND"),
	[X_NAME_VER] = SEEK("ix_tasks_name_ver", "name = ? AND version = ? AND"),
	[X_TAG] = SEEK_OF(TAG_FROM, "g.tag = ? AND", "g.task_id"),
	[X_OWN] = SEEK("ix_tasks_created_by", "created_by = ? AND"),
	[X_INITIATOR] = SEEK("ix_tasks_initiator", "initiator = ? AND"),
	[X_SOURCE] = SEEK("ix_tasks_source_system", "source_system = ? AND"),
	[X_CREATED] = SEEK("ix_tasks_created_at", CREATED_COND),
	[X_PRIORITY] = SEEK("ix_tasks_priority", PRIORITY_COND),
};

/*
 * sort=priority / -priority (enum tk_task_sort): ix_tasks_priority read
 * in (priority, id) order, the priority range as its key, every other
 * filter a condition on its rows.  Pages: the range (low, high), the
 * SCOPED_WHERE pairs, limit, offset.  Keyset pages seek from the
 * cursor's (priority, id): the range, the priority twice and the id,
 * the SCOPED_WHERE pairs, limit; "after" is the next rows in the list's
 * order, "before" the rows ahead of it (read the other way, shown in
 * the list's order).
 */
#define SORTED_PAGE(DIR)                                                   \
	"SELECT " TASK_COLS " FROM (SELECT id FROM tasks"                  \
	" FORCE INDEX (ix_tasks_priority) WHERE " PRIORITY_COND            \
	SCOPED_WHERE " ORDER BY priority " DIR ", id " DIR " LIMIT ?"      \
	" OFFSET ?) p JOIN tasks t ON t.id = p.id"                         \
	" ORDER BY t.priority " DIR ", t.id " DIR
#define SORTED_SEEK(CMP, DIR, SHOW)                                        \
	"SELECT " TASK_COLS " FROM (SELECT id FROM tasks"                  \
	" FORCE INDEX (ix_tasks_priority) WHERE " PRIORITY_COND            \
	" (priority " CMP " ? OR (priority = ? AND id " CMP " ?)) AND"     \
	SCOPED_WHERE " ORDER BY priority " DIR ", id " DIR " LIMIT ?) p"   \
	" JOIN tasks t ON t.id = p.id ORDER BY t.priority " SHOW ", t.id " SHOW

static const struct {
	const char *page;
	const char *after;
	const char *before;
	const char *explain;
	int         first;      /* the priority before every task's */
} sorted[3] = {
	[TK_SORT_PRIORITY] = { SORTED_PAGE("DESC"),
	    SORTED_SEEK("<", "DESC", "DESC"), SORTED_SEEK(">", "ASC", "DESC"),
	    "EXPLAIN " SORTED_SEEK("<", "DESC", "DESC"), TK_PRIORITY_MAX + 1 },
	[TK_SORT_PRIORITY_ASC] = { SORTED_PAGE("ASC"),
	    SORTED_SEEK(">", "ASC", "ASC"), SORTED_SEEK("<", "DESC", "ASC"),
	    "EXPLAIN " SORTED_SEEK(">", "ASC", "ASC"), TK_PRIORITY_MIN - 1 },
};

/* ---------------------------------------------------------------- lists and counts */

static enum shape_kind
shape_of(const struct tk_task_filter *f)
{
	int ns = f->namespace_name != NULL, nm = f->name != NULL,
	    ver = f->version != NULL;

	if (f->hv_id != 0)
		return K_HV;
	if (ns && nm)
		return K_NS_NAME;   /* (with a version only when hv_id is 0) */
	if (ns && ver)
		return K_NS_VER;
	if (ns)
		return K_NS;
	if (nm && ver)
		return K_NAME_VER;
	if (nm)
		return K_NAME;
	if (ver)
		return K_VER;
	return K_ALL;
}

/* The shape's key parameters into a; returns how many. */
static size_t
keys_of(const struct tk_task_filter *f, enum shape_kind k,
    struct tk_dbarg *a)
{
	switch (k) {
	case K_ALL:
		return 0;
	case K_NS:
		a[0] = TK_PSTR(f->namespace_name);
		return 1;
	case K_NS_NAME:
		a[0] = TK_PSTR(f->namespace_name);
		a[1] = TK_PSTR(f->name);
		return 2;
	case K_HV:
		a[0] = TK_PINT(f->hv_id);
		return 1;
	case K_VER:
		a[0] = TK_PSTR(f->version);
		return 1;
	case K_NS_VER:
		a[0] = TK_PSTR(f->namespace_name);
		a[1] = TK_PSTR(f->version);
		return 2;
	case K_NAME:
		a[0] = TK_PSTR(f->name);
		return 1;
	case K_NAME_VER:
		a[0] = TK_PSTR(f->name);
		a[1] = TK_PSTR(f->version);
		return 2;
	default:
		return 0;
	}
}

/* The COUNTS parameters of f into a; returns how many. */
static size_t
count_params(const struct tk_task_filter *f, struct tk_dbarg *a)
{
	a[0] = a[1] = TK_POPT(f->namespace_name);
	a[2] = a[3] = TK_POPT(f->name);
	a[4] = a[5] = TK_POPT(f->version);
	a[6] = a[7] = TK_PINT(f->hv_id);
	return COUNT_PARAMS;
}

/*
 * The total of the counts text of COUNTS ("n,n,n,n,n,n", enum tk_status
 * order): the statuses of the filter (status_mask 0: all), none below
 * zero.
 */
static unsigned long long
count_sum(const char *s, unsigned status_mask)
{
	unsigned mask = status_mask & TK_STATUS_ALL;
	unsigned long long total = 0;
	long long n;
	char *end;
	int st;

	for (st = 0; s != NULL && st < NCOUNTS && st < TK_ST__COUNT; st++) {
		n = strtoll(s, &end, 10);
		if (end != s && n > 0 && (mask == 0 || (mask & (1u << st))))
			total += (unsigned long long)n;
		if ((s = strchr(s, ',')) != NULL)
			s++;
	}
	return total;
}

/*
 * The statuses of mask as a comma list ("pending,error") in out, or NULL
 * for every status.
 */
static const char *
status_set(unsigned mask, char *out, size_t outsz)
{
	size_t n = 0;
	int st;

	mask &= TK_STATUS_ALL;
	if (mask == 0 || mask == TK_STATUS_ALL)
		return NULL;
	out[0] = '\0';
	for (st = 0; st < TK_ST__COUNT; st++)
		if (mask & (1u << st))
			n += (size_t)snprintf(out + n, n < outsz ? outsz - n : 0,
			    "%s%s", n > 0 ? "," : "",
			    tk_status_name((enum tk_status)st));
	return out;
}

#define STATUS_SET_SIZE 128   /* every status name, comma-separated */

/* The three cut-offs of STALE_EXPR into a. */
static void
stale_keys(const struct tk_task_filter *f, struct tk_dbarg *a)
{
	size_t i;

	for (i = 0; i < TK_STALE_CUTOFFS; i++)
		a[i] = TK_PSTR(f->stale_before[i] != NULL ?
		    f->stale_before[i] : TK_STALE_NEVER);
}

/* The SCOPED_WHERE parameters of f into a; returns how many. */
static size_t
scoped_params(const struct tk_task_filter *f, const char *statuses,
    struct tk_dbarg *a)
{
	a[0] = a[1] = TK_POPT(f->ns_set);
	a[2] = a[3] = TK_POPT(f->namespace_name);
	a[4] = a[5] = TK_POPT(f->name);
	a[6] = a[7] = TK_POPT(f->version);
	a[8] = a[9] = TK_POPT(statuses);
	a[10] = a[11] = TK_POPT(f->created_by);
	a[12] = a[13] = TK_POPT(f->initiator);
	a[14] = a[15] = TK_POPT(f->source_system);
	a[16] = a[17] = TK_POPT(f->created_after);
	a[18] = a[19] = TK_POPT(f->created_before);
	a[20] = a[21] = TK_POPT(f->tags_json);
	a[22] = f->has_priority ? TK_PINT(1) : TK_PNULL;
	a[23] = TK_PINT(f->priority_min);
	a[24] = TK_PINT(f->priority_max);
	a[25] = a[26] = f->stale == TK_STALE_ANY ? TK_PNULL :
	    TK_PINT(f->stale == TK_STALE_ONLY);
	stale_keys(f, a + 27);
	return SCOPED_PARAMS;
}

/* The index f's filtered list reads (see drives); D__COUNT: none of
 * these filters, the lists by shape serve it. */
static enum drive
drive_of(const struct tk_task_filter *f)
{
	if (f->tag != NULL)
		return D_TAG;
	if (f->created_by != NULL)
		return D_OWN;
	if (f->initiator != NULL)
		return D_INITIATOR;
	if (f->source_system != NULL)
		return D_SOURCE;
	if (f->created_after != NULL || f->created_before != NULL)
		return D_CREATED;
	if (f->has_priority)
		return D_PRIORITY;
	if (f->stale == TK_STALE_ONLY)
		return D_STALE;
	if (f->stale == TK_STALE_NOT)
		return D_ANY;
	if (f->ns_set != NULL)
		return D_NS;
	return D__COUNT;
}

/* The key parameters of drive d into a; returns how many. */
static size_t
drive_keys(const struct tk_task_filter *f, enum drive d, struct tk_dbarg *a)
{
	switch (d) {
	case D_TAG:
		a[0] = TK_PSTR(f->tag);
		return 1;
	case D_OWN:
		a[0] = TK_PSTR(f->created_by);
		return 1;
	case D_INITIATOR:
		a[0] = TK_PSTR(f->initiator);
		return 1;
	case D_SOURCE:
		a[0] = TK_PSTR(f->source_system);
		return 1;
	case D_CREATED:
		a[0] = TK_PSTR(f->created_after != NULL ? f->created_after :
		    "1000-01-01 00:00:00");
		a[1] = TK_PSTR(f->created_before != NULL ? f->created_before :
		    "9999-12-31 23:59:59.999999");
		return 2;
	case D_PRIORITY:
		a[0] = TK_PINT(f->priority_min);
		a[1] = TK_PINT(f->priority_max);
		return 2;
	case D_STALE:
		stale_keys(f, a);
		return TK_STALE_CUTOFFS;
	default:
		return 0;
	}
}

#define DRIVE_ARGS (TK_STALE_CUTOFFS + SCOPED_PARAMS + 2)

enum stmt_kind { S_PAGE, S_COUNT, S_EXPLAIN };

/* Statement k of drive d and its parameters into a (DRIVE_ARGS); sets
 * *np. */
static const char *
drive_stmt(const struct tk_task_filter *f, enum drive d, enum stmt_kind k,
    unsigned long long offset, unsigned limit, char *st, struct tk_dbarg *a,
    size_t *np)
{
	size_t n = drive_keys(f, d, a);

	n += scoped_params(f, status_set(f->status_mask, st, STATUS_SET_SIZE),
	    a + n);
	if (k != S_COUNT) {
		a[n++] = TK_PINT(limit);
		a[n++] = TK_PINT(offset);
	}
	*np = n;
	return k == S_COUNT ? drives[d].count : k == S_EXPLAIN ?
	    drives[d].explain : drives[d].page;
}

/* How many tasks of drive d (not D_NS) match f. */
static tk_err
drive_count(struct tk_db *db, const struct tk_task_filter *f, enum drive d,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[DRIVE_ARGS];
	char st[STATUS_SET_SIZE];
	const char *sql;
	long long n;
	size_t na;
	tk_err e;

	sql = drive_stmt(f, d, S_COUNT, 0, 0, st, a, &na);
	if ((e = tk_db_query(db, sql, a, na, &r)) != TK_OK)
		return e;
	n = tk_row_int(&r, 0, 0);
	*total = n > 0 ? (unsigned long long)n : 0;
	tk_rows_free(&r);
	return TK_OK;
}

/*
 * The page of a namespace set of at most NS_BRANCHES names (and no
 * namespace or creator filter) off ix_tasks_ns.  1 when it applies (and
 * *e says how it went), 0 when the set is too large for it.
 */
static int
list_ns_branches(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    tk_err *e)
{
	struct tk_dbarg a[NS_BRANCHES * NS_BRANCH_PARAMS + 2];
	char st[STATUS_SET_SIZE];
	const char *p = f->ns_set, *statuses;
	size_t b, len, n = 0;

	if (drive_of(f) != D_NS || f->namespace_name != NULL)
		return 0;
	statuses = status_set(f->status_mask, st, sizeof(st));
	for (b = 0; b < NS_BRANCHES; b++) {
		a[n] = TK_PNULL;
		a[n + 4] = TK_PINT(0);
		if (*p != '\0') {
			len = strcspn(p, ",");
			a[n] = TK_PSTRN(p, len);
			a[n + 4] = TK_PINT(offset + limit);
			p += len + (p[len] == ',');
		}
		a[n + 1] = TK_POPT(f->name);
		a[n + 2] = TK_POPT(f->version);
		a[n + 3] = TK_POPT(statuses);
		n += NS_BRANCH_PARAMS;
	}
	if (*p != '\0')
		return 0;   /* more names than branches */
	a[n++] = TK_PINT(limit);
	a[n++] = TK_PINT(offset);
	*e = tk_task_query(db, SQL_NS_BRANCHES_PAGE, a, n, out);
	return 1;
}

/* tk_task_store_list() for a filter with a drive (drive_of). */
static tk_err
list_scoped(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total)
{
	struct tk_dbarg a[DRIVE_ARGS];
	char st[STATUS_SET_SIZE];
	const char *sql;
	size_t n;
	tk_err e;

	if ((e = tk_task_store_count(db, f, total)) != TK_OK ||
	    offset >= *total)
		return e;
	if (f->ns_set != NULL &&
	    list_ns_branches(db, f, offset, limit, out, &e))
		return e;
	sql = drive_stmt(f, drive_of(f), S_PAGE, offset, limit, st, a, &n);
	return tk_task_query(db, sql, a, n, out);
}

tk_err
tk_task_store_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[COUNT_PARAMS + 1];
	size_t n;
	tk_err e;

	*total = 0;
	if (drive_of(f) < D_NS)
		return drive_count(db, f, drive_of(f), total);
	n = count_params(f, a);
	if (f->ns_set != NULL)
		a[n++] = TK_PSTR(f->ns_set);
	if ((e = tk_db_query(db, f->ns_set != NULL ? SQL_COUNT_NS_SET :
	    SQL_COUNT, a, n, &r)) != TK_OK)
		return e;
	*total = count_sum(tk_row_str(&r, 0, 0), f->status_mask);
	tk_rows_free(&r);
	return TK_OK;
}

/*
 * The parameters of the page of shape k (keys: its nk key parameters)
 * after the n in a; returns the statement and sets *np.
 */
static const char *
page_params(const struct tk_task_filter *f, enum shape_kind k,
    unsigned long long offset, unsigned limit, struct tk_dbarg *a,
    size_t *np)
{
	struct tk_dbarg keys[2];
	unsigned mask = f->status_mask & TK_STATUS_ALL;
	size_t nk = keys_of(f, k, keys), n = *np, b, i;
	int st = 0;

	if (mask == 0 || mask == TK_STATUS_ALL) {
		for (i = 0; i < nk; i++)
			a[n++] = keys[i];
		a[n++] = TK_PINT(limit);
		a[n++] = TK_PINT(offset);
		*np = n;
		return shapes[k].plain;
	}
	for (b = 0; b < NBRANCH; b++) {
		while (st < TK_ST__COUNT && !(mask & (1u << st)))
			st++;
		for (i = 0; i < nk; i++)
			a[n++] = keys[i];
		if (st < TK_ST__COUNT) {
			a[n++] = TK_PSTR(tk_status_name((enum tk_status)st));
			a[n++] = TK_PINT(offset + limit);
			st++;
		} else {
			a[n++] = TK_PNULL;
			a[n++] = TK_PINT(0);
		}
	}
	a[n++] = TK_PINT(limit);
	a[n++] = TK_PINT(offset);
	*np = n;
	return shapes[k].multi;
}

/* tk_task_store_list() of a list sorted by priority: its count, then
 * the page off ix_tasks_priority. */
static tk_err
list_sorted(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total)
{
	struct tk_dbarg a[DRIVE_ARGS];
	char st[STATUS_SET_SIZE];
	size_t n;
	tk_err e;

	if ((e = tk_task_store_count(db, f, total)) != TK_OK ||
	    offset >= *total)
		return e;
	(void)drive_stmt(f, D_PRIORITY, S_PAGE, offset, limit, st, a, &n);
	return tk_task_query(db, sorted[f->sort].page, a, n, out);
}

/* tk_task_store_list() as rows of TASK_COLS (and the counts column). */
static tk_err
list_rows(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total)
{
	struct tk_dbarg a[NBRANCH * 4 + 2 + COUNT_PARAMS];
	const char *sql;
	size_t n;
	tk_err e;

	if (f->sort == TK_SORT_PRIORITY || f->sort == TK_SORT_PRIORITY_ASC)
		return list_sorted(db, f, offset, limit, out, total);
	if (drive_of(f) != D__COUNT)
		return list_scoped(db, f, offset, limit, out, total);
	if (f->hv_id == 0 && f->namespace_name != NULL && f->name != NULL &&
	    f->version != NULL)
		/* No such handler version (in this process's catalog): no
		 * tasks to list, but the counts say what they say. */
		return tk_task_store_count(db, f, total);
	if (offset >= COUNT_FIRST_OFFSET) {
		if ((e = tk_task_store_count(db, f, total)) != TK_OK ||
		    offset >= *total)
			return e;
	}
	n = count_params(f, a);
	sql = page_params(f, shape_of(f), offset, limit, a, &n);
	if ((e = tk_task_query(db, sql, a, n, out)) != TK_OK)
		return e;
	if (out->nrows > 0 && out->ncols == TC__NCOLS + 1) {
		*total = count_sum(tk_row_str(out, 0, TC__NCOLS),
		    f->status_mask);
		return TK_OK;
	}
	/* An empty page (past the end, or nothing matches) has no row to
	 * carry the counts. */
	tk_rows_free(out);
	return tk_task_store_count(db, f, total);
}

tk_err
tk_task_store_list(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_task_list *out,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	memset(out, 0, sizeof(*out));
	*total = 0;
	if ((e = list_rows(db, f, offset, limit, &r, total)) == TK_OK)
		e = tk_task_rows_take(&r, out);
	tk_rows_free(&r);
	return e;
}

/* ---------------------------------------------------------------- keyset pages */

/* The index a keyset page of f reads (see seeks). */
static enum seek_ix
seek_ix_of(const struct tk_task_filter *f)
{
	static const enum seek_ix by_drive[D__COUNT] = {
		[D_TAG] = X_TAG, [D_OWN] = X_OWN, [D_INITIATOR] = X_INITIATOR,
		[D_SOURCE] = X_SOURCE, [D_CREATED] = X_CREATED, [D_NS] = X_ALL,
		[D_PRIORITY] = X_PRIORITY,
	};
	static const enum seek_ix by_shape[K__COUNT] = {
		[K_ALL] = X_ALL, [K_NS] = X_NS, [K_NS_NAME] = X_NS_NAME,
		[K_HV] = X_NS_NAME, [K_VER] = X_VER, [K_NS_VER] = X_NS_VER,
		[K_NAME] = X_NAME, [K_NAME_VER] = X_NAME_VER,
	};
	enum drive d = drive_of(f);

	/* stale= has no id-ordered index of its own (its ranges are by
	 * status and updated_at): the shape's index, the condition on each
	 * row. */
	if (d != D__COUNT && d != D_NS && d != D_STALE && d != D_ANY)
		return by_drive[d];
	if (f->namespace_name == NULL && f->name == NULL &&
	    f->version == NULL)
		return X_ALL;   /* a namespace set alone: the primary key */
	return by_shape[shape_of(f)];
}

/* The key parameters of index x into a; returns how many. */
static size_t
seek_keys(const struct tk_task_filter *f, enum seek_ix x, struct tk_dbarg *a)
{
	static const enum drive drive_ix[X__COUNT] = {
		[X_TAG] = D_TAG, [X_OWN] = D_OWN, [X_INITIATOR] = D_INITIATOR,
		[X_SOURCE] = D_SOURCE, [X_CREATED] = D_CREATED,
		[X_PRIORITY] = D_PRIORITY,
	};

	switch (x) {
	case X_ALL:
		return 0;
	case X_NS:
		return keys_of(f, K_NS, a);
	case X_NS_NAME:
		return keys_of(f, K_NS_NAME, a);
	case X_VER:
		return keys_of(f, K_VER, a);
	case X_NS_VER:
		return keys_of(f, K_NS_VER, a);
	case X_NAME:
		return keys_of(f, K_NAME, a);
	case X_NAME_VER:
		return keys_of(f, K_NAME_VER, a);
	default:
		return drive_keys(f, drive_ix[x], a);
	}
}

#define SEEK_ARGS (2 + 1 + SCOPED_PARAMS + 1)

/* The keyset statement of f (older, newer or its EXPLAIN) and its
 * parameters into a (SEEK_ARGS); sets *np. */
static const char *
seek_stmt(const struct tk_task_filter *f, const unsigned char *key,
    enum stmt_kind k, int newer, unsigned limit, char *st,
    struct tk_dbarg *a, size_t *np)
{
	/* Above every UUIDv7 (its version nibble is 7): "from the newest". */
	static const unsigned char top[16] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	enum seek_ix x = seek_ix_of(f);
	size_t n = seek_keys(f, x, a);

	a[n++] = TK_PBLOB(key != NULL ? key : top, 16);
	n += scoped_params(f, status_set(f->status_mask, st, STATUS_SET_SIZE),
	    a + n);
	a[n++] = TK_PINT(limit);
	*np = n;
	if (k == S_EXPLAIN)
		return seeks[x].explain;
	return newer ? seeks[x].newer : seeks[x].older;
}

/* A keyset page's statement run, its rows into out. */
static tk_err
seek_rows(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, struct tk_task_list *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	if ((e = tk_task_query(db, sql, a, n, &r)) == TK_OK)
		e = tk_task_rows_take(&r, out);
	tk_rows_free(&r);
	return e;
}

tk_err
tk_task_store_seek(struct tk_db *db, const struct tk_task_filter *f,
    const unsigned char *key, int newer, unsigned limit,
    struct tk_task_list *out)
{
	struct tk_dbarg a[SEEK_ARGS];
	char st[STATUS_SET_SIZE];
	const char *sql;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (newer && key == NULL)
		return TK_OK;   /* nothing is newer than the newest */
	sql = seek_stmt(f, key, S_PAGE, newer, limit, st, a, &n);
	return seek_rows(db, sql, a, n, out);
}

#define SORTED_ARGS (2 + 3 + SCOPED_PARAMS + 1)

/* The keyset statement of a sorted f and its parameters (SORTED_ARGS). */
static const char *
sorted_stmt(const struct tk_task_filter *f, const unsigned char *key,
    int priority, enum stmt_kind k, int before, unsigned limit, char *st,
    struct tk_dbarg *a, size_t *np)
{
	static const unsigned char zero[16];
	size_t n = drive_keys(f, D_PRIORITY, a);

	if (key == NULL)
		priority = sorted[f->sort].first;
	a[n++] = TK_PINT(priority);
	a[n++] = TK_PINT(priority);
	a[n++] = TK_PBLOB(key != NULL ? key : zero, 16);
	n += scoped_params(f, status_set(f->status_mask, st, STATUS_SET_SIZE),
	    a + n);
	a[n++] = TK_PINT(limit);
	*np = n;
	if (k == S_EXPLAIN)
		return sorted[f->sort].explain;
	return before ? sorted[f->sort].before : sorted[f->sort].after;
}

tk_err
tk_task_store_seek_sorted(struct tk_db *db, const struct tk_task_filter *f,
    const unsigned char *key, int priority, int before, unsigned limit,
    struct tk_task_list *out)
{
	struct tk_dbarg a[SORTED_ARGS];
	char st[STATUS_SET_SIZE];
	const char *sql;
	size_t n;

	memset(out, 0, sizeof(*out));
	if ((before && key == NULL) || (f->sort != TK_SORT_PRIORITY &&
	    f->sort != TK_SORT_PRIORITY_ASC))
		return TK_OK;   /* nothing is before the first */
	sql = sorted_stmt(f, key, priority, S_PAGE, before, limit, st, a, &n);
	return seek_rows(db, sql, a, n, out);
}

/* EXPLAIN rows (id, select_type, table, type, possible_keys, key, ...)
 * as "table:key,..." into out. */
static void
plan_text(const struct tk_rows *r, char *out, size_t outsz)
{
	const char *table, *key;
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < r->nrows && len < outsz; i++) {
		table = tk_row_str(r, i, 2);
		key = tk_row_str(r, i, 5);
		len += (size_t)snprintf(out + len, outsz - len, "%s%s:%s",
		    i > 0 ? "," : "", table != NULL ? table : "NULL",
		    key != NULL ? key : "NULL");
	}
}

/* Runs the EXPLAIN sql and writes its plan_text into out. */
static tk_err
run_plan(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, char *out, size_t outsz)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	out[0] = '\0';
	if ((e = tk_db_query(db, sql, a, n, &r)) != TK_OK)
		return e;
	plan_text(&r, out, outsz);
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_task_store_seek_plan(struct tk_db *db, const struct tk_task_filter *f,
    char *out, size_t outsz)
{
	struct tk_dbarg a[SORTED_ARGS > SEEK_ARGS ? SORTED_ARGS : SEEK_ARGS];
	char st[STATUS_SET_SIZE];
	const char *sql;
	size_t n;

	if (f->sort == TK_SORT_PRIORITY || f->sort == TK_SORT_PRIORITY_ASC)
		sql = sorted_stmt(f, NULL, 0, S_EXPLAIN, 0, 25, st, a, &n);
	else
		sql = seek_stmt(f, NULL, S_EXPLAIN, 0, 25, st, a, &n);
	return run_plan(db, sql, a, n, out, outsz);
}

tk_err
tk_task_store_list_plan(struct tk_db *db, const struct tk_task_filter *f,
    char *out, size_t outsz)
{
	struct tk_dbarg a[DRIVE_ARGS];
	char st[STATUS_SET_SIZE];
	enum drive d = drive_of(f);
	const char *sql;
	size_t n;

	out[0] = '\0';
	if (d == D__COUNT)
		return TK_ERR_INTERNAL;   /* the shape lists: FORCE INDEX */
	sql = drive_stmt(f, d, S_EXPLAIN, 0, 25, st, a, &n);
	return run_plan(db, sql, a, n, out, outsz);
}
