/*
 * Draws the state: the recent runs and the selected run's nodes, with durations that count up only
 * while live.
 */
import { $, ACTIVE, el, formatMs, formatTime, state } from './page.js';
import { sortRuns } from './runs.js';

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
export function showWorkflowName(name) {
	if (!name) return;
	$('title').textContent = name;
	var select = $('workflow-select');
	for (var i = 0; i < select.options.length; i++) {
		if (select.options[i].value === state.workflowId) select.options[i].textContent = name;
	}
}

export function queueRender() {
	if (state.renderQueued) return;
	state.renderQueued = true;
	requestAnimationFrame(function () {
		state.renderQueued = false;
		render();
	});
}

export function render() {
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
	if (execution.waitTill) meta.push('waits until ' + new Date(execution.waitTill).toLocaleString());
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

/** Running durations count up while live. */
export function countUpWhileLive() {
	setInterval(function () {
		if (state.connection === 'live' && state.hasData) queueRender();
	}, 500);
}
