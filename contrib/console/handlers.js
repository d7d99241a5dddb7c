// handlers.js - the namespaces and handlers view, one handler's versions
// with their step graphs, and the difference between two versions (worked
// out here from the two versions' answers: the API has no diff).

import { get, enc, query } from './api.js';
import { h, errorBox } from './ui.js';
import { drawGraph } from './graph.js';
import { can } from './session.js';

function retryInfo(t) {
	const retry = t.default_retryable ?
	    `retryable, up to ${t.default_retry_limit} retries` : 'not retryable';
	return `${retry}${t.skippable ? ', skippable' : ''}`;
}

// #/handlers: every namespace with its handlers and their versions.
export async function showNamespaces(main) {
	const { data } = await get('/handlers');
	const list = h('div', { class: 'namespaces' });
	main.append(h('h1', { tabindex: -1 }, 'Handlers'), list);
	for (const ns of data.namespaces) {
		const sec = h('section', { class: 'card', 'data-namespace': ns.name },
		    h('h2', null, ns.name, h('span', { class: 'muted' }, ` \u2014 ${ns.handler_count} handlers`)),
		    ns.description ? h('p', null, ns.description) : null);
		list.append(sec);
		try {
			const r = await get(`/handlers/${enc(ns.name)}`);
			sec.append(handlerTable(ns.name, r.data.handlers));
		} catch (e) {
			sec.append(errorBox(e));
		}
	}
}

function handlerTable(ns, handlers) {
	const link = (hd, v) => can('tasker.handler:show') ?
	    h('a', { href: `#/handlers/${enc(ns)}/${enc(hd.id)}${query({ version: v })}` }, v || hd.id) :
	    (v || hd.id);
	return h('div', { class: 'table-wrap' }, h('table', null,
	    h('thead', null, h('tr', null, h('th', null, 'Handler'), h('th', null, 'Versions'),
		h('th', null, 'Steps'), h('th', null, 'Description'))),
	    h('tbody', null, handlers.map((hd) => h('tr', { 'data-handler': hd.id },
		h('td', null, link(hd)),
		h('td', null, (hd.versions || [hd.version]).map((v, i) =>
		    [i ? ', ' : '', link(hd, v)])),
		h('td', null, String(hd.step_count)),
		h('td', null, hd.description || ''))))));
}

// #/handlers/NS/NAME?version=V&compare=W
export async function showHandler(main, ns, name, params) {
	const version = params.get('version') || '';
	const compare = params.get('compare') || '';
	const path = `/handlers/${enc(ns)}/${enc(name)}`;
	const { data: hd } = await get(path + query({ version }));
	let versions = [hd.version];
	try {
		const r = await get(`/handlers/${enc(ns)}`);
		const me = r.data.handlers.find((x) => x.id === name);
		if (me && me.versions)
			versions = me.versions;
	} catch (e) {
		/* the version list is a nicety: the handler itself is shown */
	}
	main.append(
	    h('p', { class: 'crumbs' }, h('a', { href: '#/handlers' }, 'Handlers'), ` / ${ns} / `),
	    h('h1', { tabindex: -1 }, `${ns}.${name}@${hd.version}`),
	    hd.description ? h('p', null, hd.description) : null,
	    versionPicker(ns, name, versions, hd.version, compare));
	const tmpl = new Map(hd.step_templates.map((t) => [t.name, t]));
	main.append(h('h2', null, 'Step graph'), drawGraph(hd.dependency_graph, {
		info: (n) => tmpl.has(n) ? retryInfo(tmpl.get(n)) : '' }));
	main.append(h('h2', null, 'Steps'), templateTable(hd.step_templates));
	if (compare && compare !== hd.version) {
		const sec = h('section', { class: 'diff', 'aria-labelledby': 'diff-h' },
		    h('h2', { id: 'diff-h' }, `Changes from ${compare} to ${hd.version}`));
		main.append(sec);
		try {
			const { data: old } = await get(path + query({ version: compare }));
			sec.append(diffView(old, hd));
		} catch (e) {
			sec.append(errorBox(e));
		}
	}
}

function versionPicker(ns, name, versions, current, compare) {
	const go = (v, c) => {
		location.hash = `#/handlers/${enc(ns)}/${enc(name)}${query({ version: v, compare: c })}`;
	};
	const pick = h('select', { id: 'pick-version', onchange: (ev) => go(ev.target.value, compare) },
	    versions.map((v) => h('option', { value: v, selected: v === current }, v)));
	const cmp = h('select', { id: 'pick-compare', onchange: (ev) => go(current, ev.target.value) },
	    h('option', { value: '' }, '(none)'),
	    versions.filter((v) => v !== current).map((v) =>
		h('option', { value: v, selected: v === compare }, v)));
	return h('form', { class: 'filters', onsubmit: (ev) => ev.preventDefault() },
	    h('label', { for: 'pick-version' }, 'Version '), pick,
	    h('label', { for: 'pick-compare' }, ' Compare with '), cmp);
}

function templateTable(templates) {
	return h('div', { class: 'table-wrap' }, h('table', null,
	    h('thead', null, h('tr', null, ['Step', 'Depends on', 'Retry', 'Skippable',
		'Handler class', 'Description'].map((t) => h('th', null, t)))),
	    h('tbody', null, templates.map((t) => h('tr', { 'data-step': t.name },
		h('td', null, t.name),
		h('td', null, (t.depends_on_steps || (t.depends_on_step ? [t.depends_on_step] : [])).join(', ') || '\u2014'),
		h('td', null, t.default_retryable ? `yes, ${t.default_retry_limit}` : 'no'),
		h('td', null, t.skippable ? 'yes' : 'no'),
		h('td', null, t.handler_class || '\u2014'),
		h('td', null, t.description || ''))))));
}

const FIELDS = ['description', 'handler_class', 'depends_on_steps', 'default_retryable',
	'default_retry_limit', 'skippable', 'custom_events'];

// The changes from handler a to handler b, as [kind, what, from, to].
export function diffHandlers(a, b) {
	const out = [];
	const fmt = (v) => v === undefined ? '\u2014' : JSON.stringify(v);
	if ((a.description || '') !== (b.description || ''))
		out.push(['changed', 'description', fmt(a.description), fmt(b.description)]);
	const ta = new Map(a.step_templates.map((t) => [t.name, t]));
	const tb = new Map(b.step_templates.map((t) => [t.name, t]));
	for (const [n, t] of ta)
		if (!tb.has(n))
			out.push(['removed', `step ${n}`, retryInfo(t), '\u2014']);
	for (const [n, t] of tb) {
		if (!ta.has(n)) {
			out.push(['added', `step ${n}`, '\u2014', retryInfo(t)]);
			continue;
		}
		for (const f of FIELDS) {
			const x = fmt(ta.get(n)[f]), y = fmt(t[f]);
			if (x !== y)
				out.push(['changed', `step ${n}: ${f}`, x, y]);
		}
	}
	const ek = (g) => new Set((g.dependency_graph.edges || []).map((e) => `${e.from} \u2192 ${e.to}`));
	const ea = ek(a), eb = ek(b);
	for (const e of ea)
		if (!eb.has(e))
			out.push(['removed', `edge ${e}`, '', '']);
	for (const e of eb)
		if (!ea.has(e))
			out.push(['added', `edge ${e}`, '', '']);
	return out;
}

function diffView(a, b) {
	const rows = diffHandlers(a, b);
	if (rows.length === 0)
		return h('p', { class: 'diff-none' }, 'No difference in steps, settings or edges.');
	const mark = { added: '+ added', removed: '\u2212 removed', changed: '~ changed' };
	return h('div', { class: 'table-wrap' }, h('table', { class: 'diff-table' },
	    h('thead', null, h('tr', null, ['Change', 'What', a.version, b.version].map((t) => h('th', null, t)))),
	    h('tbody', null, rows.map(([k, what, x, y]) => h('tr', { class: `d-${k}` },
		h('td', null, mark[k]), h('td', null, what), h('td', null, x), h('td', null, y))))));
}
