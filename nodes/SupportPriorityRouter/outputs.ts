/**
 * The Router's outputs, computed by n8n from the parameters (as the Support Classifier's are): one per
 * priority, or one output when Options > Single Output is on (version 2). The function is sent to the
 * editor as source text, so it may use nothing but its argument.
 */
function configuredOutputs(parameters: { options?: { singleOutput?: boolean } }) {
	if (parameters.options && parameters.options.singleOutput === true)
		return [{ type: 'main', displayName: 'Prioritized' }];
	return ['Urgent', 'High', 'Normal', 'Low'].map((name) => ({ type: 'main', displayName: name }));
}

export const OUTPUTS_EXPRESSION: `={{${string}}}` = `={{(${configuredOutputs.toString()})($parameter)}}`;

export { configuredOutputs };
