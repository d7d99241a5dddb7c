// graph.js - a step graph as SVG: execution levels as columns, steps as
// boxes, dependencies as arrows.  Each box is focusable; its details
// (retry settings, status) are in its <title> (shown on hover) and go to
// the caption line under the graph on hover and on keyboard focus.

import { h, s, statusText } from './ui.js';

const BOX_W = 168, BOX_H = 46, COL_GAP = 64, ROW_GAP = 18, PAD = 12;

// Levels from the edges when the API gave none: a step's level is one more
// than its deepest parent's.
export function levelsOf(nodes, edges) {
	const parents = new Map(nodes.map((n) => [n, []]));
	for (const e of edges)
		if (parents.has(e.to))
			parents.get(e.to).push(e.from);
	const level = new Map();
	const visit = (n, seen) => {
		if (level.has(n))
			return level.get(n);
		if (seen.has(n))
			return 0;       // a cycle: the API never gives one
		seen.add(n);
		const ps = parents.get(n) || [];
		const l = ps.length ? 1 + Math.max(...ps.map((p) => visit(p, seen))) : 0;
		level.set(n, l);
		return l;
	};
	nodes.forEach((n) => visit(n, new Set()));
	const out = [];
	for (const n of nodes) {
		const l = level.get(n);
		(out[l] = out[l] || []).push(n);
	}
	return out.filter(Boolean);
}

function label(text, max) {
	return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

// drawGraph({nodes, edges, execution_levels}, opts) -> element
//   opts.status(name)  the step's status (colours the box, in words too)
//   opts.info(name)    one line about the step (retry settings ...)
//   opts.onpick(name)  Enter/click on a box
export function drawGraph(graph, opts = {}) {
	const nodes = graph.nodes || [];
	const edges = graph.edges || [];
	const levels = graph.execution_levels && graph.execution_levels.length ?
	    graph.execution_levels : levelsOf(nodes, edges);
	const pos = new Map();
	const rows = Math.max(1, ...levels.map((l) => l.length));
	levels.forEach((col, i) => col.forEach((n, j) => pos.set(n, {
		x: PAD + i * (BOX_W + COL_GAP),
		y: PAD + j * (BOX_H + ROW_GAP) + (rows - col.length) * (BOX_H + ROW_GAP) / 2,
	})));
	const width = PAD * 2 + levels.length * BOX_W + Math.max(0, levels.length - 1) * COL_GAP;
	const height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP;
	const caption = h('p', { class: 'graph-caption', 'aria-live': 'polite' },
	    'Hover over or focus a step for its settings.');
	const svg = s('svg', { class: 'graph', width, height,
	    viewBox: `0 0 ${width} ${height}`, role: 'group',
	    'aria-label': `Step graph: ${nodes.length} steps in ${levels.length} levels` },
	    s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10,
		refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
		s('path', { d: 'M0 0L10 5L0 10z', class: 'arrowhead' }))));
	for (const e of edges) {
		const a = pos.get(e.from), b = pos.get(e.to);
		if (!a || !b)
			continue;
		const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
		const mx = (x1 + x2) / 2;
		svg.append(s('path', { class: 'edge', 'marker-end': 'url(#arrow)',
		    'data-from': e.from, 'data-to': e.to,
		    d: `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}` }));
	}
	for (const n of nodes) {
		const p = pos.get(n);
		if (!p)
			continue;
		const st = opts.status ? opts.status(n) : null;
		const info = opts.info ? opts.info(n) : '';
		const text = `${n}${st ? `: ${statusText(st)}` : ''}${info ? ` \u2014 ${info}` : ''}`;
		const g = s('g', { class: `node${st ? ` st-${st}` : ''}`, tabindex: 0,
		    role: 'button', 'data-step': n, 'aria-label': text,
		    transform: `translate(${p.x} ${p.y})` },
		    s('title', null, text),
		    s('rect', { width: BOX_W, height: BOX_H, rx: 6 }),
		    s('text', { x: 10, y: 19, class: 'name' }, label(n, 22)),
		    st ? s('text', { x: 10, y: 36, class: 'state' }, statusText(st)) : null);
		const show = () => {
			caption.textContent = text;
		};
		g.addEventListener('focus', show);
		g.addEventListener('mouseenter', show);
		if (opts.onpick) {
			g.addEventListener('click', () => opts.onpick(n));
			g.addEventListener('keydown', (ev) => {
				if (ev.key === 'Enter' || ev.key === ' ') {
					ev.preventDefault();
					opts.onpick(n);
				}
			});
		}
		svg.append(g);
	}
	return h('figure', { class: 'graph-box' }, h('div', { class: 'scroll' }, svg), caption);
}
