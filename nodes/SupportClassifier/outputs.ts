import { DEFAULT_CATEGORIES } from '../../lib/classify/categories';

/**
 * The node's outputs, computed by n8n from the parameters (as n8n's Text Classifier does). The function
 * is sent to the editor as source text, so it may use nothing but its arguments.
 */
function configuredOutputs(
	parameters: {
		routing?: string;
		categories?: { category?: Array<{ name?: string }> };
		options?: { unsureOutput?: boolean };
	},
	defaultNames: string[],
) {
	const unsure = !parameters.options || parameters.options.unsureOutput !== false;
	if (parameters.routing === 'single') {
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
)})}}`;

export { configuredOutputs };
