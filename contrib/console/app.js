// app.js - the console's shell: sign-in, the navigation, and the router
// from the URL's fragment (#/handlers, #/tasks?..., #/tasks/ID, #/health)
// to the view modules.  Each view fills <main> and owns what it put there;
// a view's timers stop by themselves once its elements leave the page.

import { onUnauthorized, getToken } from './api.js';
import { session, start, signIn, signOut, can } from './session.js';
import { h, clear, errorBox } from './ui.js';
import { showNamespaces, showHandler } from './handlers.js';
import { showTasks } from './tasks.js';
import { showTask } from './task.js';
import { showHealth } from './health.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

const VIEWS = [
	['handlers', 'Handlers', 'tasker.handler:index'],
	['tasks', 'Tasks', 'tasker.task:index'],
	['health', 'Health', null],
];

function drawNav(current) {
	clear(nav).append(h('ul', null, VIEWS.filter(([, , p]) => !p || can(p)).map(([k, label]) =>
	    h('li', null, h('a', { href: `#/${k}`, 'aria-current': k === current ? 'page' : null }, label)))));
	clear(who);
	if (session.mode === 'remote_user') {
		who.append('No sign-in here: the web server authenticates');
		return;
	}
	const exp = session.expires ? `, expires ${session.expires.toLocaleString()}` : '';
	who.append(`Token${session.subject ? ` of ${session.subject}` : ''}${exp} `,
	    h('button', { type: 'button', id: 'sign-out', onclick: () => {
		signOut();
		showSignIn();
	    } }, 'Sign out'));
}

function showSignIn(err) {
	clear(nav);
	clear(who);
	const input = h('input', { id: 'token', type: 'password', autocomplete: 'off',
	    spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
	const msg = h('div', { id: 'sign-in-error' }, err ? errorBox(err) : null);
	const form = h('form', { class: 'card sign-in' },
	    h('h1', { tabindex: -1 }, 'Sign in'),
	    h('p', null, h('label', { for: 'token' }, 'Bearer token')), input,
	    h('p', { id: 'token-help', class: 'muted' },
		'Kept in this tab only (sessionStorage) until you sign out or close it; never in the URL.'),
	    msg, h('p', null, h('button', { type: 'submit' }, 'Sign in')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			await signIn(input.value);
			input.value = '';
			route(true);
		} catch (e) {
			input.value = '';
			clear(msg).append(errorBox(e));
			input.focus();
		}
	});
	clear(main).append(form);
	input.focus();
}

function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, q] = raw.split('?');
	const parts = path.split('/').filter(Boolean).map((p) => {
		try {
			return decodeURIComponent(p);
		} catch (e) {
			return p;
		}
	});
	return { parts, params: new URLSearchParams(q || '') };
}

// The view of an empty fragment: the tasks, or the first one allowed.
function firstView() {
	const ok = VIEWS.filter(([, , p]) => !p || can(p)).map(([k]) => k);
	return ok.includes('tasks') ? 'tasks' : ok[0];
}

let generation = 0;

// moveFocus: put the keyboard focus on the new view's heading (after a
// change of view; not at the first load, where Tab starts at the top).
async function route(moveFocus) {
	if (session.mode === 'token' && !getToken()) {
		showSignIn();
		return;
	}
	const { parts, params } = parseHash();
	const view = parts[0] || firstView();
	const mine = ++generation;
	drawNav(view);
	clear(main).setAttribute('aria-busy', 'true');
	const box = h('div', { class: 'view' });
	try {
		if (view === 'handlers' && parts.length >= 3)
			await showHandler(box, parts[1], parts[2], params);
		else if (view === 'handlers')
			await showNamespaces(box);
		else if (view === 'tasks' && parts[1])
			await showTask(box, parts[1]);
		else if (view === 'tasks')
			await showTasks(box, params);
		else if (view === 'health')
			await showHealth(box);
		else
			box.append(h('h1', { tabindex: -1 }, 'Not found'), h('p', null, 'No such view. ',
			    h('a', { href: '#/tasks' }, 'Go to the tasks.')));
	} catch (e) {
		box.append(h('h1', { tabindex: -1 }, 'Could not load this view'), errorBox(e));
	}
	if (mine !== generation)
		return;         // a newer route started meanwhile
	clear(main).append(box);
	main.removeAttribute('aria-busy');
	const h1 = box.querySelector('h1');
	if (moveFocus && h1 && document.activeElement === document.body)
		h1.focus({ preventScroll: true });
}

async function boot() {
	onUnauthorized(() => {
		if (!session.active)
			return;         // a token being tried: signIn() says why
		signOut();
		showSignIn(new Error('The API refused the token (expired or revoked): sign in again.'));
	});
	window.addEventListener('hashchange', () => {
		document.activeElement && document.activeElement.blur();
		route(true);
	});
	try {
		if (await start())
			route();
		else
			showSignIn();
	} catch (e) {
		clear(main).append(h('h1', null, e.otherScheme ? 'Not signed in to the web server' :
		    'The API cannot be reached'), errorBox(e));
	}
}

boot();
