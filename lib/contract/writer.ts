import type { SupportFields } from './types';

/**
 * The item's JSON with `support.<field>` set for each field given: a new object (the input item is
 * never changed), the user's other fields and the other `support.*` fields kept.
 */
export function withSupport<J extends Record<string, unknown>>(
	json: J,
	fields: Partial<SupportFields> & Record<string, unknown>,
): J {
	const support = json.support;
	const current =
		typeof support === 'object' && support !== null && !Array.isArray(support)
			? (support as Record<string, unknown>)
			: {};
	return { ...json, support: { ...current, ...fields } } as J;
}
