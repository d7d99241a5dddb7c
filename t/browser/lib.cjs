// t/browser/lib.cjs - what the console's browser tests share: the TAP-like
// report, waiting without timing, Debian's Chromium started the one way,
// and the watch on a page for requests leaving the host and for errors.
//
// TASKER_NODE_MODULES names the node_modules folder holding playwright-core
// (pinned and installed by t/integration/lib.sh's browser_setup); CHROMIUM
// the browser (default /usr/bin/chromium).
'use strict';

const path = require('path');
const { chromium } = require(path.join(process.env.TASKER_NODE_MODULES,
    'playwright-core'));

let passed = 0, failed = 0, n = 0;

// check(name, ok, why): one "ok N - name" or "not ok N - name" line, the
// reason after it as a "#" line.
function check(name, ok, why) {
	n++;
	if (ok) {
		passed++;
		console.log(`ok ${n} - ${name}`);
	} else {
		failed++;
		console.log(`not ok ${n} - ${name}`);
		if (why)
			console.log(`#   ${String(why).slice(0, 600)}`);
	}
}

// The closing line, and the exit code with it.
function finish() {
	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until fn() is truthy (polling; a bound on waiting, not on speed).
async function until(fn, ms = 20000) {
	const end = Date.now() + ms;
	let v;
	while (!(v = await fn()) && Date.now() < end)
		await sleep(200);
	return v;
}

// The options of chromium.launch() and launchPersistentContext(): Debian's
// browser, headless, nothing fetched in the background.
const launchOptions = {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true, chromiumSandbox: false,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
	timeout: 60000,
};

// watch(page, host, seen): notes in seen.foreign each host other than host
// the page asks, and in seen.errors each script error and console error.
// The API's 4xx answers (a sign-in probe's 401, a 403 or 404 asked for)
// are logged by Chromium as failed loads: expected, not errors.
function watch(page, host, seen) {
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (u.protocol.startsWith('http') && u.host !== host)
			seen.foreign.push(u.host);
	});
	page.on('pageerror', (e) => seen.errors.push(String(e.message).slice(0, 200)));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/status of 4\d\d/.test(m.text()))
			seen.errors.push(m.text().slice(0, 200));
	});
}

module.exports = { chromium, check, finish, same, sleep, until, launchOptions, watch };
