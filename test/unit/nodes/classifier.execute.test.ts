/**
 * The Support Classifier's execute() in process (offline model, no network): outputs per index,
 * pairedItem, Unsure, Continue on Fail and the error without it.
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { DEFAULT_CATEGORIES } from '../../../lib/classify/categories';
import { SupportClassifier } from '../../../nodes/SupportClassifier/SupportClassifier.node';
import { supportItem } from '../escalation/fixtures';
import { configuredOutputs } from '../../../nodes/SupportClassifier/outputs';
import { executeNode, outputNames, pairing, thrownBy } from '../../support/execute-node';

const NAMES = DEFAULT_CATEGORIES.map((c) => c.name);
const node = new SupportClassifier();

const email = (subject: string, text: string): INodeExecutionData => ({
	json: supportItem({ subject, text }),
});
const refund = email(
	'Refund still missing',
	'I returned the jacket from order #A-10023 two weeks ago and my refund of 49.99 EUR has not arrived. Where is my refund?',
);
const delivery = email(
	'Where is my parcel?',
	'My order #4521 was supposed to arrive on Monday and the tracking has not moved for a week. Where is my parcel?',
);
const noEmail: INodeExecutionData = { json: { ticket: 'T-2' } };

/** Where each input item went: its output's name, by the input index. */
function routes(outputs: INodeExecutionData[][], names: string[]): Record<number, string[]> {
	const found: Record<number, string[]> = {};
	outputs.forEach((output, index) => {
		for (const item of output) {
			const input = (item.pairedItem as { item: number }).item;
			(found[input] ??= []).push(names[index]);
		}
	});
	return found;
}

describe('Support Classifier outputs (the outputs expression, evaluated by n8n-workflow)', () => {
	it('dropped on the canvas, version 2 (the default) has Classified and Unsure; version 1 keeps its 12', () => {
		expect(node.description.defaultVersion).toBe(2);
		expect(outputNames(node)).toEqual(['Classified', 'Unsure']);
		expect(outputNames(node, { typeVersion: 1 })).toEqual([...NAMES, 'Unsure']);
		expect(outputNames(node, { parameters: { routing: 'perCategory' } })).toEqual([
			...NAMES,
			'Unsure',
		]);
		expect(
			outputNames(node, {
				parameters: {
					routing: 'perCategory',
					categories: { category: [{ name: 'billing' }, { name: 'bugs' }] },
					options: { unsureOutput: false },
				},
			}),
		).toEqual(['billing', 'bugs']);
	});

	it('a Routing the expression is not given (saved workflows leave defaults out) is the version default', () => {
		const names = (outputs: Array<{ displayName: string }>) => outputs.map((o) => o.displayName);
		expect(names(configuredOutputs({}, NAMES, 2))).toEqual(['Classified', 'Unsure']);
		expect(names(configuredOutputs({}, NAMES, 1))).toEqual([...NAMES, 'Unsure']);
		expect(names(configuredOutputs({}, NAMES))).toEqual([...NAMES, 'Unsure']);
	});
});

describe('Support Classifier execute (in process, offline model)', () => {
	it('version 2 dropped on the canvas: Classified and Unsure, each item paired', async () => {
		const { outputs, node: held } = await executeNode(node, {
			items: [
				refund,
				delivery,
				email('Cake', 'Preheat the oven to 180 degrees and bake for 25 minutes.'),
			],
		});
		expect(held.typeVersion).toBe(2);
		expect(held.parameters.routing).toBe('single');
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }], [{ item: 2 }]]);
		expect(outputs[0][0].json.support).toMatchObject({
			classification: { category: 'refund', routedTo: ['Classified'] },
		});
	});

	it('version 1 with saved defaults: one output per built-in category plus Unsure, each item paired', async () => {
		const { outputs } = await executeNode(node, {
			typeVersion: 1,
			items: [refund, delivery],
		});
		expect(outputs).toHaveLength(NAMES.length + 1);
		expect(routes(outputs, [...NAMES, 'Unsure'])).toEqual({ 0: ['refund'], 1: ['delivery'] });
		const all = outputs.flat();
		expect(all.map((item) => item.pairedItem).sort()).toEqual([{ item: 0 }, { item: 1 }]);
		expect(all[0].json.support).toMatchObject({ classification: { provider: 'offline' } });
		// The input item is not changed; the user's other fields go on.
		expect(refund.json.support).not.toHaveProperty('classification.routedTo');
		expect(all.every((item) => item.json.ticket === 'T-1')).toBe(true);
	});

	it('Single Output: Classified and Unsure; a threshold nobody reaches sends every item to Unsure', async () => {
		const single = await executeNode(node, {
			typeVersion: 1,
			parameters: { routing: 'single' },
			items: [refund, delivery],
		});
		expect(pairing(single.outputs)).toEqual([[{ item: 0 }, { item: 1 }], []]);
		expect(single.outputs[0][1].json.support).toMatchObject({
			classification: { category: 'delivery', routedTo: ['Classified'] },
		});

		const unsure = await executeNode(node, {
			typeVersion: 1,
			parameters: { routing: 'single', options: { threshold: 1 } },
			items: [refund, delivery],
		});
		expect(pairing(unsure.outputs)).toEqual([[], [{ item: 0 }, { item: 1 }]]);
		expect(unsure.outputs[1][0].json.support).toMatchObject({
			classification: { unsure: true, routedTo: ['Unsure'] },
		});

		const noUnsure = await executeNode(node, {
			typeVersion: 1,
			parameters: { routing: 'single', options: { threshold: 1, unsureOutput: false } },
			items: [refund],
		});
		expect(pairing(noUnsure.outputs)).toEqual([[{ item: 0 }]]);
	});

	it('Custom text: the default expression {{ $json.text }} is read per item', async () => {
		const { outputs } = await executeNode(node, {
			typeVersion: 1,
			parameters: { textSource: 'custom', routing: 'single' },
			items: [
				{ json: { text: (refund.json.support as { email: { text: string } }).email.text } },
				{ json: { text: (delivery.json.support as { email: { text: string } }).email.text } },
			],
		});
		expect(
			outputs
				.flat()
				.map((item) => [
					item.pairedItem,
					(item.json.support as { classification: { category: string } }).classification.category,
				]),
		).toEqual([
			[{ item: 0 }, 'refund'],
			[{ item: 1 }, 'delivery'],
		]);
	});

	it('Continue on Fail: the bad item goes to Unsure with its error, paired to its input; the others go on', async () => {
		const { outputs } = await executeNode(node, {
			typeVersion: 1,
			continueOnFail: true,
			items: [refund, noEmail, delivery],
		});
		expect(routes(outputs, [...NAMES, 'Unsure'])).toEqual({
			0: ['refund'],
			1: ['Unsure'],
			2: ['delivery'],
		});
		const failed = outputs[NAMES.length][0];
		expect(failed).toMatchObject({ json: { ticket: 'T-2' }, pairedItem: { item: 1 } });
		expect(String(failed.json.error)).toMatch(/support\.email is missing/);
	});

	it('without Continue on Fail the error is a node error naming the item and the node to put first', async () => {
		const error = await thrownBy(() =>
			executeNode(node, { typeVersion: 1, items: [refund, noEmail] }),
		);
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
		expect(error.message).toMatch(/support\.email is missing/);
	});
});
