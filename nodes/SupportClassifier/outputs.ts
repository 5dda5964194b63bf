import { DEFAULT_CATEGORIES } from '../../lib/classify/categories';

/**
 * The node's outputs, computed by n8n from the parameters (as n8n's Text Classifier does). The function
 * is sent to the editor as source text, so it may use nothing but its arguments.
 *
 * Routing left unset is the version's default: version 1 one output per category (12 outputs with the
 * built-in taxonomy), version 2 a single Classified output (plus Unsure), so a node dropped on the canvas
 * has two outputs.
 */
function configuredOutputs(
	parameters: {
		routing?: string;
		categories?: { category?: Array<{ name?: string }> };
		options?: { unsureOutput?: boolean };
	},
	defaultNames: string[],
	version?: number,
) {
	const unsure = !parameters.options || parameters.options.unsureOutput !== false;
	const routing = parameters.routing || (Number(version) >= 2 ? 'single' : 'perCategory');
	if (routing === 'single') {
		const single = [{ type: 'main', displayName: 'Classified' }];
		if (unsure) single.push({ type: 'main', displayName: 'Unsure' });
		return single;
	}
	const named = ((parameters.categories && parameters.categories.category) || [])
		.map((c) => (c && c.name ? String(c.name).trim() : ''))
		.filter((name) => name);
	const names = named.length ? named : defaultNames;
	const outputs = names.map((name) => ({ type: 'main', displayName: name }));
	if (unsure) outputs.push({ type: 'main', displayName: 'Unsure' });
	return outputs;
}

export const OUTPUTS_EXPRESSION: `={{${string}}}` = `={{(${configuredOutputs.toString()})($parameter, ${JSON.stringify(
	DEFAULT_CATEGORIES.map((c) => c.name),
)}, $nodeVersion)}}`;

/** What Routing is when the saved workflow does not say (n8n leaves defaults out when it saves). */
export function defaultRouting(version: number): 'perCategory' | 'single' {
	return version >= 2 ? 'single' : 'perCategory';
}

export { configuredOutputs };
