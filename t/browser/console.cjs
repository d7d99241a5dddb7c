// t/browser/console.cjs - the operator console at <mount>/console in
// headless Chromium, used as an operator would: sign in with a pasted
// token, walk every view (handlers with graph and diff, tasks with filters,
// paging and live refresh, one task, health), take every action on running
// tasks (cancel, retry, resolve a step, cancel a step), and compare what the
// page shows with the API's own answers.  It fails on any script error, any
// console error other than the API's expected 4xx answers, and any request
// that leaves the host; it saves a screenshot of each view.
//
// Driven by playwright-core (npm, pinned by the caller) with Debian's
// /usr/bin/chromium, as t/browser/swagger.cjs (both through t/browser/lib.cjs,
// with console_remote_user.cjs).  Environment:
//   TASKER_URL          http://127.0.0.1:PORT/tasker
//   TASKER_TOKEN        a token with every permission (never printed)
//   TASKER_TOKEN_RO     a token that may only read tasks and handlers
//   TASKER_NODE_MODULES the node_modules folder holding playwright-core
//   TASKER_SHOTS        the folder for the screenshots
//   TASK_DONE TASK_HOLD1 TASK_HOLD2 TASK_BROKEN1 TASK_BROKEN2
//                       task ids set up by test_web_console.sh
//   CHROMIUM            the browser (default /usr/bin/chromium)
// Prints TAP-like lines and ends with "N passed, N failed".
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium, check, finish, same, sleep, until, launchOptions, watch } =
    require('./lib.cjs');

const base = process.env.TASKER_URL;
const token = process.env.TASKER_TOKEN;
const tokenRO = process.env.TASKER_TOKEN_RO;
const shots = process.env.TASKER_SHOTS;
const T = {
	done: process.env.TASK_DONE, hold1: process.env.TASK_HOLD1,
	hold2: process.env.TASK_HOLD2, broken1: process.env.TASK_BROKEN1,
	broken2: process.env.TASK_BROKEN2,
};
const host = new URL(base).host;
const consoleUrl = `${base}/console/`;
let request;
async function api(method, p, tok = token) {
	const r = await request.fetch(`${base}${p}`, { method,
	    headers: tok ? { Authorization: `Bearer ${tok}` } : {} });
	let body = null;
	try {
		body = await r.json();
	} catch (e) { /* not JSON */ }
	return { status: r.status(), body };
}

async function shot(page, name) {
	if (shots)
		await page.screenshot({ path: path.join(shots, `console-${name}.png`), fullPage: true });
}

async function go(page, hash) {
	await page.evaluate((h) => { location.hash = h; }, hash);
	await page.waitForFunction(() => !document.getElementById('main').hasAttribute('aria-busy'));
	await page.locator('main h1').first().waitFor();
}

async function signInChecks(page, resp) {
	const csp = resp.headers()['content-security-policy'] || '';
	check('the page loads at /console (redirected to /console/) with a strict CSP',
	    resp.status() === 200 && page.url() === consoleUrl &&
	    csp.includes("default-src 'self'") && !csp.includes('unsafe'), `${resp.status()} ${page.url()} ${csp}`);
	await page.locator('#token').waitFor();
	check('without a token the sign-in form shows, the token field focused',
	    await page.evaluate(() => document.activeElement.id === 'token'));
	await page.keyboard.type('not.a-token');
	await page.keyboard.press('Enter');
	const err = page.locator('#sign-in-error .error');
	await err.waitFor();
	const bad = await api('GET', '/handlers', 'not.a-token');
	const shown = await err.innerText();
	check('a refused token shows the API\'s 401 message', bad.status === 401 &&
	    shown.includes(bad.body.error.message) && shown.includes('401'), shown);
	await shot(page, 'sign-in');
	await page.locator('#token').fill(token);
	await page.keyboard.press('Enter');
	await page.locator('#nav a').first().waitFor();
	const st = await page.evaluate(() => ({
		session: Object.keys(sessionStorage).length, local: localStorage.length,
		cookie: document.cookie, url: location.href, html: document.documentElement.outerHTML,
	}));
	check('signed in: the token is in sessionStorage only (not the URL, page, localStorage or a cookie)',
	    st.session === 1 && st.local === 0 && st.cookie === '' && !st.url.includes(token) &&
	    !st.html.includes(token), JSON.stringify({ ...st, html: st.html.length }));
}

async function handlerChecks(page) {
	await go(page, '#/handlers');
	const apiNs = (await api('GET', '/handlers')).body.namespaces.map((x) => x.name);
	const pageNs = await page.locator('section[data-namespace]').evaluateAll(
	    (els) => els.map((e) => e.dataset.namespace));
	check('Handlers lists the API\'s namespaces', same(apiNs, pageNs), `${pageNs} vs ${apiNs}`);
	const vers = await page.locator('section[data-namespace="console_it"] tr[data-handler="broken"] td').nth(1).innerText();
	check('a handler\'s versions are listed', vers.includes('1.1.0') && vers.includes('1.0.0'), vers);
	await shot(page, 'handlers');

	await page.locator('section[data-namespace="console_it"] tr[data-handler="broken"] a', { hasText: '1.1.0' }).click();
	await page.locator('svg.graph').waitFor();
	const hd = (await api('GET', '/handlers/console_it/broken?version=1.1.0')).body;
	const boxes = await page.locator('svg.graph g.node').evaluateAll((els) => els.map((e) => ({
		step: e.dataset.step, x: e.transform.baseVal[0].matrix.e, title: e.querySelector('title').textContent })));
	const edges = await page.locator('svg.graph path.edge').count();
	const xOf = new Map(boxes.map((b) => [b.step, b.x]));
	const levels = hd.dependency_graph.execution_levels;
	const columnsOk = levels.every((l, i) => l.every((s) => xOf.get(s) === xOf.get(levels[i][0]))) &&
	    levels.every((l, i) => i === 0 || xOf.get(l[0]) > xOf.get(levels[i - 1][0]));
	check('the step graph has the API\'s nodes and edges, execution levels as columns',
	    boxes.length === hd.dependency_graph.nodes.length && edges === hd.dependency_graph.edges.length && columnsOk,
	    JSON.stringify({ boxes, edges, levels }));
	const boom = boxes.find((b) => b.step === 'boom');
	check('retry settings show on hover (the box\'s title)', boom && boom.title.includes('up to 2 retries'), boom && boom.title);
	await page.locator('svg.graph g.node[data-step="prepare"]').focus();
	await page.keyboard.press('Tab');
	const cap = await page.locator('.graph-caption').innerText();
	const focused = await page.evaluate(() => document.activeElement.dataset.step);
	check('a step box takes keyboard focus and its settings show in the caption',
	    focused && cap.startsWith(focused) && /retr/.test(cap), `${focused}: ${cap}`);

	await page.selectOption('#pick-compare', '1.0.0');
	await page.locator('.diff table, .diff .diff-none').first().waitFor();
	const diff = await page.locator('.diff tbody tr').evaluateAll((rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ')));
	check('the diff between 1.0.0 and 1.1.0 shows the added step, edge and the changed retry',
	    diff.some((d) => d.includes('added') && d.includes('step notify')) &&
	    diff.some((d) => d.includes('edge notify') && d.includes('finish')) &&
	    diff.some((d) => d.includes('step boom: default_retryable') && d.includes('false') && d.includes('true')),
	    diff.join(' | '));
	await shot(page, 'handler-diff');
}

async function rowIds(page) {
	return page.locator('table.tasks tbody tr[data-task]').evaluateAll((r) => r.map((e) => e.dataset.task));
}

async function taskListChecks(page) {
	await go(page, '#/tasks');
	await page.fill('#flt-namespace', 'console_it');
	await page.check('input[name="status"][value="error"]');
	await page.press('#flt-namespace', 'Enter');
	await page.waitForFunction(() => location.hash.includes('status=error'));
	await page.locator('main h1', { hasText: 'Tasks' }).waitFor();
	const want = (await api('GET', '/tasks?namespace=console_it&status=error')).body.tasks.map((t) => t.id);
	const got = await until(async () => {
		const ids = await rowIds(page);
		return same(ids, want) ? ids : null;
	}, 5000);
	check('filters (namespace, status) show the tasks the API lists for them',
	    got && want.length >= 2, `${await rowIds(page)} vs ${want}`);

	await go(page, '#/tasks?namespace=console_it&per_page=2');
	const p1 = (await api('GET', '/tasks?namespace=console_it&per_page=2')).body;
	const pageOf = await page.locator('.page-of').innerText();
	check('paging: the page count and the first page match the API',
	    pageOf.includes(`of ${p1.pagination.total_pages}`) && same(await rowIds(page), p1.tasks.map((t) => t.id)), pageOf);
	await page.locator('.pager a[rel="next"]').click();
	await page.waitForFunction(() => location.hash.includes('page=2'));
	await page.locator('.page-of', { hasText: 'Page 2' }).waitFor();
	const p2 = (await api('GET', '/tasks?namespace=console_it&per_page=2&page=2')).body;
	check('"Next" shows the API\'s second page', same(await rowIds(page), p2.tasks.map((t) => t.id)));

	// Live refresh: a 304 while nothing changes, the new task once created.
	await go(page, '#/tasks?namespace=payments&per_page=100');
	let saw304 = false;
	const on = (r) => {
		if (r.status() === 304 && r.url().includes('/tasks?'))
			saw304 = true;
	};
	page.on('response', on);
	await until(async () => saw304, 15000);
	const created = await request.post(`${base}/tasks`, { headers: { Authorization: `Bearer ${token}` },
	    data: { name: 'process_payment', namespace: 'payments', context: { payment_id: 77 } } });
	const newId = (await created.json()).id;
	const appeared = await until(async () => (await rowIds(page)).includes(newId), 20000);
	page.off('response', on);
	check('live refresh asks with If-None-Match (304 when unchanged) and shows a new task', saw304 && appeared,
	    `304 seen: ${saw304}, new task shown: ${!!appeared}`);
	await shot(page, 'tasks');
}

async function taskViewChecks(page) {
	await go(page, `#/tasks/${T.done}`);
	await page.locator('svg.graph').waitFor();
	const t = (await api('GET', `/tasks/${T.done}?include_dependencies=true`)).body;
	const status = await page.locator('#task-status').innerText();
	check('one task: its status as the API says, in words', status.trim().endsWith(t.status.replace(/_/g, ' ')), status);
	const nodes = await page.locator('svg.graph g.node').evaluateAll((els) => els.map((e) =>
	    [e.dataset.step, e.getAttribute('class').replace('node st-', '')]));
	check('its graph has every step coloured by the API\'s status', same(nodes,
	    t.steps.map((s) => [s.name, s.status])), JSON.stringify(nodes));
	const analysis = await page.locator('.analysis-text').innerText();
	check('the dependency analysis is shown in words', analysis === t.dependencies.analysis, analysis);
	const tr = (await api('GET', `/tasks/${T.done}/workflow_steps/charge_card`)).body.transitions;
	const rows = await page.locator('table.attempts tr[data-step="charge_card"]').evaluateAll((r) =>
	    r.map((e) => e.innerText.replace(/\s+/g, ' ')));
	const apiAttempts = tr.filter((x) => x.to === 'in_progress').length;
	check('the timeline lists every attempt (outcome and backoff) from the transitions',
	    rows.length === apiAttempts && apiAttempts >= 2 && /error/.test(rows[0]) && /complete/.test(rows[rows.length - 1]) &&
	    /exit status/.test(rows[0]), rows.join(' | '));
	const le = await page.locator('tr[data-step="charge_card"] pre.last-error').innerText();
	check('last_error is shown', le === t.steps.find((s) => s.name === 'charge_card').last_error, le);
	// Read again until both show: a live refresh may redraw the page
	// between the locator and the click (then the fold is closed again).
	let ctxText = '', resText = '';
	const folded = await until(async () => {
		ctxText = await page.locator('details.jnode', { hasText: 'context' }).first().innerText();
		const res = page.locator('tr[data-step="charge_card"] details.jnode').first();
		if (!(await res.evaluate((d) => d.open)))
			await res.locator('summary').click();
		resText = await res.innerText();
		return ctxText.includes(`payment_id: ${t.context.payment_id}`) && resText.includes('charged: true');
	}, 10000);
	check('context and results are shown as folded JSON', folded, `${ctxText} / ${resText}`);
	check('a finished task offers no action', await page.locator('[data-action]').count() === 0);
	await shot(page, 'task');
}

// Clicks an action, answers the dialog, waits for the page's flash.
async function act(page, action, fields = {}) {
	await page.locator(`[data-action="${action}"]`).click();
	const dlg = page.locator('dialog.confirm');
	await dlg.waitFor();
	for (const [k, v] of Object.entries(fields))
		await dlg.locator(`[name="${k}"]`).fill(v);
	await dlg.locator('button[type="submit"]').click();
	await page.locator('.flash p, .flash .error').first().waitFor();
	return page.locator('.flash').innerText();
}

async function actionChecks(page) {
	// The dialog's "Keep it" changes nothing.
	await go(page, `#/tasks/${T.hold1}`);
	await page.locator('[data-action="cancel-task"]').click();
	await page.locator('dialog.confirm').waitFor();
	await page.keyboard.press('Escape');
	await sleep(300);
	const still = (await api('GET', `/tasks/${T.hold1}`)).body.status;
	check('cancelling the dialog changes nothing', still === 'in_progress', still);

	let flash = await act(page, 'cancel-task', { reason: 'console test' });
	let t = (await api('GET', `/tasks/${T.hold1}`)).body;
	const shown = await until(async () => (await page.locator('#task-status').innerText()).includes('cancelled'), 10000);
	check('Cancel task: the API cancels it, the page shows it', t.status === 'cancelled' && t.reason !== undefined && shown,
	    `${t.status}; ${flash}`);
	await shot(page, 'task-cancelled');

	await go(page, `#/tasks/${T.broken1}`);
	await page.locator('svg.graph').waitFor();
	const bt = (await api('GET', `/tasks/${T.broken1}`)).body;
	const bnodes = await page.locator('svg.graph g.node').evaluateAll((els) => els.map((e) =>
	    [e.dataset.step, e.getAttribute('class').replace('node st-', ''),
		e.querySelector('text.state').textContent]));
	check('a failed task\'s graph: each step coloured and labelled with its status',
	    same(bnodes, bt.steps.map((s) => [s.name, s.status, s.status.replace(/_/g, ' ')])) &&
	    bnodes.some((x) => x[1] === 'error') && bnodes.some((x) => x[1] === 'pending'), JSON.stringify(bnodes));
	const before = (await api('GET', `/tasks/${T.broken1}/workflow_steps/boom`)).body.transitions.length;
	flash = await act(page, 'retry-task');
	const retried = await until(async () => {
		const s = (await api('GET', `/tasks/${T.broken1}/workflow_steps/boom`)).body.transitions;
		return s.length > before && s.some((x) => x.from === 'error' && x.to === 'pending');
	}, 15000);
	check('Retry task: the failed step is made ready again', retried && flash.includes('retried'), flash);

	await go(page, `#/tasks/${T.broken2}`);
	flash = await act(page, 'resolve-boom', { results: '{"fixed": true}', reason: 'fixed by hand' });
	const boom = (await api('GET', `/tasks/${T.broken2}/workflow_steps/boom`)).body;
	check('Resolve step: the API has it resolved_manually with the results given',
	    boom.status === 'resolved_manually' && boom.results && boom.results.fixed === true, `${boom.status} ${flash}`);
	const complete = await until(async () => (await api('GET', `/tasks/${T.broken2}`)).body.status === 'complete', 20000);
	const pageDone = complete && await until(async () => (await page.locator('#task-status').innerText()).includes('complete'), 15000);
	check('after the resolve the task completes, and the page follows by itself', complete && pageDone);
	await shot(page, 'task-resolved');

	await go(page, `#/tasks/${T.hold2}`);
	flash = await act(page, 'cancel-after');
	t = (await api('GET', `/tasks/${T.hold2}?include_dependencies=true`)).body;
	check('Cancel step: the step and its task are cancelled', t.status === 'cancelled' &&
	    t.steps.find((s) => s.name === 'after').status === 'cancelled', `${t.status}; ${flash}`);

	await go(page, '#/tasks/00000000-0000-0000-0000-000000000000');
	const nf = await api('GET', '/tasks/00000000-0000-0000-0000-000000000000');
	const msg = await page.locator('main .error').innerText();
	check('an API error is shown with its message', msg.includes(nf.body.error.message) && msg.includes('404'), msg);
}

async function healthChecks(page) {
	await go(page, '#/health');
	await page.locator('#tasks-counts').waitFor();
	let ok = await until(async () => {
		const hs = (await api('GET', '/health/status')).body;
		await go(page, '#/health');
		const counts = await page.locator('#tasks-counts tr[data-status]').evaluateAll((r) =>
		    Object.fromEntries(r.map((e) => [e.dataset.status, Number(e.querySelector('td.num').textContent)])));
		const live = await page.locator('#workers-live').innerText();
		return same(counts, hs.tasks) && Number(live) === hs.workers.live ? hs : null;
	}, 15000);
	check('Health: task counts by status and live workers as /health/status says', !!ok);
	const rate = await until(async () => (await page.locator('#throughput').innerText()).includes('per second'), 15000);
	check('Health: recent throughput from two scrapes of /metrics', rate);
	await shot(page, 'health');
}

async function keyboardChecks(page) {
	// A fresh load: Tab starts at the top of the page.
	await go(page, '#/tasks');
	await page.reload({ waitUntil: 'load' });
	await page.locator('main h1').first().waitFor();
	await page.keyboard.press('Tab');
	const first = await page.evaluate(() => document.activeElement.textContent);
	const style = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
	let reached = false;
	for (let i = 0; i < 8 && !reached; i++) {
		await page.keyboard.press('Tab');
		reached = await page.evaluate(() => document.activeElement.closest('#nav') !== null &&
		    document.activeElement.textContent === 'Health');
	}
	if (reached)
		await page.keyboard.press('Enter');
	const onHealth = reached && await until(async () => page.url().endsWith('#/health'), 5000);
	check('keyboard: Tab reaches a skip link with a visible focus ring, then the views; Enter opens one',
	    first === 'Skip to content' && style !== 'none' && onHealth, `${first} ${style} ${reached}`);
}

async function phoneChecks(page) {
	await page.setViewportSize({ width: 375, height: 800 });
	const widths = {};
	for (const [name, hash] of [['tasks', '#/tasks'], ['task', `#/tasks/${T.done}`], ['health', '#/health'],
	    ['handler', '#/handlers/console_it/broken?version=1.1.0&compare=1.0.0']]) {
		await go(page, hash);
		await sleep(200);
		widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
		await shot(page, `phone-${name}`);
	}
	check('at phone width (375 px) no view is wider than the screen', Object.values(widths).every((w) => w <= 376),
	    JSON.stringify(widths));
	await page.setViewportSize({ width: 1280, height: 900 });
}

async function readOnlyChecks(page) {
	await page.locator('#sign-out').click();
	await page.locator('#token').waitFor();
	const gone = await page.evaluate(() => sessionStorage.length);
	await page.locator('#token').fill(tokenRO);
	await page.keyboard.press('Enter');
	await page.locator('#nav a').first().waitFor();
	await go(page, `#/tasks/${T.broken1}`);
	await page.locator('#task-status').waitFor();
	const actions = await page.locator('[data-action]').count();
	const del = await api('DELETE', `/tasks/${T.broken1}`, tokenRO);
	const links = await page.locator('#nav a').allInnerTexts();
	check('sign out forgets the token; a read-only token sees no action (the API refuses them: 403)',
	    gone === 0 && actions === 0 && del.status === 403 && links.includes('Tasks'), `${gone} ${actions} ${del.status}`);
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-chromium-'));
	const seen = { foreign: [], errors: [] };
	let context;
	try {
		context = await chromium.launchPersistentContext(profile, {
			...launchOptions, viewport: { width: 1280, height: 900 },
		});
		request = context.request;
		const page = context.pages()[0] || await context.newPage();
		page.setDefaultTimeout(20000);
		watch(page, host, seen);
		const resp = await page.goto(`${base}/console`, { waitUntil: 'load' });
		await signInChecks(page, resp);
		await handlerChecks(page);
		await taskListChecks(page);
		await taskViewChecks(page);
		await actionChecks(page);
		await healthChecks(page);
		await keyboardChecks(page);
		await phoneChecks(page);
		await readOnlyChecks(page);
		check('the page talked to no other host', seen.foreign.length === 0,
		    `requests to: ${[...new Set(seen.foreign)].join(', ')}`);
		check('no script or console errors on the page', seen.errors.length === 0,
		    seen.errors.join(' | '));
	} catch (e) {
		check('the browser session ran to the end', false,
		    String(e && e.message || e).split('\n')[0].replace(token, '<token>').replace(tokenRO, '<token>'));
	} finally {
		if (context)
			await context.close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
	}
	finish();
}

main();
