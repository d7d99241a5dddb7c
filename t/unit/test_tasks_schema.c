/*
 * test_tasks_schema.c - a handler's context schema is compiled when the
 * handler is loaded: an unsupported keyword or a malformed schema is a
 * definition error naming the file, the line and the schema location.
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "tasker/handler.h"
#include "tasker/jsonschema.h"

static void
test_bad_schema_refused(void)
{
	const char *p = tk_fixture("tasks/schema/bad.yaml");
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;

	CU_ASSERT_EQUAL(tk_defset_load(&p, 1, NULL, &set, &d),
	    TK_ERR_DEFINITION);
	if (!tk_diag_has(&d, "bad.yaml:10: schema: /properties/amount/"
	    "minimum: ") ||
	    !tk_diag_has(&d, "bad.yaml:12: schema: /properties/item/$ref: ")) {
		tk_diag_print(&d, stderr, "  got: ");
		CU_FAIL("messages name file, line and schema location");
	}
	tk_diag_free(&d);
}

static void
test_good_schema_loads(void)
{
	const char *p = tk_fixture("tasks/schema/good.yaml");
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;

	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	CU_ASSERT_EQUAL(set.nhandlers, 1);
	CU_ASSERT_PTR_NOT_NULL(set.handlers[0]->schema);
	tk_defset_free(&set);
	tk_diag_free(&d);
}

TK_SUITE(tasks_schema,
    { "bad schema refused at load", test_bad_schema_refused },
    { "good schema loads", test_good_schema_loads });
