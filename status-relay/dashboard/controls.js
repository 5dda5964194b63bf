/*
 * Intake (pause / resume) and cancel, for tokens allowed to control workflows.
 */
import { $, api, say, state } from './page.js';
import { intakeButtons } from './runs.js';

export function showIntake(intake) {
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

export function refreshIntake() {
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

/** The pause, resume and cancel buttons, and a look at intake now and then. */
export function wireControls() {
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
	// Intake can change in n8n too: look again now and then.
	setInterval(function () {
		if (state.control && state.workflowId && !document.hidden) refreshIntake();
	}, 30000);
}
