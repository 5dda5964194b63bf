/**
 * The Support Reply Drafter's execute() in process with its offline provider (the built-in templates):
 * one draft per item in the customer's language, pairedItem, Continue on Fail and the error without it.
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { SupportReplyDrafter } from '../../../nodes/SupportReplyDrafter/SupportReplyDrafter.node';
import { supportItem } from '../escalation/fixtures';
import { executeNode, pairing, thrownBy } from '../../support/execute-node';

const node = new SupportReplyDrafter();

const english: INodeExecutionData = { json: supportItem({ draft: null }) };
const german: INodeExecutionData = {
	json: supportItem({
		draft: null,
		subject: 'Wo ist meine Bestellung?',
		text: 'Hallo, meine Bestellung #4521 ist noch nicht angekommen. Können Sie bitte nachsehen?',
		classification: { language: 'de' },
	}),
};
const unclassified: INodeExecutionData = {
	json: { ticket: 'T-3', support: { email: (english.json.support as { email: unknown }).email } },
};

type Draft = { language: string; text: string; provider: string; needsReview: boolean };
const draftOf = (entry: INodeExecutionData) => (entry.json.support as { draft: Draft }).draft;

describe('Support Reply Drafter execute (in process, built-in templates)', () => {
	it('one output, a draft per item in the customer language, each paired to its input', async () => {
		const { outputs } = await executeNode(node, {
			parameters: { companyName: 'Acme', agentName: 'Sam' },
			items: [english, german],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }]]);
		expect(outputs[0].map((entry) => draftOf(entry).language)).toEqual(['en', 'de']);
		for (const entry of outputs[0]) {
			expect(draftOf(entry).text).toContain('Sam');
			expect(entry.json.ticket).toBe('T-1');
		}
		// The input items are not changed.
		expect(english.json.support).not.toHaveProperty('draft');
	});

	it('Continue on Fail: an unclassified item goes on with its error, paired; the others get drafts', async () => {
		const { outputs } = await executeNode(node, {
			continueOnFail: true,
			items: [english, unclassified, german],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }, { item: 2 }]]);
		expect(outputs[0][1].json).toMatchObject({
			ticket: 'T-3',
			error: expect.stringMatching(/support\.classification is missing/),
		});
		expect(outputs[0][1].json.support).not.toHaveProperty('draft');
		expect(draftOf(outputs[0][2]).language).toBe('de');
	});

	it('without Continue on Fail the error is a node error naming the item', async () => {
		const error = await thrownBy(() => executeNode(node, { items: [english, unclassified] }));
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
		expect(error.message).toMatch(/support\.classification is missing/);
	});

	it('a setting wrong for every item is a node error before any item is drafted', async () => {
		const error = await thrownBy(() =>
			executeNode(node, {
				parameters: { replyLanguage: 'fixed', language: 'German' },
				items: [english],
			}),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('"german" is not a language code');
	});
});
