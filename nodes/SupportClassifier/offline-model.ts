import type { ClassifyConfig, ResolvedOfflineModel } from '../../lib/classify';
import { resolveOfflineModel } from '../../lib/classify';

/**
 * The offline model of a node's configuration, found once per execution. A node often runs with the
 * same Training Examples for every execution (one email each): parsing thousands of examples and
 * hashing them to find the cached model would cost more than classifying the email. So the models
 * resolved for the last few configurations are kept under the parameters' own text (categories,
 * threshold and the raw Training Examples string); only a changed configuration parses and trains.
 */
const MAX_CONFIGURATIONS = 4;
const resolved = new Map<string, ResolvedOfflineModel>();

export function offlineModelForExecution(
	config: Omit<ClassifyConfig, 'extraExamples'>,
	rawTrainingExamples: unknown,
	parseTrainingExamples: () => ClassifyConfig['extraExamples'],
): ResolvedOfflineModel {
	const key =
		rawTrainingExamples === undefined || typeof rawTrainingExamples === 'string'
			? `${JSON.stringify([config.categories, config.threshold ?? null])}\u0000${rawTrainingExamples ?? ''}`
			: undefined;
	const hit = key === undefined ? undefined : resolved.get(key);
	if (hit) {
		resolved.delete(key!);
		resolved.set(key!, hit);
		return hit;
	}
	const model = resolveOfflineModel({ ...config, extraExamples: parseTrainingExamples() });
	if (key !== undefined) {
		resolved.set(key, model);
		while (resolved.size > MAX_CONFIGURATIONS) resolved.delete(resolved.keys().next().value!);
	}
	return model;
}

export function clearResolvedOfflineModels(): void {
	resolved.clear();
}
