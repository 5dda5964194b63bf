import type { ClassifyConfig, ResolvedOfflineModel } from '../../lib/classify';
import { resolveOfflineModel } from '../../lib/classify';

/**
 * The offline model of a node's configuration, found once per execution. A node often runs with the
 * same Training Examples for every execution (one email each): parsing thousands of examples and
 * hashing them to find the cached model would cost more than classifying the email. So the models
 * resolved for the last few configurations are kept with the parameters' own values (categories and
 * threshold as a short key, the raw Training Examples string as it is): a lookup compares strings (the
 * same string, or a byte comparison of an equal one), and only a changed configuration parses and
 * trains.
 */
const MAX_CONFIGURATIONS = 4;

interface Entry {
	settings: string;
	rawTrainingExamples: string;
	/** Shared while it is learned, so executions that start together learn it once. */
	resolved: Promise<ResolvedOfflineModel>;
}

const entries: Entry[] = [];

export async function offlineModelForExecution(
	config: Omit<ClassifyConfig, 'extraExamples'>,
	rawTrainingExamples: unknown,
	parseTrainingExamples: () => ClassifyConfig['extraExamples'],
): Promise<ResolvedOfflineModel> {
	const cacheable = rawTrainingExamples === undefined || typeof rawTrainingExamples === 'string';
	const raw = typeof rawTrainingExamples === 'string' ? rawTrainingExamples : '';
	const settings = JSON.stringify([
		config.categories,
		config.threshold ?? null,
		config.sentenceEncoder ?? false,
	]);
	if (cacheable) {
		const index = entries.findIndex(
			(entry) => entry.settings === settings && entry.rawTrainingExamples === raw,
		);
		if (index >= 0) {
			const [hit] = entries.splice(index, 1);
			entries.unshift(hit);
			return hit.resolved;
		}
	}
	const resolved = (async () =>
		resolveOfflineModel({ ...config, extraExamples: parseTrainingExamples() }))();
	if (cacheable) {
		const entry = { settings, rawTrainingExamples: raw, resolved };
		entries.unshift(entry);
		entries.length = Math.min(entries.length, MAX_CONFIGURATIONS);
		// A configuration that fails (an unknown label, ...) is not kept: fixed, it is tried again.
		resolved.catch(() => {
			const index = entries.indexOf(entry);
			if (index >= 0) entries.splice(index, 1);
		});
	}
	return resolved;
}

export function clearResolvedOfflineModels(): void {
	entries.length = 0;
}
