/**
 * The Support Priority Router's execute() in process: the four outputs of versions 1 and 2, Single
 * Output, per-item expressions, pairedItem, Continue on Fail and the error without it.
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { SupportPriorityRouter } from '../../../nodes/SupportPriorityRouter/SupportPriorityRouter.node';
import { supportItem } from '../escalation/fixtures';
import { executeNode, pairing, thrownBy } from '../../support/execute-node';

const node = new SupportPriorityRouter();

const item = (classification: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
	json: { ...supportItem({ classification }), ...extra },
});
// The default rules: critical urgency → Urgent, high urgency → High, newsletter → Low.
const critical = item({ urgency: 'critical' });
const high = item({ urgency: 'high' });
const normal = item({ urgency: 'normal' });
const newsletter = item({ category: 'newsletter', urgency: 'normal' });
const unclassified: INodeExecutionData = { json: { ticket: 'T-9', support: {} } };

const level = (entry: INodeExecutionData) =>
	(entry.json.support as { priority: { level: string } }).priority.level;

describe('Support Priority Router execute (in process)', () => {
	it.each([1, 2])(
		'version %i with its defaults: Urgent, High, Normal, Low, each item paired to its input',
		async (typeVersion) => {
			const { outputs } = await executeNode(node, {
				typeVersion,
				items: [newsletter, normal, high, critical],
			});
			expect(pairing(outputs)).toEqual([
				[{ item: 3 }],
				[{ item: 2 }],
				[{ item: 1 }],
				[{ item: 0 }],
			]);
			expect(outputs.map((output) => output.map(level))).toEqual([
				['urgent'],
				['high'],
				['normal'],
				['low'],
			]);
			expect(outputs[0][0].json.support).toMatchObject({
				priority: { sla: { firstResponseDue: expect.any(String) } },
			});
		},
	);

	it('version 2 Single Output: every item on one output, in input order, with its priority', async () => {
		const { outputs } = await executeNode(node, {
			parameters: { options: { singleOutput: true } },
			items: [newsletter, critical, normal],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }, { item: 2 }]]);
		expect(outputs[0].map(level)).toEqual(['low', 'urgent', 'normal']);
	});

	it('Customer Tier is an expression read per item (version 1 top level, version 2 under Options)', async () => {
		const rules = { tier: [{ tiers: 'gold', level: 'urgent' }] };
		const items = [
			item({ urgency: 'normal' }, { customer: { tier: 'gold' } }),
			item({ urgency: 'normal' }, { customer: { tier: 'bronze' } }),
		];
		const v1 = await executeNode(node, {
			typeVersion: 1,
			parameters: { rules, customerTier: '={{ $json.customer.tier }}' },
			items,
		});
		const v2 = await executeNode(node, {
			typeVersion: 2,
			parameters: { rules, options: { customerTier: '={{ $json.customer.tier }}' } },
			items,
		});
		for (const { outputs } of [v1, v2])
			expect(pairing(outputs)).toEqual([[{ item: 0 }], [], [{ item: 1 }], []]);
	});

	it('Continue on Fail: a bad item goes on at Normal with its error, paired; the others are routed', async () => {
		const { outputs } = await executeNode(node, {
			continueOnFail: true,
			parameters: { options: { previousContacts: '={{ $json.contacts }}' } },
			items: [critical, unclassified, { json: { ...high.json, contacts: 'many' } }],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }], [], [{ item: 1 }, { item: 2 }], []]);
		expect(outputs[2][0].json).toMatchObject({
			ticket: 'T-9',
			error: expect.stringMatching(/support\.classification is missing/),
		});
		expect(outputs[2][1].json.error).toBe('Previous Contacts gave "many", not a count');

		const single = await executeNode(node, {
			continueOnFail: true,
			parameters: { options: { singleOutput: true } },
			items: [unclassified, critical],
		});
		expect(pairing(single.outputs)).toEqual([[{ item: 0 }, { item: 1 }]]);
		expect(single.outputs[0][0].json.error).toMatch(/support\.classification is missing/);
	});

	it('without Continue on Fail the error is a node error naming the item', async () => {
		const error = await thrownBy(() =>
			executeNode(node, { items: [critical, normal, unclassified] }),
		);
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(2);
		expect(error.message).toMatch(/support\.classification is missing/);
	});
});
