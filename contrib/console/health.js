// health.js - the health view: /health/status (counts by status, the ready
// queue, live workers) and /metrics (recent throughput: the change of the
// step counters between two scrapes, divided by the time between them).

import { get } from './api.js';
import { h, clear, badge, time, errorBox, facts, every } from './ui.js';
import { can } from './session.js';

const REFRESH_MS = 5000;

// Sums of the samples of each metric name in a Prometheus text answer.
export function parseMetrics(text) {
	const sums = {};
	for (const line of text.split('\n')) {
		if (!line || line[0] === '#')
			continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
		if (!m)
			continue;
		const v = Number(m[3]);
		if (!Number.isFinite(v))
			continue;
		sums[m[1]] = (sums[m[1]] || 0) + v;
	}
	return sums;
}

const RATES = [
	['tasker_step_attempts_total', 'Step attempts started'],
	['tasker_step_duration_seconds_count', 'Step attempts finished'],
	['tasker_step_failures_total', 'Step attempts failed'],
	['tasker_http_requests_total', 'API requests (this host)'],
];

function countsTable(id, title, counts) {
	const total = Object.values(counts).reduce((a, b) => a + b, 0);
	return h('section', { class: 'card', id },
	    h('h2', null, title, h('span', { class: 'muted' }, ` \u2014 ${total}`)),
	    h('table', { class: 'counts' }, h('tbody', null, Object.entries(counts).map(([st, n]) =>
		h('tr', { 'data-status': st }, h('th', { scope: 'row' }, badge(st)),
		    h('td', { class: 'num' }, String(n)),
		    h('td', { class: 'barcell' }, h('meter', { min: 0, max: Math.max(1, total), value: n,
			'aria-label': `${st}: ${n} of ${total}` })))))));
}

function statusPart(hs) {
	const q = hs.ready_queue, w = hs.workers;
	return [
		h('p', { id: 'health-overall' }, 'Overall: ', badge(hs.status),
		    hs.problems.length ? h('ul', { class: 'problems' }, hs.problems.map((p) => h('li', null, p))) : null),
		h('div', { class: 'cards' },
		    countsTable('tasks-counts', 'Tasks by status', hs.tasks),
		    countsTable('steps-counts', 'Steps by status', hs.steps),
		    h('section', { class: 'card', id: 'queue' }, h('h2', null, 'Ready queue'), facts([
			['Ready to claim', h('span', { id: 'queue-ready' }, String(q.ready))],
			['Oldest ready waits', q.oldest_ready_age_seconds === null ? 'none ready' : `${q.oldest_ready_age_seconds} s`],
			['Waiting for a retry', String(q.waiting_retry)]])),
		    h('section', { class: 'card', id: 'workers' }, h('h2', null, 'Workers'), facts([
			['Live workers', h('span', { id: 'workers-live' }, String(w.live))],
			['Step processes', String(w.processes)],
			['Heartbeat timeout', `${w.heartbeat_timeout_seconds} s`]]),
			h('ul', { class: 'worker-list' }, (w.list || []).slice(0, 100).map((x) =>
			    h('li', null, `${x.id} (${x.processes} processes), heartbeat `, time(x.heartbeat_at)))))),
		h('p', { class: 'muted' }, 'Schema ', String(hs.schema.version),
		    hs.schema.current ? ' (current)' : ` (expected ${hs.schema.expected_version})`,
		    ', generated ', time(hs.generated_at)),
	];
}

function ratePart(prev, cur) {
	if (!prev)
		return h('p', { class: 'muted', id: 'throughput-wait' },
		    'Recent throughput appears after the next scrape of /metrics.');
	const secs = (cur.at - prev.at) / 1000;
	return facts(RATES.map(([k, label]) => {
		const d = (cur.sums[k] || 0) - (prev.sums[k] || 0);
		return [label, `${(Math.max(0, d) / secs).toFixed(2)} per second (${Math.max(0, d)} in ${secs.toFixed(0)} s)`];
	}));
}

// #/health
export async function showHealth(main) {
	const statusBox = h('div', { id: 'health-status' });
	const rateBox = h('div', { id: 'throughput' });
	let prev = null;
	const load = async () => {
		if (can('tasker.health_status:index')) {
			try {
				const { data } = await get('/health/status');
				clear(statusBox).append(...statusPart(data));
			} catch (e) {
				clear(statusBox).append(errorBox(e));
			}
		} else {
			clear(statusBox).append(h('p', { class: 'muted' },
			    'Your token lacks tasker.health_status:index: no status counts.'));
		}
		try {
			const { text } = await get('/metrics', { text: true });
			const cur = { at: Date.now(), sums: parseMetrics(text) };
			clear(rateBox).append(ratePart(prev, cur));
			prev = cur;
		} catch (e) {
			clear(rateBox).append(errorBox(e));
		}
	};
	main.append(h('h1', { tabindex: -1 }, 'Health'), statusBox,
	    h('h2', null, 'Recent throughput'), rateBox);
	await load();
	every(REFRESH_MS, statusBox, load);
}
