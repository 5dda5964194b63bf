/*
 * The dashboard's pure helpers (no DOM): the order of "Recent runs", the workflow in the address,
 * which intake buttons to offer. Unit-tested in test/unit/relay/dashboard.test.ts.
 */
const ACTIVE_STATUS = { running: true, waiting: true };
/** How many runs the page keeps (the relay sends at most 50 finished ones per snapshot). */
export const MAX_RUNS = 200;

/**
 * The runs as "Recent runs" lists them: running and waiting ones first, then the rest, each
 * newest start first (the column says "Started"); none left out but the oldest finished ones
 * past MAX_RUNS.
 */
export function sortRuns(executions) {
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
export function workflowFromHash(hash) {
	var match = /(?:^#|&)workflow=([^&]*)/.exec(hash || '');
	if (!match) return '';
	try {
		return decodeURIComponent(match[1]);
	} catch (error) {
		return match[1];
	}
}

/** Which intake buttons a control token sees: only the one that changes the current state. */
export function intakeButtons(intake) {
	if (intake === 'open') return { pause: true, resume: false };
	if (intake === 'paused') return { pause: false, resume: true };
	// Unknown or changing: both, so the operator can still act.
	return { pause: true, resume: true };
}
