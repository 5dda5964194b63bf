/*
 * The status relay's live dashboard: plain JavaScript, no build step, served by the relay at `/`.
 * It speaks the relay protocol (status-relay/PROTOCOL.md): it subscribes to one workflow's stream
 * with the token as a WebSocket subprotocol, folds snapshots and events into per-node state, resumes
 * with its cursor after any disconnect, and shows a stale banner whenever what it shows is not live.
 */
(function (root) {
	'use strict';

	// ------------------------------------------------------------------------------------------
	// Protocol: the same folding of events into snapshots as status-relay/server/state.ts (a unit
	// test runs both over the same event sequences).

	function applyEvent(snapshot, event) {
		var current = snapshot || {
			executionId: event.executionId,
			workflowId: event.workflowId,
			workflowName: event.workflowName,
			mode: event.mode,
			status: 'running',
			seq: 0,
			nodes: [],
		};
		if (event.workflowName) current.workflowName = event.workflowName;
		if (typeof event.seq === 'number') current.seq = Math.max(current.seq, event.seq);
		function nodeNamed(name, type) {
			var node = null;
			for (var i = 0; i < current.nodes.length; i++) {
				if (current.nodes[i].name === name) node = current.nodes[i];
			}
			if (!node) {
				node = { name: name, type: type || '', state: 'pending', runs: 0 };
				current.nodes.push(node);
			}
			if (type && !node.type) node.type = type;
			return node;
		}
		var data = event.data || {};
		var node;
		switch (event.type) {
			case 'execution.started':
				current.mode = event.mode;
				if (current.startedAt === undefined) current.startedAt = data.startedAt;
				if (current.status === 'waiting') current.status = 'running';
				if (data.parentExecutionId) current.parentExecutionId = data.parentExecutionId;
				(data.nodes || []).forEach(function (n) {
					nodeNamed(n.name, n.type);
				});
				break;
			case 'execution.waiting':
				current.status = 'waiting';
				if (data.waitTill) current.waitTill = data.waitTill;
				if (data.node) nodeNamed(data.node).state = 'waiting';
				break;
			case 'execution.resumed':
				current.status = 'running';
				delete current.waitTill;
				break;
			case 'node.started':
				node = nodeNamed(data.node, data.nodeType);
				node.state = 'running';
				node.startedAt = data.startedAt;
				delete node.finishedAt;
				break;
			case 'node.finished':
				node = nodeNamed(data.node, data.nodeType);
				node.state = data.status;
				node.runs = Math.max(node.runs, data.runIndex + 1);
				if (data.startedAt) node.startedAt = data.startedAt;
				node.finishedAt = data.finishedAt;
				if (data.durationMs !== undefined) node.durationMs = data.durationMs;
				node.itemsOut = data.itemsOut;
				if (data.error) node.error = data.error;
				else delete node.error;
				if (data.continuedOnError) node.continuedOnError = true;
				if (data.subExecutionId) node.subExecutionId = data.subExecutionId;
				break;
			case 'execution.finished':
				current.status = data.status;
				if (current.startedAt === undefined) current.startedAt = data.startedAt;
				current.finishedAt = data.finishedAt;
				if (current.startedAt) {
					current.durationMs = Date.parse(data.finishedAt) - Date.parse(current.startedAt);
				}
				delete current.waitTill;
				if (data.error) current.error = data.error;
				current.nodes.forEach(function (n) {
					if (n.state === 'pending') n.state = 'skipped';
					else if (n.state === 'running' || n.state === 'waiting') {
						n.state = data.status === 'canceled' ? 'canceled' : 'error';
					}
				});
				if (data.error && data.error.node) {
					current.nodes.forEach(function (n) {
						if (n.name === data.error.node && n.state !== 'error') {
							n.state = 'error';
							if (!n.error) n.error = { message: data.error.message };
						}
					});
				}
				break;
		}
		return current;
	}

	var ACTIVE_STATUS = { running: true, waiting: true };
	/** How many runs the page keeps (the relay sends at most 50 finished ones per snapshot). */
	var MAX_RUNS = 200;

	/**
	 * The runs as "Recent runs" lists them: running and waiting ones first, then the rest, each
	 * newest start first (the column says "Started"); none left out but the oldest finished ones
	 * past MAX_RUNS.
	 */
	function sortRuns(executions) {
		var startOf = function (e) {
			return e.startedAt || e.finishedAt || '';
		};
		var newestFirst = function (a, b) {
			var byStart = startOf(b).localeCompare(startOf(a));
			if (byStart) return byStart;
			// Same start (or none): higher execution ids are newer in n8n.
			return String(b.executionId).localeCompare(String(a.executionId), undefined, {
				numeric: true,
			});
		};
		var active = executions.filter(function (e) {
			return ACTIVE_STATUS[e.status];
		});
		var done = executions.filter(function (e) {
			return !ACTIVE_STATUS[e.status];
		});
		return active
			.sort(newestFirst)
			.concat(done.sort(newestFirst))
			.slice(0, Math.max(MAX_RUNS, active.length));
	}

	/** The workflow named by `#workflow=<id>`; a malformed escape is taken as it is written. */
	function workflowFromHash(hash) {
		var match = /(?:^#|&)workflow=([^&]*)/.exec(hash || '');
		if (!match) return '';
		try {
			return decodeURIComponent(match[1]);
		} catch (error) {
			return match[1];
		}
	}

	/** Which intake buttons a control token sees: only the one that changes the current state. */
	function intakeButtons(intake) {
		if (intake === 'open') return { pause: true, resume: false };
		if (intake === 'paused') return { pause: false, resume: true };
		// Unknown or changing: both, so the operator can still act.
		return { pause: true, resume: true };
	}

	var exported = {
		applyEvent: applyEvent,
		sortRuns: sortRuns,
		workflowFromHash: workflowFromHash,
		intakeButtons: intakeButtons,
		MAX_RUNS: MAX_RUNS,
	};
	if (typeof module === 'object' && module.exports) module.exports = exported;
	if (typeof document === 'undefined') return;
	root.RelayDashboard = exported;

	// ------------------------------------------------------------------------------------------
	// The page

	var SUBPROTOCOL = 'n8n-support-relay.v1';
	var TOKEN_KEY = 'n8n-support-relay.token';
	var ACTIVE = { running: true, waiting: true };
	var $ = function (id) {
		return document.getElementById(id);
	};

	var state = {
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

	function api(method, path) {
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

	function el(tag, attrs, text) {
		var node = document.createElement(tag);
		Object.keys(attrs || {}).forEach(function (key) {
			node.setAttribute(key, attrs[key]);
		});
		if (text !== undefined) node.textContent = text;
		return node;
	}

	function formatMs(ms) {
		if (ms === undefined || ms === null || isNaN(ms)) return '';
		if (ms < 1000) return Math.round(ms) + ' ms';
		if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
		var minutes = Math.floor(ms / 60000);
		return minutes + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
	}

	function formatTime(iso) {
		if (!iso) return '';
		var date = new Date(iso);
		return isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
	}

	function say(text, isError) {
		var message = $('message');
		message.textContent = text;
		message.style.color = isError ? 'var(--error)' : '';
	}

	// ---- connection ------------------------------------------------------------------------

	function setConnection(next) {
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

	function connect() {
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

	function disconnected() {
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

	function dropConnection() {
		var ws = state.ws;
		state.ws = null;
		if (ws) ws.close();
		disconnected();
	}

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

	// ---- rendering ---------------------------------------------------------------------------

	function sortedExecutions() {
		var sorted = sortRuns(Array.from(state.executions.values()));
		// Forget what is no longer listed, so a long-open page stays small.
		if (sorted.length < state.executions.size) {
			var kept = new Map();
			sorted.forEach(function (e) {
				kept.set(e.executionId, e);
			});
			state.executions = kept;
		}
		return sorted;
	}

	/** The heading names the workflow; whether it is live is the badge's and the banner's job. */
	function showWorkflowName(name) {
		if (!name) return;
		$('title').textContent = name;
		var select = $('workflow-select');
		for (var i = 0; i < select.options.length; i++) {
			if (select.options[i].value === state.workflowId) select.options[i].textContent = name;
		}
	}

	function queueRender() {
		if (state.renderQueued) return;
		state.renderQueued = true;
		requestAnimationFrame(function () {
			state.renderQueued = false;
			render();
		});
	}

	function render() {
		var executions = sortedExecutions();
		if (!state.selected || !state.executions.has(state.selected)) {
			state.pinned = false;
			state.selected = executions.length ? executions[0].executionId : null;
		}
		renderExecutions(executions);
		renderSelected(state.selected ? state.executions.get(state.selected) : null);
		$('last-event').textContent = state.lastEventAt
			? 'last event ' + new Date(state.lastEventAt).toLocaleTimeString()
			: '';
	}

	function renderExecutions(executions) {
		var body = $('executions');
		body.textContent = '';
		executions.forEach(function (execution) {
			var row = el('tr', {
				class: 'execution',
				'data-execution': execution.executionId,
				'data-status': execution.status,
				'aria-selected': execution.executionId === state.selected ? 'true' : 'false',
			});
			row.appendChild(el('td', {}, '#' + execution.executionId));
			row.appendChild(
				el('td', { class: 'status', 'data-status': execution.status }, execution.status),
			);
			row.appendChild(el('td', {}, execution.mode || ''));
			row.appendChild(el('td', {}, formatTime(execution.startedAt)));
			row.appendChild(el('td', {}, formatMs(durationOf(execution))));
			row.addEventListener('click', function () {
				state.selected = execution.executionId;
				state.pinned = true;
				render();
			});
			body.appendChild(row);
		});
	}

	function durationOf(item) {
		if (typeof item.durationMs === 'number') return item.durationMs;
		if (item.startedAt && (item.state === 'running' || ACTIVE[item.status])) {
			// Counting up is only honest while live.
			return state.connection === 'live' ? Date.now() - Date.parse(item.startedAt) : undefined;
		}
		return undefined;
	}

	function shortType(type) {
		return (type || '').replace(/^n8n-nodes-base\./, '').replace(/^n8n-nodes-support-email\./, '');
	}

	function renderSelected(execution) {
		var list = $('nodes');
		list.textContent = '';
		$('no-execution').hidden = !!execution;
		$('cancel').hidden = !(state.control && execution && ACTIVE[execution.status]);
		var status = $('execution-status');
		if (!execution) {
			$('execution-title').textContent = 'Execution';
			status.textContent = '';
			$('execution-meta').textContent = '';
			return;
		}
		$('execution-title').textContent = 'Run #' + execution.executionId;
		status.textContent = execution.status;
		status.dataset.status = execution.status;
		var meta = [execution.mode, 'started ' + formatTime(execution.startedAt)];
		var took = durationOf(execution);
		if (took !== undefined) meta.push(formatMs(took));
		if (execution.waitTill)
			meta.push('waits until ' + new Date(execution.waitTill).toLocaleString());
		if (execution.parentExecutionId) meta.push('called by run #' + execution.parentExecutionId);
		if (execution.error) meta.push('error: ' + execution.error.message);
		if (execution.rebuilt) meta.push('state rebuilt from n8n');
		$('execution-meta').textContent = meta.filter(Boolean).join(' · ');
		execution.nodes.forEach(function (node) {
			var item = el('li', { class: 'node', 'data-node': node.name, 'data-state': node.state });
			item.appendChild(el('span', { class: 'dot' }));
			var label = el('span');
			label.appendChild(el('span', { class: 'name' }, node.name));
			label.appendChild(document.createTextNode(' '));
			label.appendChild(el('span', { class: 'type' }, shortType(node.type)));
			item.appendChild(label);
			item.appendChild(el('span', { class: 'state' }, node.state));
			var details = [];
			var took = durationOf(node);
			if (took !== undefined)
				details.push((node.state === 'running' ? 'running ' : '') + formatMs(took));
			if (node.itemsOut && node.itemsOut.length) {
				details.push(
					(node.itemsOut.length > 1 ? 'items per output ' : 'items ') + node.itemsOut.join(' / '),
				);
			}
			if (node.runs > 1) details.push('runs ' + node.runs);
			if (node.subExecutionId) details.push('sub-workflow run #' + node.subExecutionId);
			if (node.continuedOnError) details.push('continued on error');
			item.appendChild(el('span', { class: 'meta' }, details.join(' · ')));
			if (node.error && node.error.message) {
				item.appendChild(el('span', { class: 'error' }, node.error.message));
			}
			list.appendChild(item);
		});
	}

	// Running durations count up while live.
	setInterval(function () {
		if (state.connection === 'live' && state.hasData) queueRender();
	}, 500);

	// ---- controls ----------------------------------------------------------------------------

	function showIntake(intake) {
		state.intake = intake || 'unknown';
		var badge = $('intake');
		badge.dataset.intake = state.intake;
		badge.textContent =
			state.intake === 'open'
				? 'Intake open'
				: state.intake === 'paused'
					? 'Intake paused'
					: state.intake === 'changing'
						? 'Intake changing…'
						: '';
		badge.hidden = !state.control || state.intake === 'unknown';
		var buttons = intakeButtons(state.intake);
		$('pause').hidden = !state.control || !buttons.pause;
		$('resume').hidden = !state.control || !buttons.resume;
	}

	function refreshIntake() {
		if (!state.control || !state.workflowId) return showIntake('unknown');
		var asked = state.workflowId;
		api('GET', '/api/v1/workflows/' + encodeURIComponent(asked) + '/intake').then(
			function (answer) {
				if (asked !== state.workflowId) return;
				showIntake(answer.status === 200 && answer.body ? answer.body.intake : 'unknown');
			},
			function () {
				showIntake('unknown');
			},
		);
	}

	// Intake can change in n8n too: look again now and then.
	setInterval(function () {
		if (state.control && state.workflowId && !document.hidden) refreshIntake();
	}, 30000);

	function control(path, doing) {
		say(doing + '…');
		api('POST', path).then(
			function (answer) {
				var body = answer.body || {};
				if (body.intake) showIntake(body.intake);
				if (answer.status >= 200 && answer.status < 300) {
					say(
						body.intake
							? 'Intake ' + body.intake + '.'
							: body.canceled
								? 'Run #' + body.executionId + ' canceled.'
								: 'Done.',
					);
				} else say(body.message || 'HTTP ' + answer.status, true);
			},
			function () {
				say('The relay could not be reached.', true);
			},
		);
	}

	$('pause').addEventListener('click', function () {
		control('/api/v1/workflows/' + encodeURIComponent(state.workflowId) + '/pause', 'Pausing');
	});
	$('resume').addEventListener('click', function () {
		control('/api/v1/workflows/' + encodeURIComponent(state.workflowId) + '/resume', 'Resuming');
	});
	$('cancel').addEventListener('click', function () {
		if (!state.selected) return;
		control('/api/v1/executions/' + encodeURIComponent(state.selected) + '/cancel', 'Canceling');
	});

	// ---- token and workflow ------------------------------------------------------------------

	function showLogin(problem) {
		if (state.ws) {
			var ws = state.ws;
			state.ws = null;
			ws.close();
		}
		clearTimeout(state.retryTimer);
		$('login').hidden = false;
		$('app').hidden = true;
		$('workflow-input').value = state.workflowId;
		if (problem) say(problem, true);
		var note = $('login').querySelector('p');
		if (problem) note.textContent = problem;
	}

	function selectWorkflow(workflowId) {
		if (workflowId === state.workflowId && (state.ws || state.retryTimer)) return;
		if (state.ws) {
			var ws = state.ws;
			state.ws = null;
			ws.close();
		}
		state.workflowId = workflowId;
		state.executions = new Map();
		state.cursor = undefined;
		state.hasData = false;
		state.selected = null;
		state.pinned = false;
		state.retry = 0;
		if (workflowFromHash(location.hash) !== workflowId)
			location.hash = 'workflow=' + encodeURIComponent(workflowId);
		render();
		refreshIntake();
		connect();
	}

	function start() {
		if (!state.token) return showLogin();
		api('GET', '/api/v1/token').then(
			function (answer) {
				if (answer.status === 401) {
					sessionStorage.removeItem(TOKEN_KEY);
					state.token = '';
					return showLogin('The relay does not know this token.');
				}
				state.control = !!answer.body.control;
				showIntake('unknown');
				$('login').hidden = true;
				$('app').hidden = false;
				return api('GET', '/api/v1/workflows').then(function (list) {
					var select = $('workflow-select');
					select.textContent = '';
					var workflows = (list.body && list.body.workflows) || [];
					if (!state.workflowId && workflows.length) state.workflowId = workflows[0].workflowId;
					var ids = workflows.map(function (w) {
						return w.workflowId;
					});
					if (state.workflowId && ids.indexOf(state.workflowId) < 0) {
						workflows.unshift({ workflowId: state.workflowId, workflowName: '' });
					}
					workflows.forEach(function (w) {
						var option = el('option', { value: w.workflowId }, w.workflowName || w.workflowId);
						if (w.workflowId === state.workflowId) option.selected = true;
						select.appendChild(option);
					});
					if (!state.workflowId) return say('No workflow has reported a run yet.', true);
					var chosen = state.workflowId;
					state.workflowId = '';
					selectWorkflow(chosen);
				});
			},
			function () {
				setConnection('stale');
				state.retryTimer = setTimeout(start, 2000);
			},
		);
	}

	$('login-form').addEventListener('submit', function (event) {
		event.preventDefault();
		state.token = $('token').value.trim();
		$('token').value = '';
		sessionStorage.setItem(TOKEN_KEY, state.token);
		var wanted = $('workflow-input').value.trim();
		if (wanted) {
			state.workflowId = wanted;
			location.hash = 'workflow=' + encodeURIComponent(wanted);
		}
		start();
	});
	$('workflow-select').addEventListener('change', function (event) {
		selectWorkflow(event.target.value);
	});
	$('logout').addEventListener('click', function () {
		sessionStorage.removeItem(TOKEN_KEY);
		state.token = '';
		showLogin();
	});
	window.addEventListener('hashchange', function () {
		var wanted = workflowFromHash(location.hash);
		if (wanted && wanted !== state.workflowId && state.token) selectWorkflow(wanted);
	});

	start();
})(this);
