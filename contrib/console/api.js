// api.js - the one way the console talks to tasker: fetch() below the mount
// point, with the bearer token from sessionStorage.  Every failure becomes an
// ApiError carrying the API's own message (the guide's error format), so a
// view shows what the API said rather than a bare status.
//
// The token lives in sessionStorage only (gone when the tab closes): never in
// a URL, the page, localStorage, a cookie or a log line.

const TOKEN_KEY = 'tasker.console.token';

// The console is served at <mount>/console/: the API is one level up.
export const apiBase = new URL('../', document.baseURI).pathname.replace(/\/$/, '');

export class ApiError extends Error {
	constructor(status, code, message, details) {
		super(message);
		this.status = status;
		this.code = code;
		this.details = details || null;
	}
	// One line for the page: "403 AUTHORIZATION_FAILED: Insufficient ...".
	describe() {
		const head = this.status ? `${this.status} ${this.code}` : this.code;
		return `${head}: ${this.message}`;
	}
}

export function getToken() {
	try {
		return sessionStorage.getItem(TOKEN_KEY);
	} catch (e) {
		return null;
	}
}

export function setToken(t) {
	sessionStorage.setItem(TOKEN_KEY, t);
}

export function clearToken() {
	sessionStorage.removeItem(TOKEN_KEY);
}

// Listeners told when the API answers 401 to a call that sent a token (the
// token expired or was revoked): the shell then asks for a new one.
const unauthorized = [];
export function onUnauthorized(fn) {
	unauthorized.push(fn);
}

// A 401 whose challenge names a scheme other than Bearer comes from the web
// server in front of tasker (auth.mode remote_user behind Basic, ...): it
// refused the browser's sign-in, and only signing in to it again helps.
function webServerRefusal(res) {
	const challenge = res.status === 401 ? res.headers.get('WWW-Authenticate') : null;
	if (!challenge || /^\s*Bearer\b/i.test(challenge))
		return null;
	const e = new ApiError(401, 'NOT_SIGNED_IN', 'The web server did not accept ' +
	    `this browser's sign-in (${challenge.slice(0, 80)}): reload the page to sign in again`);
	e.otherScheme = true;
	return e;
}

function errorFrom(res, data) {
	const e = data && typeof data === 'object' ? data.error : null;
	const refusal = webServerRefusal(res);
	if (refusal)
		return refusal;
	if (e && typeof e.message === 'string')
		return new ApiError(res.status, e.code || e.type || 'ERROR',
		    e.message, e.details);
	return new ApiError(res.status, `HTTP_${res.status}`,
	    res.statusText || 'The API answered without an error message');
}

// call(method, path, opts) -> { status, etag, data, text }
//   opts.body   a value sent as JSON
//   opts.etag   sent as If-None-Match; a 304 answer has data null
//   opts.auth   false: send no token (the sign-in probe)
//   opts.text   true: the answer is text (/metrics), not JSON
export async function call(method, path, opts = {}) {
	const headers = { Accept: opts.text ? 'text/plain' : 'application/json' };
	const token = opts.auth === false ? null : getToken();
	if (token)
		headers.Authorization = `Bearer ${token}`;
	if (opts.body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (opts.etag)
		headers['If-None-Match'] = opts.etag;
	let res;
	try {
		res = await fetch(apiBase + path, {
			method, headers, cache: 'no-store', credentials: 'same-origin',
			redirect: 'error', referrerPolicy: 'no-referrer',
			body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
		});
	} catch (e) {
		throw new ApiError(0, 'NETWORK_ERROR',
		    `The API at ${apiBase} could not be reached (${e.message})`);
	}
	const etag = res.headers.get('ETag');
	if (res.status === 304)
		return { status: 304, etag: etag || opts.etag, data: null, text: '' };
	const text = await res.text();
	let data = null;
	if (!opts.text && text) {
		try {
			data = JSON.parse(text);
		} catch (e) {
			if (res.ok)
				throw new ApiError(res.status, 'BAD_JSON',
				    'The API answered with something that is not JSON');
		}
	}
	if (!res.ok) {
		if (res.status === 401 && token)
			unauthorized.forEach((fn) => fn());
		throw errorFrom(res, data);
	}
	return { status: res.status, etag, data, text };
}

export const get = (path, opts) => call('GET', path, opts);

// Builds "?a=1&b=2" from an object, leaving out empty values.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
