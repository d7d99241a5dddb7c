/*
 * fuzz_handler.c - libFuzzer driver for handler definitions: YAML (or,
 * when the input starts with '{', the JSON a database row holds) through
 * tk_yaml_parse, tk_handler_parse / tk_handler_from_json.
 *
 * A definition that loads must round-trip: its canonical JSON
 * (tk_handler_to_json) read back with tk_handler_from_json is accepted,
 * has the same hash, and tk_handler_diff finds no difference.  The
 * topological order covers every step once, each level is below the
 * number of levels, and every parent comes before its child.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/handler.h"
#include "tasker/yamljson.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void
invariants(const struct tk_handler_def *h)
{
	unsigned char seen[TK_HANDLER_MAX_STEPS];
	size_t i, j, pos[TK_HANDLER_MAX_STEPS];

	CHECK(h->nsteps >= 1 && h->nsteps <= TK_HANDLER_MAX_STEPS);
	CHECK(tk_name_valid(h->name));
	CHECK(tk_name_valid(h->namespace_name));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < h->nsteps; i++) {
		CHECK(h->order[i] < h->nsteps);
		CHECK(!seen[h->order[i]]);
		seen[h->order[i]] = 1;
		pos[h->order[i]] = i;
	}
	for (i = 0; i < h->nsteps; i++) {
		const struct tk_step_def *s = &h->steps[i];
		CHECK(tk_name_valid(s->name));
		CHECK(tk_handler_step_index(h, s->name) == (long)i);
		CHECK(h->level[i] < h->nlevels);
		CHECK(s->retry_limit <= TK_RETRY_LIMIT_MAX);
		for (j = 0; j < s->nparents; j++) {
			CHECK(s->parents[j] < h->nsteps);
			CHECK(pos[s->parents[j]] < pos[i]);
			CHECK(h->level[s->parents[j]] < h->level[i]);
		}
	}
}

static void
round_trip(const struct tk_handler_def *h)
{
	struct tk_handler_def *h2 = NULL;
	struct tk_diag d = TK_DIAG_INIT, diff = TK_DIAG_INIT;
	json_object *j;

	if ((j = tk_handler_to_json(h)) == NULL)
		return;   /* out of memory */
	CHECK(tk_handler_from_json(j, &h2, &d) == TK_OK);
	CHECK(strcmp(h->hash, h2->hash) == 0);
	tk_handler_diff(h, h2, &diff);
	CHECK(diff.n == 0);
	tk_handler_free(h2);
	json_object_put(j);
	tk_diag_free(&d);
	tk_diag_free(&diff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h = NULL;
	json_object *root = NULL;
	struct json_tokener *tok;

	if (size > 65536)
		return 0;
	if (size > 0 && data[0] == '{') {
		/* A definition as the database holds it. */
		if ((tok = json_tokener_new_ex(64)) == NULL)
			return 0;
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		root = json_tokener_parse_ex(tok, (const char *)data, (int)size);
		if (root != NULL && json_tokener_get_parse_end(tok) == size &&
		    tk_handler_from_json(root, &h, &d) == TK_OK) {
			invariants(h);
			round_trip(h);
		}
		json_tokener_free(tok);
	} else if (tk_yaml_parse("fuzz.yaml", (const char *)data, size, &root,
	    &d) == TK_OK) {
		if (tk_handler_parse(root, "fuzz.yaml", "production", &h,
		    &d) == TK_OK) {
			invariants(h);
			round_trip(h);
		} else
			CHECK(d.n > 0);
	}
	tk_handler_free(h);
	json_object_put(root);
	tk_diag_free(&d);
	return 0;
}
