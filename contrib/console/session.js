// session.js - who is signed in and what they may do.
//
// Two modes, found by asking the API without a token: a 401 with a Bearer
// challenge (tasker's own) means bearer tokens (the user pastes one); any
// other answer means the web server authenticates (auth.mode remote_user)
// and there is nothing to sign in.  A 401 that challenges for another
// scheme (Basic, ...) is the web server refusing the browser's sign-in:
// pasting a token would not help, so it is shown as an error.
// The API says nothing about a token's permissions, so the console reads
// the JWT's permissions claim for display only (hiding what may not be
// done); the API stays the authority and a 403 is shown as it comes.
// In remote_user mode there is no claim: the start probes learn which of
// the two lists (handlers, tasks) the user may read; actions are offered
// and the API decides.

import { call, getToken, setToken, clearToken, ApiError } from './api.js';

export const session = {
	mode: 'unknown',        // 'token' | 'remote_user'
	active: false,          // a token was accepted (token mode)
	subject: null,          // the token's sub, for display
	expires: null,          // Date of the token's exp, or null
	perms: null,            // array of granted permissions; null: unknown
	denied: [],             // permissions the API refused (remote_user probes)
};

// The JWT's payload, decoded without any check (the API checks tokens).
function claims(token) {
	const parts = token.split('.');
	if (parts.length !== 3)
		return null;
	try {
		const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
		const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
		const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
		return JSON.parse(new TextDecoder().decode(bytes));
	} catch (e) {
		return null;
	}
}

function learn(token) {
	const c = token ? claims(token) : null;
	session.active = !!token;
	session.subject = c && typeof c.sub === 'string' ? c.sub : null;
	session.expires = c && typeof c.exp === 'number' ? new Date(c.exp * 1000) : null;
	session.perms = c && Array.isArray(c.permissions) ?
	    c.permissions.filter((p) => typeof p === 'string') : null;
}

// The server's rule (src/auth/perm.c): "*" grants all; "a.b:*" or "a.*"
// grant what starts with the text before the star; else an exact match.
function match(granted, required) {
	if (granted === '*')
		return true;
	const n = granted.length;
	if (n >= 2 && granted[n - 1] === '*' && (granted[n - 2] === '.' || granted[n - 2] === ':'))
		return required.startsWith(granted.slice(0, n - 1)) && required.length > n - 1;
	return granted === required;
}

// true when the console should offer what needs perm (unknown: offer it
// and let the API answer).
export function can(perm) {
	if (session.denied.includes(perm))
		return false;
	if (session.perms === null)
		return true;
	return session.perms.some((g) => match(g, perm));
}

// probe(path, perm): asks without a token.  'token' when the API wants
// one (401 with a Bearer challenge, or none); perm is noted as denied on a
// 403; any other failure (a web server's 401, no API) is thrown.
async function probe(path, perm) {
	try {
		await call('GET', path, { auth: false });
	} catch (e) {
		if (!(e instanceof ApiError))
			throw e;
		if (e.status === 401 && !e.otherScheme)
			return 'token';
		if (e.status !== 403)
			throw e;
		session.denied.push(perm);
	}
	return 'answered';
}

// Finds the mode; with a stored token, checks that the API accepts it.
// Returns true when the console may go on (signed in or remote_user).
export async function start() {
	session.denied = [];
	if (await probe('/handlers', 'tasker.handler:index') === 'answered') {
		session.mode = 'remote_user';
		// Only a hint for the navigation: a failure here is the
		// tasks view's to show.
		await probe('/tasks?per_page=1', 'tasker.task:index').catch(() => {});
		return true;
	}
	session.mode = 'token';
	const t = getToken();
	if (!t)
		return false;
	learn(t);
	return true;
}

// Tries a pasted token: kept when the API accepts it (any answer but 401).
export async function signIn(token) {
	const t = token.trim().replace(/^Bearer\s+/i, '');
	if (!t)
		throw new ApiError(0, 'NO_TOKEN', 'Paste a token first');
	setToken(t);
	try {
		await call('GET', '/handlers');
	} catch (e) {
		if (e.status === 401) {
			clearToken();
			throw e;
		}
	}
	learn(t);
}

export function signOut() {
	clearToken();
	learn(null);
}
