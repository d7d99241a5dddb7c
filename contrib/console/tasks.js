// tasks.js - the tasks list: the guide's filters (namespace, version,
// status) and the API's others (name, tags, initiator, source_system,
// created_by, created_after/before), paging, and a live refresh that asks
// with If-None-Match so an unchanged page costs a 304 and no redraw.
//
// The filters live in the URL's fragment (#/tasks?status=error&page=2), so
// a view can be bookmarked; nothing secret is ever put there.

import { get, query } from './api.js';
import { h, clear, badge, time, errorBox, every } from './ui.js';

export const TASK_STATUSES = ['pending', 'in_progress', 'complete', 'error', 'cancelled'];
const TEXT_FILTERS = [
	['namespace', 'Namespace'], ['name', 'Handler'], ['version', 'Version'],
	['tags', 'Tags (comma-separated, all of them)'], ['initiator', 'Initiator'],
	['source_system', 'Source system'], ['created_by', 'Created by'],
];
const TIME_FILTERS = [['created_after', 'Created after'], ['created_before', 'Created before']];
const REFRESH_MS = 4000;

// "2026-12-07T04:05:06Z" <-> the local "2026-12-07T05:05:06" of a
// datetime-local input.
function toLocalInput(iso) {
	const d = new Date(iso);
	if (!iso || isNaN(d))
		return '';
	const off = d.getTimezoneOffset() * 60000;
	return new Date(d - off).toISOString().slice(0, 19);
}

function fromLocalInput(v) {
	const d = new Date(v);
	return v && !isNaN(d) ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

function filterForm(params) {
	const field = ([k, label], type) => h('p', null,
	    h('label', { for: `flt-${k}` }, label),
	    h('input', { id: `flt-${k}`, name: k, type, step: type === 'datetime-local' ? 1 : null,
		value: type === 'datetime-local' ? toLocalInput(params.get(k)) : params.get(k) || '' }));
	const chosen = (params.get('status') || '').split(',');
	const statuses = h('fieldset', { class: 'statuses' }, h('legend', null, 'Status'),
	    TASK_STATUSES.map((st) => h('label', { class: 'check' },
		h('input', { type: 'checkbox', name: 'status', value: st, checked: chosen.includes(st) }),
		` ${st.replace(/_/g, ' ')}`)));
	const per = h('p', null, h('label', { for: 'flt-per_page' }, 'Per page'),
	    h('select', { id: 'flt-per_page', name: 'per_page' }, [10, 25, 50, 100].map((n) =>
		h('option', { value: n, selected: String(n) === (params.get('per_page') || '25') }, String(n)))));
	const form = h('form', { class: 'filters grid', role: 'search', 'aria-label': 'Filter tasks' },
	    TEXT_FILTERS.map((f) => field(f, 'text')), TIME_FILTERS.map((f) => field(f, 'datetime-local')),
	    statuses, per,
	    h('p', { class: 'buttons' }, h('button', { type: 'submit' }, 'Apply'),
		h('button', { type: 'reset', id: 'flt-clear' }, 'Clear')));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const fd = new FormData(form);
		const out = {};
		for (const [k] of TEXT_FILTERS)
			out[k] = String(fd.get(k) || '').trim();
		for (const [k] of TIME_FILTERS)
			out[k] = fromLocalInput(String(fd.get(k) || ''));
		out.status = fd.getAll('status').join(',');
		out.per_page = fd.get('per_page') === '25' ? '' : fd.get('per_page');
		location.hash = `#/tasks${query(out)}`;
	});
	form.addEventListener('reset', (ev) => {
		ev.preventDefault();
		location.hash = '#/tasks';
	});
	return form;
}

function taskRows(tasks) {
	return tasks.map((t) => h('tr', { 'data-task': t.id },
	    h('td', null, h('a', { href: `#/tasks/${t.id}`, class: 'mono' }, t.id)),
	    h('td', null, t.full_name || `${t.namespace}.${t.name}@${t.version}`),
	    h('td', null, badge(t.status)),
	    h('td', null, time(t.created_at)),
	    h('td', null, time(t.updated_at)),
	    h('td', null, (t.tags || []).join(', '))));
}

function pager(p, params) {
	const go = (n) => {
		const q = new URLSearchParams(params);
		q.set('page', String(n));
		return `#/tasks?${q}`;
	};
	const cur = p.current_page, last = Math.max(1, p.total_pages);
	return h('nav', { class: 'pager', 'aria-label': 'Pages' },
	    cur > 1 ? h('a', { href: go(1) }, '\u00ab First') : null,
	    cur > 1 ? h('a', { href: go(cur - 1), rel: 'prev' }, '\u2039 Previous') : null,
	    h('span', { class: 'page-of' }, `Page ${cur} of ${last} \u00b7 ${p.total_count} tasks`),
	    cur < last ? h('a', { href: go(cur + 1), rel: 'next' }, 'Next \u203a') : null,
	    cur < last ? h('a', { href: go(last) }, 'Last \u00bb') : null);
}

// #/tasks?filters
export async function showTasks(main, params) {
	const api = {};
	for (const [k, v] of params)
		api[k] = v;
	const path = `/tasks${query(api)}`;
	let { data, etag } = await get(path);
	const body = h('tbody');
	const pages = h('div');
	const note = h('p', { class: 'muted refresh-note', 'aria-live': 'off' });
	const live = h('input', { type: 'checkbox', id: 'live', checked: true });
	const err = h('div');
	const draw = () => {
		clear(body).append(...taskRows(data.tasks));
		if (data.tasks.length === 0)
			body.append(h('tr', null, h('td', { colspan: 6 }, 'No task matches.')));
		clear(pages).append(pager(data.pagination, params));
	};
	main.append(h('h1', { tabindex: -1 }, 'Tasks'), filterForm(params),
	    h('p', null, h('label', { class: 'check' }, live, ' Live refresh')), note, err,
	    h('div', { class: 'table-wrap' }, h('table', { class: 'tasks' },
		h('thead', null, h('tr', null, ['Task', 'Handler', 'Status', 'Created',
		    'Updated', 'Tags'].map((t) => h('th', { scope: 'col' }, t)))), body)),
	    pages);
	draw();
	every(REFRESH_MS, body, async () => {
		if (!live.checked)
			return;
		try {
			const r = await get(path, { etag });
			clear(err);
			note.textContent = `Checked ${new Date().toLocaleTimeString()}: ${r.status === 304 ? 'unchanged' : 'updated'}`;
			if (r.status === 304)
				return;
			data = r.data;
			etag = r.etag;
			draw();
		} catch (e) {
			clear(err).append(errorBox(e));
		}
	});
}
