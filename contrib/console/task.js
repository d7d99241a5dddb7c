// task.js - one task: its facts, the dependency analysis in words, its step
// graph coloured by status, every step with its last error and results, a
// timeline of every attempt, the context, and the actions the API allows
// (cancel, retry, resolve or cancel a step), each behind a confirmation.
// The page refreshes itself with If-None-Match while it is open.

import { call, get, enc, ApiError } from './api.js';
import { h, clear, badge, time, errorBox, jsonTree, facts,
	confirmDialog, every } from './ui.js';
import { drawGraph } from './graph.js';
import { can } from './session.js';
import { attemptsOf, timelineView } from './timeline.js';

const REFRESH_MS = 3000;
const MAX_DETAIL = 50;          // steps whose transitions are fetched
const FINISHED = ['complete', 'resolved_manually', 'cancelled'];

// The steps with depends_on (workflow_steps) and their transitions (one
// request per step, four at a time, for the first MAX_DETAIL steps).
async function loadSteps(id, task) {
	let steps, problem = null;
	try {
		steps = (await get(`/tasks/${enc(id)}/workflow_steps`)).data.workflow_steps;
	} catch (e) {
		steps = task.steps.map((st) => ({ ...st, depends_on: [] }));
		problem = e;
	}
	const queue = steps.slice(0, MAX_DETAIL);
	const worker = async () => {
		for (let st = queue.shift(); st; st = queue.shift()) {
			try {
				const r = await get(`/tasks/${enc(id)}/workflow_steps/${enc(st.name)}`);
				st.transitions = r.data.transitions;
			} catch (e) {
				st.transitions = null;
				problem = problem || e;
			}
		}
	};
	await Promise.all([worker(), worker(), worker(), worker()]);
	return { steps, problem };
}

function analysisWords(d) {
	if (!d)
		return h('p', { class: 'muted' }, 'No dependency analysis in the answer.');
	const list = (label, xs, fmt) => xs && xs.length ?
	    h('li', null, h('strong', null, `${label}: `), xs.map(fmt || String).join(', ')) : null;
	const blocked = (n) => {
		const by = d.blocked_by && d.blocked_by[n];
		return by && by.length ? `${n} (waits for ${by.join(' and ')})` : n;
	};
	return h('div', { class: 'analysis' }, h('p', { class: 'analysis-text' }, d.analysis),
	    h('ul', null, list('Ready to run', d.ready_steps), list('Blocked', d.blocked_steps, blocked),
		list('Failed with no attempt left', d.failed_steps),
		list('Cancelled', d.cancelled_steps), list('Finished', d.completed_steps)));
}

// An action: a button that asks first, then calls the API and reloads.
function actionButton(ctx, spec) {
	return h('button', { type: 'button', class: spec.danger ? 'danger' : null,
	    'data-action': spec.key, onclick: async () => {
		const vals = await confirmDialog(spec);
		if (vals === null)
			return;
		try {
			await call(spec.method, spec.path, { body: spec.body(vals) });
			ctx.flash(`${spec.done} (${new Date().toLocaleTimeString()})`, false);
		} catch (e) {
			ctx.flash(e, true);
		}
		await ctx.reload(true);
	} }, spec.label);
}

const reasonField = { name: 'reason', label: 'Reason (optional, recorded)', type: 'text' };

function taskActions(ctx, t) {
	const base = `/tasks/${enc(t.id)}`;
	const withReason = (v) => v.reason ? { reason: v.reason } : undefined;
	const out = [];
	if (can('tasker.task:cancel') && !FINISHED.includes(t.status))
		out.push(actionButton(ctx, { key: 'cancel-task', label: 'Cancel task', danger: true,
		    title: 'Cancel this task?', confirm: 'Cancel task', method: 'DELETE', path: base,
		    text: `Every unfinished step of ${t.full_name} becomes cancelled and running handlers are stopped. This cannot be undone.`,
		    fields: [reasonField], body: withReason, done: 'The task was cancelled' }));
	if (can('tasker.task:retry') && t.status === 'error')
		out.push(actionButton(ctx, { key: 'retry-task', label: 'Retry task',
		    title: 'Retry this task?', confirm: 'Retry task', method: 'POST', path: `${base}/retry`,
		    text: 'Its failed steps become ready to run again, with fresh attempts.',
		    fields: [reasonField], body: withReason, done: 'The task will be retried' }));
	return out;
}

function stepActions(ctx, t, st) {
	if (!can('tasker.workflow_step:update') || FINISHED.includes(st.status) || FINISHED.includes(t.status))
		return [];
	const path = `/tasks/${enc(t.id)}/workflow_steps/${enc(st.name)}`;
	return [
		actionButton(ctx, { key: `resolve-${st.name}`, label: 'Resolve', title: `Resolve step ${st.name} by hand?`,
		    confirm: 'Resolve step', method: 'PATCH', path, done: `Step ${st.name} was resolved by hand`,
		    text: 'The step counts as done (resolved_manually) and its children may run.',
		    fields: [{ name: 'results', label: 'Results (optional JSON object)', type: 'json',
			placeholder: '{"charged": true}' }, reasonField],
		    body: (v) => ({ status: 'resolved_manually', ...v }) }),
		actionButton(ctx, { key: `cancel-${st.name}`, label: 'Cancel', danger: true,
		    title: `Cancel step ${st.name}?`, confirm: 'Cancel step', method: 'PATCH', path,
		    done: `Step ${st.name} was cancelled`,
		    text: 'Cancelling a step cancels its whole task: every unfinished step, and running handlers are stopped.',
		    fields: [reasonField], body: (v) => ({ status: 'cancelled', ...v }) }),
	];
}

function stepTable(ctx, t, steps) {
	return h('div', { class: 'table-wrap' }, h('table', { class: 'steps' },
	    h('thead', null, h('tr', null, ['Step', 'Status', 'Attempts', 'Started', 'Completed',
		'Last error', 'Results', 'Actions'].map((x) => h('th', { scope: 'col' }, x)))),
	    h('tbody', null, steps.map((st) => h('tr', { id: `step-${st.name}`, 'data-step': st.name },
		h('th', { scope: 'row' }, st.name),
		h('td', null, badge(st.status), st.next_attempt_at ?
		    h('div', { class: 'muted' }, 'next try ', time(st.next_attempt_at)) : null),
		h('td', null, st.max_attempts ? `${st.attempts} of ${st.max_attempts}` : String(st.attempts)),
		h('td', null, time(st.started_at)), h('td', null, time(st.completed_at)),
		h('td', null, st.last_error ? h('pre', { class: 'last-error' }, st.last_error) : '\u2014'),
		h('td', null, st.results === null || st.results === undefined ? '\u2014' :
		    jsonTree(st.results, 'results')),
		h('td', null, h('div', { class: 'actions' }, stepActions(ctx, t, st))))))));
}

function draw(ctx, t, steps, problem) {
	const byName = new Map(steps.map((st) => [st.name, st]));
	const graph = {
		nodes: steps.map((st) => st.name),
		edges: steps.flatMap((st) => (st.depends_on || []).map((p) => ({ from: p, to: st.name }))),
	};
	const info = (n) => {
		const st = byName.get(n);
		return st.retryable ? `attempt ${st.attempts} of ${st.max_attempts}, up to ${st.retry_limit} retries` :
		    `attempt ${st.attempts}, not retryable`;
	};
	return [
		facts([['Task', h('span', { class: 'mono', id: 'task-id' }, t.id)],
		    ['Status', h('span', { id: 'task-status' }, badge(t.status))],
		    ['Created', time(t.created_at)], ['Updated', time(t.updated_at)],
		    ['Completed', time(t.completed_at)], ['Initiator', t.initiator || '\u2014'],
		    ['Source system', t.source_system || '\u2014'], ['Created by', t.created_by || '\u2014'],
		    ['Reason', t.reason || '\u2014'], ['Tags', (t.tags || []).join(', ') || '\u2014']]),
		h('div', { class: 'actions task-actions' }, taskActions(ctx, t)),
		h('h2', null, 'Dependency analysis'), analysisWords(t.dependencies),
		h('h2', null, 'Step graph'),
		drawGraph(graph, { status: (n) => byName.get(n).status, info,
		    onpick: (n) => {
			const row = document.getElementById(`step-${n}`);
			if (row) {
				row.scrollIntoView({ block: 'center' });
				row.querySelector('th').focus();
			}
		    } }),
		problem ? errorBox(problem) : null,
		h('h2', null, 'Steps'), stepTable(ctx, t, steps),
		h('h2', null, 'Timeline of attempts'), timelineView(attemptsOf(steps)),
		steps.length > MAX_DETAIL ? h('p', { class: 'muted' },
		    `The timeline shows the first ${MAX_DETAIL} of ${steps.length} steps.`) : null,
		h('h2', null, 'Context'), jsonTree(t.context, 'context', true),
	].filter(Boolean);
}

// #/tasks/ID
export async function showTask(main, id) {
	const path = `/tasks/${enc(id)}?include_dependencies=true`;
	let { data: t, etag } = await get(path);
	const flash = h('div', { class: 'flash', role: 'status' });
	const body = h('div', { class: 'task-body' });
	const ctx = {
		flash: (m, bad) => {
			clear(flash).append(bad ? errorBox(m) : h('p', { class: 'ok' }, m));
		},
		reload: async (force) => {
			const r = await get(path, { etag: force ? null : etag });
			if (r.status === 304)
				return;
			t = r.data;
			etag = r.etag;
			const { steps, problem } = await loadSteps(id, t);
			const keep = document.activeElement && document.activeElement.dataset ?
			    document.activeElement.dataset.action : null;
			clear(body).append(...draw(ctx, t, steps, problem));
			const again = keep && body.querySelector(`[data-action="${CSS.escape(keep)}"]`);
			if (again)
				again.focus();
		},
	};
	main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/tasks' }, 'Tasks'), ' /'),
	    h('h1', { tabindex: -1 }, t.full_name || t.id), flash, body);
	const { steps, problem } = await loadSteps(id, t);
	body.append(...draw(ctx, t, steps, problem));
	every(REFRESH_MS, body, async () => {
		try {
			await ctx.reload(false);
		} catch (e) {
			if (e instanceof ApiError)
				ctx.flash(e, true);
		}
	});
}
