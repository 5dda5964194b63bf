/**
 * When a node that ran without throwing still counts as failed: it continued on error and an item
 * carries the error. The hook (live events) and the server (state rebuilt from n8n's API) both read
 * n8n's run data this way, so a rebuilt dashboard shows the same state the live stream did.
 * Pure, no dependencies: it ships inside n8n with the hook.
 */

// n8n's objects are read defensively, field by field: they are not a public API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null;

/** Whether the node is set to carry on after an error ("Continue On Fail" / "On Error: Continue"). */
export function continuesOnError(node: Obj | undefined): boolean {
	if (!node) return false;
	return (
		node.continueOnFail === true ||
		node.onError === 'continueRegularOutput' ||
		node.onError === 'continueErrorOutput'
	);
}

/**
 * The error message of the first item n8n itself treats as an error: with "On Error: Continue
 * (using error output)", an item n8n routed to the error output (the last one); otherwise an
 * item that passes n8n's own test for one (WorkflowExecute.handleNodeErrorOutput: the item carries
 * an `error`, or its json holds nothing but `error`, `message` and `details`). Never a field of
 * an item a node returned as a success: item data does not leave n8n.
 */
export function firstItemError(outputs: unknown[], errorOutput = false): string | undefined {
	const candidates = errorOutput ? outputs.slice(-1) : outputs;
	for (const output of candidates) {
		if (!Array.isArray(output)) continue;
		for (const item of output) {
			if (!isObj(item)) continue;
			if (!errorOutput && !isErrorItem(item)) continue;
			const message =
				messageOf(item.error) ?? (isObj(item.json) ? messageOf(item.json.error) : undefined);
			if (message) return message;
		}
	}
	return undefined;
}

function isErrorItem(item: Obj): boolean {
	if (item.error) return true;
	const json = item.json;
	if (!isObj(json) || !json.error) return false;
	return Object.keys(json).every(
		(key) => key === 'error' || key === 'message' || key === 'details',
	);
}

function messageOf(error: unknown): string | undefined {
	if (typeof error === 'string') return error || undefined;
	if (!isObj(error)) return undefined;
	const message = error.message;
	return message === undefined || message === null || message === '' ? undefined : String(message);
}
