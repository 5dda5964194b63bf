/**
 * n8n's lint rules want each parameter's default written as a literal in the node description, so
 * the nodes' defaults cannot simply be the library's constants. This keeps them the same values: a
 * changed library default without the canvas (or the other way round) fails here.
 */
import type { INode, INodeProperties } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { DEFAULT_CONFIG, DEFAULT_LEGACY_RULES } from '../../../lib/escalation';
import { LEVELS } from '../../../lib/priority';
import { DEFAULT_TARGETS } from '../../../lib/priority/sla';
import { SupportClassifier } from '../../../nodes/SupportClassifier/SupportClassifier.node';
import { defaultRouting } from '../../../nodes/SupportClassifier/outputs';
import { properties as escalation } from '../../../nodes/SupportEscalation/description';
import { properties as router } from '../../../nodes/SupportPriorityRouter/description';

/** Every parameter by name, however deep it sits in collections. */
function byName(list: readonly unknown[], found = new Map<string, INodeProperties>()) {
	for (const entry of list as Array<INodeProperties & { values?: unknown[] }>) {
		if (entry.name && entry.type !== undefined && !found.has(entry.name))
			found.set(entry.name, entry);
		if (Array.isArray(entry.options)) byName(entry.options, found);
		if (Array.isArray(entry.values)) byName(entry.values, found);
	}
	return found;
}

describe('node defaults are the library defaults', () => {
	it('Support Escalation', () => {
		const params = byName(escalation);
		const expected: Record<string, unknown> = {
			minDraftConfidence: DEFAULT_CONFIG.minDraftConfidence,
			slaRiskMinutes: DEFAULT_CONFIG.slaRiskMinutes,
			injectionAction: DEFAULT_CONFIG.injectionAction,
			vipAction: DEFAULT_CONFIG.vipAction,
			escalateCritical: DEFAULT_CONFIG.escalateCritical,
			minClassificationConfidence: DEFAULT_LEGACY_RULES.minClassificationConfidence,
			negativeSentimentAt: DEFAULT_LEGACY_RULES.negativeSentimentAt,
			repeatContactThreshold: DEFAULT_LEGACY_RULES.repeatContactThreshold,
		};
		for (const [name, value] of Object.entries(expected)) {
			expect([name, params.get(name)?.default]).toEqual([name, value]);
		}
	});

	it('Support Priority Router SLA targets (hours on the canvas, minutes in the library)', () => {
		const params = byName(router);
		for (const level of LEVELS)
			for (const kind of ['firstResponse', 'resolution'] as const) {
				const name = `${level}${kind === 'firstResponse' ? 'FirstResponse' : 'Resolution'}`;
				expect([name, Number(params.get(name)?.default) * 60]).toEqual([
					name,
					DEFAULT_TARGETS[level][kind],
				]);
			}
	});

	it('Support Classifier Routing per version (the canvas default is what execute and the outputs assume)', () => {
		for (const typeVersion of [1, 2]) {
			const { description } = new SupportClassifier().getNodeType(typeVersion);
			const node = { typeVersion, parameters: {} } as unknown as INode;
			const filled = NodeHelpers.getNodeParameters(
				description.properties,
				{},
				true,
				false,
				node,
				description,
			);
			expect([typeVersion, filled?.routing]).toEqual([typeVersion, defaultRouting(typeVersion)]);
		}
		expect(defaultRouting(1)).toBe('perCategory');
		expect(defaultRouting(2)).toBe('single');
	});
});
