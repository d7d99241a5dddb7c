// timeline.js - every attempt of every step, from the steps' transitions:
// when it started (-> in_progress), when it ended and how (in_progress ->
// complete / error / cancelled), the backoff gap before the next attempt,
// and changes made by hand (resolved_manually, cancelled).  Drawn as SVG
// lanes (one per step) and listed in a table, which is what a screen reader
// and the tests read.

import { h, s, badge, time, duration } from './ui.js';

const MAX_ROWS = 300;

const ms = (iso) => (iso ? Date.parse(iso) : NaN);

// [{step, attempt, start, end, outcome, gap, actor, reason}] sorted by start.
export function attemptsOf(steps) {
	const out = [];
	for (const st of steps) {
		let open = null, lastEnd = null;
		for (const tr of st.transitions || []) {
			if (tr.to === 'in_progress') {
				open = { step: st.name, attempt: tr.attempt, start: tr.at, end: null,
				    outcome: 'in_progress', actor: tr.actor, reason: null,
				    gap: lastEnd ? ms(tr.at) - ms(lastEnd) : null };
				out.push(open);
			} else if (tr.from === 'in_progress' && open) {
				open.end = tr.at;
				open.outcome = tr.to;
				open.reason = tr.reason;
				lastEnd = tr.at;
				open = null;
			} else if (tr.to === 'resolved_manually' || tr.to === 'cancelled' ||
			    (tr.to === 'pending' && tr.from === 'error')) {
				out.push({ step: st.name, attempt: tr.attempt, start: tr.at, end: tr.at,
				    outcome: tr.to === 'pending' ? 'retry' : tr.to, actor: tr.actor,
				    reason: tr.reason, gap: null, manual: true });
			}
		}
	}
	return out.sort((a, b) => ms(a.start) - ms(b.start));
}

function lanes(rows) {
	const names = [...new Set(rows.map((r) => r.step))];
	const t0 = Math.min(...rows.map((r) => ms(r.start)));
	const now = Date.now();
	const t1 = Math.max(t0 + 1000, ...rows.map((r) => (r.end ? ms(r.end) : now)));
	const W = 640, LANE = 26, LEFT = 150;
	const x = (t) => LEFT + (W - LEFT - 10) * (t - t0) / (t1 - t0);
	const svg = s('svg', { class: 'timeline', width: W, height: names.length * LANE + 24,
	    viewBox: `0 0 ${W} ${names.length * LANE + 24}`, role: 'img',
	    'aria-label': `Timeline of ${rows.length} attempts over ${duration(t1 - t0)}` });
	names.forEach((n, i) => {
		const y = i * LANE + 4;
		svg.append(s('text', { x: 4, y: y + 15, class: 'lane-name' }, n.length > 20 ? `${n.slice(0, 19)}\u2026` : n),
		    s('line', { x1: LEFT, x2: W - 10, y1: y + 11, y2: y + 11, class: 'lane' }));
		let prevEnd = null;
		for (const r of rows.filter((q) => q.step === n)) {
			const a = x(ms(r.start)), b = Math.max(a + 5, x(r.end ? ms(r.end) : now));
			if (prevEnd !== null && r.gap)
				svg.append(s('line', { x1: prevEnd, x2: a, y1: y + 11, y2: y + 11, class: 'gap' }));
			svg.append(s('rect', { x: a, y: y + 3, width: b - a, height: 16, rx: 3,
			    class: `bar st-${r.outcome}` }, s('title', null,
			    `${n} attempt ${r.attempt}: ${r.outcome.replace(/_/g, ' ')}`)));
			prevEnd = b;
		}
	});
	svg.append(s('text', { x: LEFT, y: names.length * LANE + 18, class: 'axis' }, new Date(t0).toLocaleTimeString()),
	    s('text', { x: W - 10, y: names.length * LANE + 18, class: 'axis', 'text-anchor': 'end' },
		`+${duration(t1 - t0)}`));
	return h('div', { class: 'scroll' }, svg);
}

export function timelineView(rows) {
	if (rows.length === 0)
		return h('p', { class: 'muted' }, 'No attempt yet.');
	const shown = rows.slice(0, MAX_ROWS);
	return h('div', { class: 'timeline-box' }, lanes(shown),
	    h('div', { class: 'table-wrap' }, h('table', { class: 'attempts' },
		h('thead', null, h('tr', null, ['Step', 'Attempt', 'Started', 'Ended', 'Took',
		    'Outcome', 'Backoff before', 'By', 'Reason'].map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', null, shown.map((r) => h('tr', { 'data-step': r.step, 'data-attempt': r.attempt },
		    h('td', null, r.step), h('td', null, String(r.attempt)),
		    h('td', null, time(r.start)), h('td', null, r.manual ? 'by hand' : time(r.end)),
		    h('td', null, r.end && !r.manual ? duration(ms(r.end) - ms(r.start)) : '\u2014'),
		    h('td', null, r.outcome === 'retry' ? 'made ready again' : badge(r.outcome)),
		    h('td', null, r.gap === null ? '\u2014' : duration(r.gap)),
		    h('td', null, r.actor || '\u2014'), h('td', null, r.reason || '\u2014')))))),
	    rows.length > MAX_ROWS ? h('p', { class: 'muted' }, `${rows.length - MAX_ROWS} more attempts not shown`) : null);
}
