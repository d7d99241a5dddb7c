// ui.js - DOM helpers shared by the views: elements built from data with
// text nodes only (nothing from the API is ever parsed as HTML), status
// badges, folded JSON, errors, the confirmation dialog.

const SVGNS = 'http://www.w3.org/2000/svg';

function append(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false)
			continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return el;
}

function setAttrs(el, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'class')
			el.setAttribute('class', v);
		else if (k in el && !(el instanceof SVGElement) && typeof v !== 'string')
			el[k] = v;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	return el;
}

// h('a', {href: '#/tasks'}, 'Tasks')
export function h(tag, attrs, ...kids) {
	return append(setAttrs(document.createElement(tag), attrs), kids);
}

export function s(tag, attrs, ...kids) {
	return append(setAttrs(document.createElementNS(SVGNS, tag), attrs), kids);
}

export function clear(el) {
	while (el.firstChild)
		el.firstChild.remove();
	return el;
}

// Statuses in words and a mark as well as a colour (never colour alone).
const MARKS = {
	pending: '\u25cb', in_progress: '\u25b6', complete: '\u2714',
	error: '\u2716', cancelled: '\u2298', resolved_manually: '\u2714',
	ok: '\u2714', degraded: '\u26a0', blocked: '\u25cc', ready: '\u25b7',
};

export function statusText(st) {
	return String(st || 'unknown').replace(/_/g, ' ');
}

export function badge(st) {
	const k = String(st || 'unknown').replace(/[^a-z_]/g, '');
	return h('span', { class: `status st-${k}` },
	    h('span', { class: 'mark', 'aria-hidden': 'true' }, MARKS[k] || '\u2022'),
	    ` ${statusText(st)}`);
}

export function time(iso) {
	if (!iso)
		return '\u2014';
	const d = new Date(iso);
	if (isNaN(d))
		return String(iso);
	return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

export function duration(ms) {
	if (ms === null || ms === undefined || isNaN(ms))
		return '\u2014';
	if (ms < 1000)
		return `${Math.round(ms)} ms`;
	if (ms < 120000)
		return `${(ms / 1000).toFixed(1)} s`;
	return `${Math.round(ms / 60000)} min`;
}

// An API error in the page, with its message (role=alert: read out).
export function errorBox(err) {
	const msg = err && typeof err.describe === 'function' ? err.describe() :
	    String(err && err.message || err);
	return h('div', { class: 'error', role: 'alert' }, msg);
}

// Folded JSON: objects and arrays as nested <details>, at most MAXKIDS
// members shown per level so a huge document never freezes the page.
const MAXKIDS = 200;

export function jsonTree(value, label, open) {
	if (value === null || typeof value !== 'object')
		return h('div', { class: 'jleaf' }, label === undefined ? null :
		    h('span', { class: 'jkey' }, `${label}: `),
		    h('span', { class: `jval j-${value === null ? 'null' : typeof value}` },
		    JSON.stringify(value)));
	const arr = Array.isArray(value);
	const keys = Object.keys(value);
	const sum = arr ? `[${keys.length}]` : `{${keys.length}}`;
	const d = h('details', { class: 'jnode', open: !!open },
	    h('summary', null, label === undefined ? sum : `${label} ${sum}`));
	// Children are built when first opened: a big document costs nothing
	// until someone looks at it.
	const fill = () => {
		if (d.dataset.filled)
			return;
		d.dataset.filled = '1';
		const box = h('div', { class: 'jkids' });
		keys.slice(0, MAXKIDS).forEach((k) => box.append(jsonTree(value[k], k)));
		if (keys.length > MAXKIDS)
			box.append(h('div', { class: 'muted' },
			    `\u2026 ${keys.length - MAXKIDS} more not shown`));
		d.append(box);
	};
	if (open)
		fill();
	d.addEventListener('toggle', () => d.open && fill());
	return d;
}

// A definition list from [term, value] pairs.
export function facts(pairs) {
	return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) =>
	    [h('dt', null, k), h('dd', null, v)]));
}

// confirm({title, text, confirm, fields}) -> Promise of the fields' values
// (an object) or null when cancelled.  fields: [{name, label, type,
// placeholder}] with type 'text' or 'json' (a textarea parsed as JSON).
export function confirmDialog(opt) {
	return new Promise((resolve) => {
		const err = h('div', { class: 'error', role: 'alert', hidden: true });
		const inputs = (opt.fields || []).map((f) => {
			const id = `f-${f.name}`;
			const input = f.type === 'json' ?
			    h('textarea', { id, name: f.name, rows: 4, placeholder: f.placeholder || '' }) :
			    h('input', { id, name: f.name, type: 'text', maxlength: 1024,
				autocomplete: 'off', placeholder: f.placeholder || '' });
			return { f, input, row: h('p', null, h('label', { for: id }, f.label), input) };
		});
		const ok = h('button', { type: 'submit', class: 'danger', value: 'ok' }, opt.confirm);
		const no = h('button', { type: 'button', value: 'cancel' }, 'Keep it');
		const form = h('form', { method: 'dialog' },
		    h('h2', { id: 'dlg-title' }, opt.title),
		    h('p', null, opt.text), inputs.map((i) => i.row), err,
		    h('div', { class: 'buttons' }, no, ok));
		const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'dlg-title' }, form);
		const back = document.activeElement;
		let result = null;
		no.addEventListener('click', () => dlg.close());
		form.addEventListener('submit', (ev) => {
			const out = {};
			for (const { f, input } of inputs) {
				const v = input.value.trim();
				if (v === '')
					continue;
				if (f.type === 'json') {
					try {
						out[f.name] = JSON.parse(v);
					} catch (e) {
						ev.preventDefault();
						err.hidden = false;
						err.textContent = `${f.label}: not valid JSON (${e.message})`;
						input.focus();
						return;
					}
				} else {
					out[f.name] = v;
				}
			}
			result = out;
		});
		dlg.addEventListener('close', () => {
			dlg.remove();
			if (back && back.isConnected)
				back.focus();
			resolve(result);
		});
		document.body.append(dlg);
		dlg.showModal();
		no.focus();
	});
}

// Runs fn every ms while el is in the page and the tab is visible; stops
// by itself once the view is gone.  Returns a stop function.
export function every(ms, el, fn) {
	let timer = null;
	let busy = false;
	const tick = async () => {
		if (!el.isConnected) {
			stop();
			return;
		}
		if (busy || document.hidden)
			return;
		busy = true;
		try {
			await fn();
		} finally {
			busy = false;
		}
	};
	const stop = () => {
		clearInterval(timer);
		timer = null;
	};
	timer = setInterval(tick, ms);
	return stop;
}
