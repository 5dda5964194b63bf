/**
 * A value of an item's JSON by a field name the user typed: the key itself when the object has it
 * (`my.field` as one key), else a dot path (`support.knowledge`, `kb.results`).
 */
export function readPath(json: unknown, path: string): unknown {
	if (json === null || typeof json !== 'object') return undefined;
	if (path in json) return (json as Record<string, unknown>)[path];
	let value: unknown = json;
	for (const key of path.split('.').filter(Boolean)) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}
