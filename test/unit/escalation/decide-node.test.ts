import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { OUTPUT_INDEX, decideAll, pendingReview } from '../../../nodes/SupportEscalation/decide';
import { supportItem } from './fixtures';

const NOW = new Date('2026-01-01T10:00:00.000Z');

function node(typeVersion: number): INode {
	return {
		id: 'e1',
		name: 'Support Escalation',
		type: 'n8n-nodes-support-email.supportEscalation',
		typeVersion,
		position: [0, 0],
		parameters: {},
	};
}

/** The node's parameters as getNodeParameter would give them. */
const parameters =
	(values: Record<string, unknown>) =>
	(name: string, fallback: unknown): unknown =>
		name in values ? values[name] : fallback;

const routedVip = () => {
	const item = supportItem({ from: 'ceo@eu.acme.com' });
	item.support.priority = {
		level: 'high',
		reasons: ['VIP sender ceo@eu.acme.com (matches "*.acme.com") → High'],
		rules: [
			{
				rule: 'sender',
				level: 'high',
				reason: 'VIP sender ceo@eu.acme.com (matches "*.acme.com")',
			},
		],
		previousContacts: 0,
		vip: true,
		sla: {},
	};
	return item;
};

describe('Support Escalation decideAll (the node loop, in process)', () => {
	it('every item goes to one output with pairedItem; the input items are not changed', () => {
		const items = [{ json: supportItem() }, { json: routedVip() }];
		const before = JSON.stringify(items);
		const decided = decideAll(node(2), items, parameters({ allowAutoSend: true }), NOW, false);
		expect(decided.items.map((d) => [d.output, d.item.pairedItem])).toEqual([
			[OUTPUT_INDEX.auto_send, { item: 0 }],
			[OUTPUT_INDEX.human_review, { item: 1 }],
		]);
		expect(decided.pending).toEqual([1]);
		expect(decided.items[1].item.json.support).toMatchObject({
			decision: { action: 'human_review' },
			priority: { vip: true },
		});
		expect(JSON.stringify(items)).toBe(before);
		expect(pendingReview(1, decided.items[1].item)).toMatchObject({
			index: 1,
			from: 'Carla Customer <ceo@eu.acme.com>',
			reasons: ['vip: VIP sender ceo@eu.acme.com (matches "*.acme.com") (Priority Router)'],
		});
	});

	it('a bad item throws a NodeOperationError naming the missing writer, or with Continue on Fail goes to Human Review', () => {
		const bad = supportItem();
		delete bad.support.classification;
		const items = [{ json: bad }, { json: supportItem() }];
		let thrown: unknown;
		try {
			decideAll(node(2), items, parameters({ allowAutoSend: true }), NOW, false);
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(NodeOperationError);
		expect((thrown as NodeOperationError).message).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect((thrown as NodeOperationError).context.itemIndex).toBe(0);

		const decided = decideAll(node(2), items, parameters({ allowAutoSend: true }), NOW, true);
		expect(decided.items[0]).toMatchObject({
			output: OUTPUT_INDEX.human_review,
			item: {
				json: {
					error: 'support.classification is missing: put a Support Classifier before this node',
				},
				pairedItem: { item: 0 },
			},
		});
		expect(decided.items[1].output).toBe(OUTPUT_INDEX.auto_send);
	});

	it('version 1 honours the saved VIP list and thresholds; version 2 ignores them', () => {
		const saved = parameters({
			allowAutoSend: true,
			rules: { vipSenders: '*.acme.com', minClassificationConfidence: 0.97 },
		});
		const items = [{ json: supportItem({ from: 'ceo@eu.acme.com' }) }];
		const v1 = decideAll(node(1), items, saved, NOW, false).items[0].decision!;
		expect(v1.reasons).toEqual([
			'vip: VIP sender ceo@eu.acme.com (matches "*.acme.com")',
			'low-classification-confidence: classification confidence 0.95 < 0.97',
		]);
		expect(decideAll(node(2), items, saved, NOW, false).items[0].decision!.action).toBe(
			'auto_send',
		);
	});
});
