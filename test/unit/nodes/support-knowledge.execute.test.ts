/**
 * Support Knowledge → Search on the built-in demo help centre, execute() in process: what it finds per
 * item, Options > Query as a per-item expression, pairedItem, Continue on Fail and the errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { SupportKnowledge } from '../../../nodes/SupportKnowledge/SupportKnowledge.node';
import { supportItem } from '../escalation/fixtures';
import { executeNode, pairing, thrownBy } from '../../support/execute-node';
import { knowledgeFolderPerTest } from '../../support/knowledge-folder';

const node = new SupportKnowledge();

const refund: INodeExecutionData = {
	json: supportItem({
		subject: 'Refund',
		text: 'I sent the shoes back two weeks ago. When will I get my refund?',
		classification: { category: 'refund' },
	}),
};
const password: INodeExecutionData = {
	json: supportItem({
		subject: 'Cannot log in',
		text: 'I forgot my password and the reset link does not arrive. How do I reset my password?',
		classification: { category: 'account' },
	}),
};
const noEmail: INodeExecutionData = { json: { ticket: 'T-6' } };

type Found = { title?: string; text: string; score: number; source: string };
const found = (entry: INodeExecutionData) =>
	(entry.json.support as { knowledge: Found[] }).knowledge;
const words = (hits: Found[]) =>
	hits
		.map((hit) => `${hit.title ?? ''} ${hit.text}`)
		.join(' ')
		.toLowerCase();

describe('Support Knowledge Search execute (in process, demo help centre)', () => {
	it('dropped on the canvas: up to 3 articles per email, best first, each item paired', async () => {
		const { outputs } = await executeNode(node, { items: [refund, password] });
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }]]);
		const [forRefund, forPassword] = outputs[0].map(found);
		for (const hits of [forRefund, forPassword]) {
			expect(hits.length).toBeGreaterThan(0);
			expect(hits.length).toBeLessThanOrEqual(3);
			const scores = hits.map((hit) => hit.score);
			expect(scores).toEqual([...scores].sort((a, b) => b - a));
		}
		expect(words(forRefund.slice(0, 1))).toContain('refund');
		expect(words(forPassword.slice(0, 1))).toContain('password');
		expect(outputs[0][0].json.support).toHaveProperty('answer.confidence');
		expect(refund.json.support).not.toHaveProperty('knowledge');
	});

	it('Options > Query is an expression read per item; it needs no support.email', async () => {
		const { outputs } = await executeNode(node, {
			parameters: { options: { query: '={{ $json.question }}', maxResults: 1 } },
			items: [
				{ json: { question: 'how do I reset my password' } },
				{ json: { question: 'when will I get my refund' } },
			],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }]]);
		expect(outputs[0].map((entry) => found(entry).length)).toEqual([1, 1]);
		expect(words(found(outputs[0][0]))).toContain('password');
		expect(words(found(outputs[0][1]))).toContain('refund');
	});

	it('Continue on Fail: an item without an email goes on with its error, paired; the others are searched', async () => {
		const { outputs } = await executeNode(node, {
			continueOnFail: true,
			items: [refund, noEmail, password],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }, { item: 2 }]]);
		expect(outputs[0][1].json).toMatchObject({
			ticket: 'T-6',
			error: expect.stringMatching(/support\.email is missing/),
		});
		expect(found(outputs[0][0]).length).toBeGreaterThan(0);
		expect(found(outputs[0][2]).length).toBeGreaterThan(0);
	});

	it('without Continue on Fail the error is a node error naming the item', async () => {
		const error = await thrownBy(() => executeNode(node, { items: [refund, noEmail] }));
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
		expect(error.message).toMatch(/support\.email is missing/);
	});

	it('changing the demo help centre is refused with what to set instead', async () => {
		const error = await thrownBy(() =>
			executeNode(node, { parameters: { operation: 'delete', ids: 'a1' }, items: [refund] }),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('The built-in demo help centre cannot be changed');
	});
});

describe('Support Knowledge Sync Folder execute (in process, an index file)', () => {
	const dir = knowledgeFolderPerTest('sync-folder-');

	it('reads every article file under the folder, skips the unreadable ones with why, and is incremental', async () => {
		const folder = join(dir(), 'help');
		mkdirSync(join(folder, 'billing'), { recursive: true });
		mkdirSync(join(folder, '.drafts'));
		writeFileSync(
			join(folder, 'billing', 'refunds.de.md'),
			'# Wann bekomme ich mein Geld zurück?\n\nInnerhalb von 5 Werktagen.\n',
		);
		writeFileSync(
			join(folder, 'password.html'),
			'<h1>Reset your password</h1><p>Click "Forgot".</p>',
		);
		writeFileSync(join(folder, '.drafts', 'secret.md'), '# Draft\n\nNot published.\n');
		writeFileSync(join(folder, 'logo.png'), 'not an article');
		writeFileSync(join(folder, 'empty.md'), '');
		writeFileSync(join(folder, 'big.md'), `# Big\n\n${'x'.repeat(2 * 1024 * 1024)}`);
		const parameters = {
			operation: 'syncFolder',
			knowledgeBase: 'file',
			folder,
			writeOptions: { indexPath: join(dir(), 'index.json') },
		};
		const first = await executeNode(node, { parameters, items: [{ json: {} }] });
		expect(pairing(first.outputs)).toEqual([[{ item: 0 }]]);
		const summary = first.outputs[0][0].json.knowledge as Record<string, unknown>;
		expect(summary).toMatchObject({
			folder,
			file: join(dir(), 'index.json'),
			files: 4,
			added: 2,
			updated: 0,
			unchanged: 0,
		});
		expect(summary.skipped).toEqual([
			{ file: 'big.md', error: 'larger than 2 MB' },
			{ file: 'empty.md', error: expect.stringMatching(/no text/) },
		]);
		const again = await executeNode(node, { parameters, items: [{ json: {} }] });
		expect(again.outputs[0][0].json.knowledge).toMatchObject({ files: 4, added: 0, unchanged: 2 });

		const error = await thrownBy(() =>
			executeNode(node, {
				parameters: { ...parameters, folder: join(dir(), 'missing') },
				items: [{ json: {} }],
			}),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		// n8n words an ENOENT message its own way; the node's hint says what to check.
		expect(error.message).toBe('The file or directory does not exist');
		expect((error as NodeOperationError).description).toMatch(
			/^Check the path and that n8n may read it/,
		);
	});
});
