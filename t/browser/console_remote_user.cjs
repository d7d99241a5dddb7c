// t/browser/console_remote_user.cjs - the operator console behind a web
// server that authenticates (auth.mode remote_user: Apache's Basic auth in
// front of tasker, test_apache.sh's 127.0.0.2 site), in headless Chromium
// given the users' passwords as a browser's saved credentials
// (playwright's httpCredentials).  No token is ever asked for: the console
// opens, lists handlers and tasks and shows a task as the API answers
// them; a user the tasker map limits sees only the lists allowed and the
// API's 403 message; a sign-in the web server refuses (401) is shown as a
// message, not as a token prompt; without credentials the web server
// answers 401 before any of the console.  It fails on any script or
// console error and any request that leaves the host.
//
// Shares t/browser/lib.cjs with console.cjs.  Environment:
//   TASKER_URL          the site's mount, http://127.0.0.2:PORT/tasker
//   TASKER_RU_FULL      user:password of a user granted "*"
//   TASKER_RU_HANDLERS  user:password of a user granted the handlers only
//   TASKER_RU_TASKS     user:password of a user granted tasker.task:index
//   TASKER_HTPASSWD     the site's password file: the TASKER_RU_TASKS user
//                       is taken out of it for a while (put back at the end)
//   TASKER_CONSOLE_DIR  the console's files (contrib/console)
//   TASK_ID             a finished task of namespace payments
//   TASKER_NODE_MODULES the node_modules folder holding playwright-core
//   TASKER_SHOTS        the folder for the screenshots
// Prints TAP-like lines and ends with "N passed, N failed".
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium, check, finish, same, until, launchOptions, watch } =
    require('./lib.cjs');

const base = process.env.TASKER_URL;
const host = new URL(base).host;
const consoleUrl = `${base}/console/`;
const shots = process.env.TASKER_SHOTS;
const taskId = process.env.TASK_ID;
const seen = { foreign: [], errors: [] };

function user(v) {
	const i = v.indexOf(':');
	return { username: v.slice(0, i), password: v.slice(i + 1) };
}
const FULL = user(process.env.TASKER_RU_FULL);
const HANDLERS = user(process.env.TASKER_RU_HANDLERS);
const TASKS = user(process.env.TASKER_RU_TASKS);

// The API's own answer, asked as user u (Basic) from here.
async function api(p, u) {
	const auth = Buffer.from(`${u.username}:${u.password}`).toString('base64');
	const r = await fetch(`${base}${p}`, { headers: { Authorization: `Basic ${auth}` } });
	let body = null;
	try {
		body = await r.json();
	} catch (e) { /* not JSON */ }
	return { status: r.status, body };
}

async function shot(page, name) {
	if (shots)
		await page.screenshot({ path: path.join(shots, `console-ru-${name}.png`), fullPage: true });
}

async function go(page, hash) {
	await page.evaluate((h) => { location.hash = h; }, hash);
	await page.waitForFunction(() => !document.getElementById('main').hasAttribute('aria-busy'));
	await page.locator('main h1').first().waitFor();
}

// A page in a context of its own, signed in to the web server as u (or
// not at all), opened at the console.
async function open(browser, u, setup) {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
	    ...(u ? { httpCredentials: { ...u, origin: new URL(base).origin } } : {}) });
	const page = await context.newPage();
	page.setDefaultTimeout(20000);
	watch(page, host, seen);
	if (setup)
		await setup(page);
	const resp = await page.goto(consoleUrl, { waitUntil: 'load' });
	return { context, page, resp };
}

const navLinks = (page) => page.locator('#nav a').allInnerTexts();

async function fullUserChecks(browser) {
	const { context, page, resp } = await open(browser, FULL);
	await page.locator('#nav a').first().waitFor();
	await page.locator('main h1').first().waitFor();
	const st = await page.evaluate(() => ({ token: !!document.getElementById('token'),
	    who: document.getElementById('who').textContent, stored: sessionStorage.length }));
	check('remote_user: the console opens signed in by the web server, no token asked or kept',
	    resp.status() === 200 && !st.token && /web server authenticates/.test(st.who) &&
	    st.stored === 0 && same(await navLinks(page), ['Handlers', 'Tasks', 'Health']),
	    JSON.stringify(st));

	await go(page, '#/handlers');
	const apiNs = (await api('/handlers', FULL)).body.namespaces.map((x) => x.name);
	const pageNs = await page.locator('section[data-namespace]').evaluateAll(
	    (els) => els.map((e) => e.dataset.namespace));
	check('remote_user: Handlers lists the API\'s namespaces', apiNs.length > 0 && same(apiNs, pageNs),
	    `${pageNs} vs ${apiNs}`);
	await page.locator('section[data-namespace="payments"] tr[data-handler="process_payment"] a').first().click();
	await page.locator('svg.graph').waitFor();
	const hd = (await api('/handlers/payments/process_payment', FULL)).body;
	const steps = await page.locator('svg.graph g.node').evaluateAll((els) => els.map((e) => e.dataset.step));
	check('remote_user: a handler\'s step graph has the API\'s steps',
	    same([...steps].sort(), [...hd.dependency_graph.nodes].sort()), steps.join(' '));
	await shot(page, 'handler');

	await go(page, '#/tasks?namespace=payments');
	const want = (await api('/tasks?namespace=payments', FULL)).body.tasks.map((t) => t.id);
	const got = await until(async () => {
		const ids = await page.locator('table.tasks tbody tr[data-task]').evaluateAll(
		    (r) => r.map((e) => e.dataset.task));
		return same(ids, want) ? ids : null;
	}, 5000);
	check('remote_user: Tasks lists the tasks the API lists', got && want.includes(taskId), want.join(' '));
	await shot(page, 'tasks');

	await page.locator(`table.tasks tr[data-task="${taskId}"] a`).first().click();
	await page.locator('svg.graph').waitFor();
	const t = (await api(`/tasks/${taskId}`, FULL)).body;
	const status = await page.locator('#task-status').innerText();
	const nodes = await page.locator('svg.graph g.node').evaluateAll((els) => els.map((e) =>
	    [e.dataset.step, e.getAttribute('class').replace('node st-', '')]));
	check('remote_user: one task shows its status and steps as the API says',
	    status.trim().endsWith(t.status.replace(/_/g, ' ')) &&
	    same(nodes, t.steps.map((s) => [s.name, s.status])), `${status} ${JSON.stringify(nodes)}`);
	await shot(page, 'task');
	await context.close();
}

async function limitedUserChecks(browser) {
	let { context, page } = await open(browser, HANDLERS);
	await page.locator('main h1').first().waitFor();
	const links = await navLinks(page);
	const h1 = await page.locator('main h1').first().innerText();
	check('remote_user: a user granted the handlers only is offered Handlers (opened first) and Health',
	    same(links, ['Handlers', 'Health']) && h1 === 'Handlers', `${links} / ${h1}`);
	await context.close();

	({ context, page } = await open(browser, TASKS));
	await page.locator('main h1').first().waitFor();
	const links2 = await navLinks(page);
	await go(page, `#/tasks/${taskId}`);
	const denied = await api(`/tasks/${taskId}`, TASKS);
	const msg = await page.locator('main .error').innerText();
	check('remote_user: a user granted tasker.task:index only sees no Handlers, and a task shows the API\'s 403',
	    same(links2, ['Tasks', 'Health']) && denied.status === 403 &&
	    msg.includes('403') && msg.includes(denied.body.error.message), `${links2} / ${msg}`);
	await shot(page, '403');

	// The web server stops accepting this user (taken out of its password
	// file) while the console is open: the next view is its 401, shown.
	const file = process.env.TASKER_HTPASSWD;
	const saved = fs.readFileSync(file, 'utf8');
	try {
		fs.writeFileSync(file, saved.split('\n').filter((l) => !l.startsWith(`${TASKS.username}:`)).join('\n'));
		await go(page, '#/tasks');
		const err = await page.locator('main .error').innerText();
		const noToken = await page.locator('#token').count() === 0;
		check('remote_user: a sign-in the web server refuses later shows its 401 as a message, no token prompt',
		    /^401 /.test(err) && err.includes('web server') && err.includes('Basic') && noToken, err);
		await shot(page, '401');
	} finally {
		fs.writeFileSync(file, saved);
	}
	await context.close();
}

// The console's files as the web server would send them, from the source
// tree: for a console loaded while the API wants a sign-in it lacks.
async function serveFiles(page) {
	const dir = process.env.TASKER_CONSOLE_DIR;
	const types = { html: 'text/html', js: 'application/javascript', css: 'text/css', svg: 'image/svg+xml' };
	await page.route((u) => u.href.startsWith(consoleUrl), (route) => {
		const name = new URL(route.request().url()).pathname.slice(new URL(consoleUrl).pathname.length) || 'index.html';
		const f = path.join(dir, path.basename(name));
		if (!fs.existsSync(f))
			return route.fulfill({ status: 404, body: '' });
		return route.fulfill({ status: 200, body: fs.readFileSync(f),
		    contentType: types[path.extname(f).slice(1)] || 'application/octet-stream',
		    headers: { 'Content-Security-Policy': "default-src 'self'" } });
	});
}

// Chromium given no credentials fails the load (no prompt to answer when
// headless); given a wrong password it gets the web server's 401, as a
// person who cancels the browser's password prompt does.
async function noCredentialsChecks(browser) {
	const plain = await fetch(consoleUrl);
	const plainBody = await plain.text();
	const wrong = { username: FULL.username, password: `${FULL.password}-wrong` };
	let { context, page, resp } = await open(browser, wrong);
	check('remote_user: without credentials, or with a wrong password, the web server answers 401 (Basic) before any of the console',
	    plain.status === 401 && /^Basic /.test(plain.headers.get('www-authenticate') || '') &&
	    !plainBody.includes('app.js') && resp.status() === 401 &&
	    await page.locator('#main').count() === 0, `${plain.status} ${resp.status()}`);
	await context.close();

	({ context, page } = await open(browser, wrong, serveFiles));
	const h1 = page.locator('main h1').first();
	await page.locator('main .error, #token').first().waitFor();
	const err = await page.locator('main .error').count() ? await page.locator('main .error').innerText() :
	    'a token prompt';
	check('remote_user: a console loaded (its files given by the test) while the web server refuses the password shows the API\'s 401 as a message, no token prompt',
	    await h1.innerText() === 'Not signed in to the web server' && /^401 /.test(err) &&
	    err.includes('Basic realm') && await page.locator('#token').count() === 0, err);
	await shot(page, '401-start');
	await context.close();
}

async function main() {
	let browser;
	try {
		browser = await chromium.launch(launchOptions);
		await fullUserChecks(browser);
		await limitedUserChecks(browser);
		await noCredentialsChecks(browser);
		check('remote_user: the pages talked to no other host', seen.foreign.length === 0,
		    `requests to: ${[...new Set(seen.foreign)].join(', ')}`);
		check('remote_user: no script or console errors on the pages', seen.errors.length === 0,
		    seen.errors.join(' | '));
	} catch (e) {
		check('remote_user: the browser session ran to the end', false,
		    String(e && e.message || e).split('\n')[0]);
	} finally {
		if (browser)
			await browser.close().catch(() => {});
	}
	finish();
}

main();
