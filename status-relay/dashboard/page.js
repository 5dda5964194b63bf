/*
 * What every part of the page shares: the one state object, the relay's REST API with the token,
 * and small DOM and formatting helpers.
 */
import { workflowFromHash } from './runs.js';

export const SUBPROTOCOL = 'n8n-support-relay.v1';
export const TOKEN_KEY = 'n8n-support-relay.token';
export const ACTIVE = { running: true, waiting: true };
export const $ = function (id) {
	return document.getElementById(id);
};

export const state = {
	token: sessionStorage.getItem(TOKEN_KEY) || '',
	workflowId: workflowFromHash(location.hash),
	control: false,
	intake: 'unknown',
	executions: new Map(),
	cursor: undefined,
	ws: null,
	connection: 'idle',
	/** Whether what is on screen came from a stream (so losing it makes it stale). */
	hasData: false,
	liveSince: 0,
	lastHeardAt: 0,
	lastEventAt: 0,
	disconnectedAt: 0,
	heartbeatMs: 15000,
	selected: null,
	pinned: false,
	retry: 0,
	retryTimer: null,
	renderQueued: false,
};

export function api(method, path) {
	return fetch(path, {
		method: method,
		headers: { authorization: 'Bearer ' + state.token, accept: 'application/json' },
	}).then(function (response) {
		return response
			.json()
			.catch(function () {
				return {};
			})
			.then(function (body) {
				return { status: response.status, body: body };
			});
	});
}

export function el(tag, attrs, text) {
	var node = document.createElement(tag);
	Object.keys(attrs || {}).forEach(function (key) {
		node.setAttribute(key, attrs[key]);
	});
	if (text !== undefined) node.textContent = text;
	return node;
}

export function formatMs(ms) {
	if (ms === undefined || ms === null || isNaN(ms)) return '';
	if (ms < 1000) return Math.round(ms) + ' ms';
	if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
	var minutes = Math.floor(ms / 60000);
	return minutes + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

export function formatTime(iso) {
	if (!iso) return '';
	var date = new Date(iso);
	return isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}

export function say(text, isError) {
	var message = $('message');
	message.textContent = text;
	message.style.color = isError ? 'var(--error)' : '';
}
