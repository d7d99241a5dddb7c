// t/browser/swagger.cjs - Swagger UI at <mount>/api-docs in headless
// Chromium, as a person would use it: the page lists the operations,
// "Try it out" on GET /handlers without a token shows 401, "Authorize"
// with a bearer token, then the same call shows 200.
//
// Driven over the DevTools protocol by playwright-core (from the npm
// registry, pinned by the caller) with Debian's /usr/bin/chromium; no
// browser is downloaded; started and reported as t/browser/lib.cjs says.
// Environment:
//   TASKER_URL          http://127.0.0.1:PORT/tasker
//   TASKER_TOKEN        a token with tasker.handler:index (never printed)
//   TASKER_NODE_MODULES the node_modules folder holding playwright-core
//   TASKER_SCREENSHOT   where to save a screenshot of the page (optional,
//                       taken before the token is entered)
//   CHROMIUM            the browser (default /usr/bin/chromium)
// Prints TAP-like lines and ends with "N passed, N failed".
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium, check, finish, launchOptions } = require('./lib.cjs');

const base = process.env.TASKER_URL;
const token = process.env.TASKER_TOKEN;
const host = new URL(base).host;

// The status Swagger UI shows for the live call of an operation block.
async function liveStatus(block) {
	const cell = block.locator('.live-responses-table .response .response-col_status').first();
	await cell.waitFor({ timeout: 15000 });
	return (await cell.innerText()).trim().split(/\s+/)[0];
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-chromium-'));
	const foreign = [];
	let context;
	try {
		context = await chromium.launchPersistentContext(profile, {
			...launchOptions, viewport: { width: 1280, height: 1600 },
		});
		const page = context.pages()[0] || await context.newPage();
		page.setDefaultTimeout(20000);
		page.on('request', (r) => {
			const u = new URL(r.url());
			if (u.protocol.startsWith('http') && u.host !== host)
				foreign.push(u.host);
		});
		const errors = [];
		page.on('pageerror', (e) => errors.push(String(e.message).slice(0, 200)));

		const resp = await page.goto(`${base}/api-docs`, { waitUntil: 'load' });
		check('the page loads from /api-docs (redirected to /api-docs/)',
		    resp && resp.status() === 200 && page.url().endsWith('/api-docs/'),
		    `status ${resp && resp.status()}, url ${page.url()}`);

		await page.locator('.opblock').first().waitFor({ timeout: 20000 });
		const title = (await page.locator('.info .title').first().innerText()).trim();
		check('the title is the document\'s', title.startsWith('tasker REST API'), title);
		const ops = await page.locator('.opblock .opblock-summary').evaluateAll(
		    (els) => els.map((e) => {
			const m = e.querySelector('.opblock-summary-method');
			const p = e.querySelector('.opblock-summary-path');
			return `${m ? m.textContent.trim() : '?'} ${p ? p.getAttribute('data-path') || p.textContent.trim() : '?'}`;
		    }));
		const want = ['GET /handlers', 'GET /handlers/{namespace}',
		    'GET /handlers/{namespace}/{name}', 'POST /tasks', 'GET /tasks',
		    'GET /tasks/{id}', 'PATCH /tasks/{id}/workflow_steps/{step}',
		    'GET /health/live', 'GET /metrics'];
		const missing = want.filter((w) => !ops.some((o) => o.replace(/\u200b/g, '') === w));
		const doc = await (await context.request.get(`${base}/api-docs.json`)).json();
		const documented = Object.values(doc.paths).reduce((k, item) =>
		    k + Object.keys(item).filter((m) => ['get', 'head', 'put',
		    'post', 'delete', 'options', 'patch'].includes(m)).length, 0);
		check(`every documented operation is listed (${ops.length} of ${documented})`,
		    ops.length === documented && missing.length === 0,
		    `missing: ${missing.join(', ')}; listed: ${ops.slice(0, 30).join(', ')}`);
		if (process.env.TASKER_SCREENSHOT)
			await page.screenshot({ path: process.env.TASKER_SCREENSHOT, fullPage: false });

		// GET /handlers, tried without a token: the API says 401.
		const block = page.locator('#operations-Handlers-listNamespaces');
		await block.locator('.opblock-summary').first().click();
		await block.locator('.try-out__btn').click();
		await block.locator('button.execute').click();
		const s1 = await liveStatus(block);
		check('"Try it out" without a token shows 401', s1 === '401', `status ${s1}`);

		// Authorize with the bearer token, then the same call.
		await page.locator('.auth-wrapper button.authorize').first().click();
		const modal = page.locator('.modal-ux');
		await modal.locator('input').first().fill(token);
		await modal.locator('.auth-btn-wrapper button.authorize').click();
		await modal.locator('.auth-btn-wrapper button.btn-done').click();
		const clear = block.locator('button.btn-clear');
		if (await clear.count() > 0)
			await clear.first().click();
		await block.locator('button.execute').click();
		await page.waitForTimeout(300);
		const s2 = await liveStatus(block);
		const bodyText = await block.locator('.live-responses-table .response-col_description pre, .live-responses-table .microlight').first().innerText().catch(() => '');
		check('after "Authorize", "Try it out" on GET /handlers shows 200 with the namespaces',
		    s2 === '200' && bodyText.includes('"namespaces"'), `status ${s2}`);

		check('the page talked to no other host', foreign.length === 0,
		    `requests to: ${[...new Set(foreign)].join(', ')}`);
		check('no script errors on the page', errors.length === 0, errors.join(' | '));
	} catch (e) {
		// Playwright's messages name selectors and URLs, never the token.
		check('the browser session ran to the end', false,
		    String(e && e.message || e).split('\n')[0].replace(token, '<token>'));
	} finally {
		if (context)
			await context.close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
	}
	finish();
}

main();
