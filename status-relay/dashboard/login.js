/*
 * The token (kept for the browser session only), the workflow being watched, and start-up.
 */
import { $, TOKEN_KEY, api, el, say, state } from './page.js';
import { workflowFromHash } from './runs.js';
import { connect, setConnection } from './stream.js';
import { render } from './render.js';
import { refreshIntake, showIntake } from './controls.js';

export function showLogin(problem) {
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

export function selectWorkflow(workflowId) {
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

export function start() {
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

/** The login form, the workflow picker, log out, and `#workflow=<id>` in the address. */
export function wireLogin() {
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
}
