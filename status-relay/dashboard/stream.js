/*
 * The live stream (status-relay/PROTOCOL.md): subscribes to one workflow with the token as a
 * WebSocket subprotocol, folds snapshots and events into state, resumes with its cursor after any
 * disconnect (backing off), and says when what is on screen is not live.
 */
import { applyEvent } from './fold.js';
import { $, SUBPROTOCOL, api, say, state } from './page.js';
import { queueRender, showWorkflowName } from './render.js';
import { showLogin } from './login.js';

export function setConnection(next) {
	state.connection = next;
	var badge = $('connection');
	badge.dataset.state = next;
	badge.textContent =
		next === 'live'
			? 'live'
			: next === 'connecting'
				? 'connecting…'
				: next === 'stale'
					? 'disconnected'
					: 'not connected';
	var stale = next !== 'live' && state.hasData;
	$('app').dataset.stale = stale ? 'true' : 'false';
	var banner = $('stale-banner');
	banner.hidden = !stale;
	if (stale) {
		banner.textContent =
			'Not live: the relay connection was lost' +
			(state.disconnectedAt ? ' at ' + new Date(state.disconnectedAt).toLocaleTimeString() : '') +
			'. What you see is the last known state and may be out of date. ' +
			(next === 'connecting' ? 'Reconnecting…' : 'Reconnecting automatically.');
	}
}

export function connect() {
	clearTimeout(state.retryTimer);
	if (!state.token || !state.workflowId) return;
	setConnection('connecting');
	var url = new URL(
		'/api/v1/workflows/' + encodeURIComponent(state.workflowId) + '/stream',
		location.href,
	);
	url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
	if (state.cursor) url.searchParams.set('cursor', state.cursor);
	var ws;
	try {
		ws = new WebSocket(url.href, [SUBPROTOCOL, 'bearer.' + state.token]);
	} catch (error) {
		disconnected();
		return;
	}
	state.ws = ws;
	ws.onmessage = function (message) {
		if (state.ws !== ws) return;
		var parsed;
		try {
			parsed = JSON.parse(message.data);
		} catch (error) {
			return;
		}
		onMessage(ws, parsed);
	};
	ws.onclose = function () {
		if (state.ws !== ws) return;
		state.ws = null;
		disconnected();
	};
}

export function disconnected() {
	if (state.connection === 'live' || !state.disconnectedAt) state.disconnectedAt = Date.now();
	setConnection(state.hasData ? 'stale' : 'connecting');
	// Back off (0.5 s … 10 s, with jitter), then resume from the cursor.
	var delay = Math.min(10000, 500 * Math.pow(2, state.retry)) * (0.75 + Math.random() * 0.5);
	state.retry++;
	clearTimeout(state.retryTimer);
	state.retryTimer = setTimeout(function () {
		// The workflow may have gone away for this token: say so rather than retrying forever.
		api('GET', '/api/v1/workflows/' + encodeURIComponent(state.workflowId) + '/status').then(
			function (answer) {
				if (answer.status === 401) return showLogin('The relay no longer accepts this token.');
				if (answer.status === 404) {
					say('This workflow is not visible with this token (or has no runs yet).', true);
				}
				connect();
			},
			function () {
				connect();
			},
		);
	}, delay);
}

export function dropConnection() {
	var ws = state.ws;
	state.ws = null;
	if (ws) ws.close();
	disconnected();
}

function onMessage(ws, message) {
	state.lastHeardAt = Date.now();
	switch (message.type) {
		case 'hello':
			state.heartbeatMs = message.heartbeatMs || state.heartbeatMs;
			break;
		case 'reset':
			// The relay cannot resume our cursor: forget everything, a fresh snapshot follows.
			state.executions = new Map();
			state.cursor = message.cursor;
			break;
		case 'snapshot':
			if (message.workflow) {
				var next = new Map();
				message.workflow.executions.forEach(function (execution) {
					next.set(execution.executionId, execution);
				});
				state.executions = next;
				showWorkflowName(message.workflow.workflowName);
			}
			state.cursor = message.cursor;
			state.hasData = true;
			queueRender();
			break;
		case 'event':
			onEvent(ws, message.event);
			break;
		case 'caught-up':
			state.cursor = message.cursor;
			state.retry = 0;
			state.disconnectedAt = 0;
			state.liveSince = Date.now();
			setConnection('live');
			queueRender();
			break;
		case 'heartbeat':
			if (state.connection === 'live') state.cursor = message.cursor;
			break;
		case 'lagged':
			// The relay closes us next; the cursor resumes exactly after the last event we got.
			state.cursor = message.cursor;
			break;
		case 'error':
			say(message.message || message.code, true);
			break;
	}
}

function onEvent(ws, event) {
	var known = state.executions.get(event.executionId);
	if (known && known.seq >= event.seq) return;
	if (known && known.seq > 0 && event.seq > known.seq + 1) {
		// A gap the relay never produces; if it ever shows, start over rather than show it wrong.
		state.cursor = undefined;
		state.ws = null;
		ws.close();
		disconnected();
		return;
	}
	state.executions.set(event.executionId, applyEvent(known, event));
	showWorkflowName(event.workflowName);
	state.cursor = event.cursor;
	state.lastEventAt = Date.now();
	if (event.type === 'execution.started' && !state.pinned) state.selected = event.executionId;
	queueRender();
}

/** Drops a connection that went silent, and follows the browser going offline and online. */
export function watchConnection() {
	// A connection that has gone silent is dead even if the browser has not noticed yet.
	setInterval(function () {
		if (state.connection !== 'live') return;
		if (Date.now() - state.lastHeardAt > state.heartbeatMs * 2.5 + 1000) dropConnection();
	}, 1000);
	window.addEventListener('offline', function () {
		if (state.ws) dropConnection();
	});
	window.addEventListener('online', function () {
		if (state.connection === 'stale') connect();
	});
}
