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
	if (parameters.routing === 'single') return [{ type: 'main', displayName: 'Classified' }];
	const named = ((parameters.categories && parameters.categories.category) || [])
		.map((c) => (c && c.name ? String(c.name).trim() : ''))
		.filter((name) => name);
	const names = named.length ? named : defaultNames;
	const outputs = names.map((name) => ({ type: 'main', displayName: name }));
	if (!parameters.options || parameters.options.unsureOutput !== false)
		outputs.push({ type: 'main', displayName: 'Unsure' });
	return outputs;
}

export const OUTPUTS_EXPRESSION: `={{${string}}}` = `={{(${configuredOutputs.toString()})($parameter, ${JSON.stringify(
	DEFAULT_CATEGORIES.map((c) => c.name),
)})}}`;

export { configuredOutputs };
