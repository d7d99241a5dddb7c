/*
 * test_retention.c - durations (util/duration.c) and the retention:
 * section of tasker.yaml (config/retention.c): defaults, ages, the
 * per-namespace overrides, every refusal with its message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/config.h"
#include "tasker/duration.h"
#include "testlib.h"

static void
test_duration(void)
{
	static const char *const bad[] = { "", "d", "1x", "1dd", "1 d", "-1",
	    "1.5h", "99999999999999999999", "40000w", "1D", NULL };
	long long n;
	size_t i;

	CU_ASSERT_EQUAL(tk_duration_parse("30d", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 30 * 86400);
	CU_ASSERT_EQUAL(tk_duration_parse("12h", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 12 * 3600);
	CU_ASSERT_EQUAL(tk_duration_parse("90m", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 5400);
	CU_ASSERT_EQUAL(tk_duration_parse("45s", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 45);
	CU_ASSERT_EQUAL(tk_duration_parse("2w", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 14 * 86400);
	CU_ASSERT_EQUAL(tk_duration_parse("3600", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 3600);
	CU_ASSERT_EQUAL(tk_duration_parse("0", &n), TK_OK);
	CU_ASSERT_EQUAL(n, 0);
	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT_EQUAL(tk_duration_parse(bad[i], &n),
		    TK_ERR_BAD_REQUEST);
}

/* Loads text as a tasker.yaml; its result, cfg and d filled. */
static tk_err
load(const char *text, struct tk_config *cfg, struct tk_diag *d)
{
	char path[] = "/tmp/tk-retention-XXXXXX";
	int fd = mkstemp(path);
	tk_err e;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) ==
	    (ssize_t)strlen(text));
	close(fd);
	e = tk_config_load(path, cfg, d);
	unlink(path);
	return e;
}

static void
test_config(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL_FATAL(tk_config_defaults(&cfg), TK_OK);
	CU_ASSERT_EQUAL(cfg.retention.ages.complete, 0);
	CU_ASSERT_PTR_NULL(cfg.retention.export);
	tk_config_free(&cfg);
	CU_ASSERT_EQUAL_FATAL(load("auth: {mode: none}\nretention:\n"
	    "  complete: 30d\n  error: 7776000\n  namespaces:\n"
	    "    payments: { complete: 400d }\n    audit: { complete: 0 }\n"
	    "  export: /var/tmp/purged.jsonl\n", &cfg, &d), TK_OK);
	CU_ASSERT_EQUAL(cfg.retention.ages.complete, 30 * 86400);
	CU_ASSERT_EQUAL(cfg.retention.ages.cancelled, 0);
	CU_ASSERT_EQUAL(cfg.retention.ages.error, 90 * 86400);
	CU_ASSERT_EQUAL_FATAL(cfg.retention.nnamespaces, 2);
	CU_ASSERT_STRING_EQUAL(cfg.retention.namespaces[0].name, "payments");
	CU_ASSERT_EQUAL(cfg.retention.namespaces[0].ages.complete,
	    400 * 86400);
	CU_ASSERT_EQUAL(cfg.retention.namespaces[0].ages.error, -1);
	CU_ASSERT_EQUAL(cfg.retention.namespaces[1].ages.complete, 0);
	CU_ASSERT_STRING_EQUAL(cfg.retention.export, "/var/tmp/purged.jsonl");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
refused(const char *section, const char *want)
{
	char text[512];
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	snprintf(text, sizeof(text), "auth: {mode: none}\nretention:\n%s",
	    section);
	CU_ASSERT_EQUAL(load(text, &cfg, &d), TK_ERR_CONFIG);
	if (!tk_diag_has(&d, want)) {
		fprintf(stderr, "\n  missing: %s\n", want);
		tk_diag_print(&d, stderr, "    ");
		CU_FAIL("message");
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_refusals(void)
{
	refused("  complete: 30x\n", "retention.complete: must be a duration");
	refused("  complete: -1\n", "retention.complete: must be a duration");
	refused("  complete: [1]\n", "retention.complete: must be a duration");
	refused("  finished: 1d\n", "retention.finished: unknown key");
	refused("  namespaces: [a]\n", "retention.namespaces: must be a "
	    "mapping of namespaces to ages");
	refused("  namespaces:\n    Bad-Name: { complete: 1d }\n",
	    "is not a namespace name");
	refused("  namespaces:\n    ok: { complete: 1y }\n",
	    "retention.namespaces.ok.complete: must be a duration");
	refused("  namespaces:\n    ok: { export: x }\n",
	    "retention.namespaces.ok.export: unknown key");
}

TK_SUITE(retention, { "durations", test_duration },
    { "config", test_config }, { "refusals", test_refusals });
