/*
 * protocol.c - the engine's side of the handler protocol (engine.h):
 * the step's stdin document, its environment, its fencing token, and
 * the texts that say why an attempt failed.  Pure: no database, no
 * processes (exec.c runs the handler and reads its output).  Strings
 * in the stdin document are escaped by src/util/json_str.c, every
 * control byte as \u00XX.
 */
#include "tasker/engine.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tasker/json_str.h"
#include "tasker/utf8.h"

void
tk_engine_token(char *out, const struct tk_engine_attempt *a)
{
	snprintf(out, TK_ENGINE_TOKEN_MAX, "%u.%llu", a->number, a->epoch);
}

tk_err
tk_engine_input(struct tk_buf *out, const struct tk_engine_task *t,
    const char *step, const struct tk_engine_attempt *at,
    const struct tk_engine_parent *p, size_t np)
{
	char tok[TK_ENGINE_TOKEN_MAX];
	size_t i;

	tk_buf_puts(out, "{\"task\":{\"id\":");
	tk_json_put_strn(out, t->id, strlen(t->id), 0);
	tk_buf_puts(out, ",\"namespace\":");
	tk_json_put_strn(out, t->namespace_name, strlen(t->namespace_name), 0);
	tk_buf_puts(out, ",\"name\":");
	tk_json_put_strn(out, t->name, strlen(t->name), 0);
	tk_buf_puts(out, ",\"version\":");
	tk_json_put_strn(out, t->version, strlen(t->version), 0);
	tk_buf_puts(out, ",\"context\":");
	/* Spliced as stored: the database checks it is valid JSON. */
	if (t->context != NULL && t->context_len > 0)
		tk_buf_append(out, t->context, t->context_len);
	else
		tk_buf_puts(out, "{}");
	tk_buf_puts(out, "},\"step\":{\"name\":");
	tk_json_put_strn(out, step, strlen(step), 0);
	tk_engine_token(tok, at);
	tk_buf_printf(out, ",\"attempt\":%u,\"lease_epoch\":%llu,"
	    "\"fencing_token\":\"%s\"},\"parents\":{", at->number, at->epoch,
	    tok);
	for (i = 0; i < np; i++) {
		if (i > 0)
			tk_buf_putc(out, ',');
		tk_json_put_strn(out, p[i].name, strlen(p[i].name), 0);
		tk_buf_putc(out, ':');
		if (p[i].results != NULL && p[i].results_len > 0)
			tk_buf_append(out, p[i].results, p[i].results_len);
		else
			tk_buf_puts(out, "null");
	}
	return tk_buf_puts(out, "}}\n");
}

tk_err
tk_engine_env(struct tk_env *env, const struct tk_engine_env_src *s)
{
	char n[16], ep[24], tok[TK_ENGINE_TOKEN_MAX];
	size_t i;
	tk_err e = TK_OK;

	if ((e = tk_env_set(env, "PATH",
	    s->path ? s->path : TK_ENGINE_DEFAULT_PATH)) != TK_OK)
		return e;
	if (s->home != NULL && (e = tk_env_set(env, "HOME", s->home)) != TK_OK)
		return e;
	if ((e = tk_env_set(env, "LANG", "C.UTF-8")) != TK_OK)
		return e;
	for (i = 0; s->exec != NULL && i < s->exec->nenv; i++)
		if ((e = tk_env_put(env, s->exec->env[i])) != TK_OK &&
		    e != TK_ERR_BAD_REQUEST)
			return e;
	snprintf(n, sizeof(n), "%u", s->attempt.number);
	snprintf(ep, sizeof(ep), "%llu", s->attempt.epoch);
	tk_engine_token(tok, &s->attempt);
	if ((e = tk_env_set(env, "TASKER_TASK_ID", s->task_id)) != TK_OK ||
	    (e = tk_env_set(env, "TASKER_NAMESPACE", s->namespace_name))
	    != TK_OK ||
	    (e = tk_env_set(env, "TASKER_HANDLER", s->handler)) != TK_OK ||
	    (e = tk_env_set(env, "TASKER_HANDLER_VERSION", s->version))
	    != TK_OK ||
	    (e = tk_env_set(env, "TASKER_STEP_NAME", s->step)) != TK_OK ||
	    (e = tk_env_set(env, "TASKER_STEP_ATTEMPT", n)) != TK_OK ||
	    (e = tk_env_set(env, "TASKER_LEASE_EPOCH", ep)) != TK_OK ||
	    (e = tk_env_set(env, "TASKER_FENCING_TOKEN", tok)) != TK_OK)
		return e;
	return TK_OK;
}

/* Appends s as clean text: valid UTF-8, no control characters but
 * newline and tab; stops before passing max bytes in all. */
static void
append_clean(struct tk_buf *b, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len && b->len < max) {
		k = tk_utf8_seq(p + i, len - i);
		if (k == 0 || (k == 1 && ((p[i] < 0x20 && p[i] != '\n' &&
		    p[i] != '\t') || p[i] == 0x7f))) {
			tk_buf_putc(b, '?');
			i++;
			continue;
		}
		if (b->len + k > max)
			break;
		tk_buf_append(b, p + i, k);
		i += k;
	}
}

tk_err
tk_engine_error_text(struct tk_buf *out, const char *what, const char *err,
    size_t err_len)
{
	size_t start, k;

	tk_buf_reset(out);
	append_clean(out, what, strlen(what), TK_ENGINE_ERROR_MAX / 2);
	/* Trailing blank lines say nothing. */
	while (err != NULL && err_len > 0 && (err[err_len - 1] == ' ' ||
	    err[err_len - 1] == '\t' || err[err_len - 1] == '\r' ||
	    err[err_len - 1] == '\n'))
		err_len--;
	if (err != NULL && err_len > 0) {
		start = err_len > TK_ENGINE_STDERR_TAIL ?
		    err_len - TK_ENGINE_STDERR_TAIL : 0;
		/* Do not start in the middle of a character. */
		for (k = 0; k < 3 && start > 0 && start < err_len &&
		    ((unsigned char)err[start] & 0xc0) == 0x80; k++)
			start++;
		tk_buf_puts(out, start > 0 ? "; stderr (last bytes): " :
		    "; stderr: ");
		append_clean(out, err + start, err_len - start,
		    TK_ENGINE_ERROR_MAX);
	}
	return out->failed ? TK_ERR_NOMEM : TK_OK;
}

/*
 * What a refused output began with, for the operator who has to see why:
 * at most TK_ENGINE_OUTPUT_HEAD bytes, quoted, '"' and '\\' escaped,
 * other bytes outside printable ASCII as \xNN (so the text stays clean
 * whatever the handler printed), and "..." after the quote when the
 * output went on (every cut echo is marked so).  Written into dst (of dstsz bytes), after
 * what is there already.
 */
static void
output_head(char *dst, size_t dstsz, const char *out, size_t len)
{
	struct tk_buf b = TK_BUF_INIT;
	size_t i, n = len < TK_ENGINE_OUTPUT_HEAD ? len : TK_ENGINE_OUTPUT_HEAD;
	unsigned char c;

	tk_buf_puts(&b, "; stdout began: \"");
	for (i = 0; i < n; i++) {
		c = (unsigned char)out[i];
		if (c == '"' || c == '\\')
			tk_buf_printf(&b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			tk_buf_printf(&b, "\\x%02x", c);
		else
			tk_buf_putc(&b, (char)c);
	}
	tk_buf_puts(&b, len > n ? "\"..." : "\"");
	if (!b.failed && strlen(dst) + b.len < dstsz)
		memcpy(dst + strlen(dst), b.data, b.len + 1);
	tk_buf_free(&b);
}

const char *
tk_engine_failure(char *what, size_t whatsz, const struct tk_exec_result *r,
    const char *why, const char *argv0, unsigned timeout_s,
    size_t max_output)
{
	const char *abbrev;

	switch (r->end) {
	case TK_EXEC_EXITED:
		if (r->status == 0 && why != NULL) {
			snprintf(what, whatsz, "%s", why);
			if (r->out != NULL && r->out_len > 0)
				output_head(what, whatsz, r->out, r->out_len);
		} else
			snprintf(what, whatsz, "exit status %d", r->status);
		break;
	case TK_EXEC_SIGNALED:
		abbrev = sigabbrev_np(r->status);
		snprintf(what, whatsz, "killed by signal %d (SIG%s)", r->status,
		    abbrev ? abbrev : "?");
		break;
	case TK_EXEC_TIMEOUT:
		snprintf(what, whatsz, "timed out after %u s (the handler and "
		    "its child processes were killed)", timeout_s);
		break;
	case TK_EXEC_TOO_LARGE:
		snprintf(what, whatsz, "%s passed the limit of %zu bytes "
		    "(worker.max_output_bytes); the handler was killed",
		    r->out_overflow ? "stdout" : "stderr", max_output);
		break;
	case TK_EXEC_ABORTED:
		snprintf(what, whatsz, "stopped by the worker");
		break;
	case TK_EXEC_NOT_STARTED:
		if (r->failed_op != NULL && strcmp(r->failed_op, "exec") != 0)
			snprintf(what, whatsz, "cannot run '%s': %s failed: %s",
			    argv0, r->failed_op, strerror(r->status));
		else
			snprintf(what, whatsz, "cannot run '%s': %s", argv0,
			    strerror(r->status));
		break;
	}
	return what;
}
