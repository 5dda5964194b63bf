import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mimeExpectations } from '../fixtures/mime/expectations';
import { makeLargeAttachmentEmail, LARGE_ATTACHMENT_FILENAME } from '../fixtures/mime/large';
import type { Workflow, WorkflowNode } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { expectEmailToMatch } from '../support/check-email';

const MIME = join(__dirname, '../fixtures/mime');
const SHAPES = join(__dirname, '../fixtures/n8n-shapes');

function supportEmailNode(
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
): WorkflowNode {
	return {
		name: 'Support Email',
		type: `${NODE_PREFIX}.supportEmail`,
		typeVersion: 1,
		parameters: { operation: 'normalize', ...parameters },
		...extra,
	};
}

function single(node: WorkflowNode): Workflow {
	return { nodes: [node], connections: {} };
}

/** Convert to File (n8n's own node) turns a base64 field into a binary property, as an upload would. */
function viaBinary(node: WorkflowNode): Workflow {
	return {
		nodes: [
			{
				name: 'To File',
				type: 'n8n-nodes-base.convertToFile',
				typeVersion: 1.1,
				parameters: {
					operation: 'toBinary',
					sourceProperty: 'base64',
					binaryPropertyName: 'data',
					options: { fileName: 'message.eml', mimeType: 'message/rfc822' },
				},
			},
			node,
		],
		connections: { 'To File': { main: [[{ node: node.name, type: 'main', index: 0 }]] } },
	};
}

describe('Normalize in real n8n', () => {
	const n8n = sharedN8n();
	const files = Object.keys(mimeExpectations);
	const good = files.filter((f) => !mimeExpectations[f].error);
	const broken = files.filter((f) => mimeExpectations[f].error);

	it('normalises every real-world fixture from a field; broken input becomes an error item under Continue on Fail', async () => {
		// base64, as Gmail's "raw" format carries mail: JSON text cannot hold the 8-bit charset fixtures byte for byte.
		const items = files.map((file) => ({
			file,
			raw: readFileSync(join(MIME, file)).toString('base64'),
			keep: 'user field',
		}));
		const run = await n8n.execute(
			single(
				supportEmailNode(
					{ source: 'field', rawField: 'raw' },
					{ onError: 'continueRegularOutput' },
				),
			),
			items,
		);
		expect(run.status).toBe('success');
		const out = run.output('Support Email');
		expect(out).toHaveLength(files.length);
		out.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.file).toBe(files[index]);
			expect(item.json.keep).toBe('user field');
		});
		for (const [index, file] of files.entries()) {
			const item = out[index];
			if (broken.includes(file)) {
				expect(item.json.support).toBeUndefined();
				expect(item.json.error).toMatch(new RegExp(mimeExpectations[file].error!, 'i'));
				expect(item.json.raw).toBe(items[index].raw);
			} else {
				expect(item.json.error).toBeUndefined();
				expectEmailToMatch(item.json.support.email, mimeExpectations[file]);
			}
		}
		expect(good.length).toBeGreaterThan(15);
	});

	it('stops the workflow with a clear node error on a non-MIME blob when Continue on Fail is off', async () => {
		const blob = readFileSync(join(MIME, 'non-mime-blob.txt'), 'utf8');
		const run = await n8n.execute(single(supportEmailNode({ source: 'field', rawField: 'raw' })), [
			{ raw: blob },
		]);
		expect(run.status).toBe('error');
		const error = run.nodeError('Support Email');
		expect(error?.message).toMatch(/not an email message/);
		expect(error?.description).toMatch(/raw RFC 822/);
		expect(run.error?.node).toBe('Support Email');
	});

	it('names the missing field when the raw field is not on the item', async () => {
		const run = await n8n.execute(single(supportEmailNode({ source: 'field', rawField: 'mime' })), [
			{ raw: 'x' },
		]);
		expect(run.status).toBe('error');
		expect(run.nodeError('Support Email')?.message).toMatch(/no field "mime"/);
		expect(run.nodeError('Support Email')?.description).toMatch(/The item's fields are: raw/);
	});

	it(
		'reads an .eml from a binary property: a 10 MB attachment is counted, not copied onto the item',
		async () => {
			const raw = makeLargeAttachmentEmail(10 * 1024 * 1024);
			const run = await n8n.execute(
				viaBinary(supportEmailNode({ source: 'binary', binaryPropertyName: 'data' })),
				[{ base64: raw.toString('base64') }],
			);
			expect(run.status).toBe('success');
			const [item] = run.output('Support Email');
			const email = item.json.support.email;
			expect(email.attachments).toEqual([
				expect.objectContaining({ filename: LARGE_ATTACHMENT_FILENAME, size: 10 * 1024 * 1024 }),
			]);
			expect(email.size).toBe(raw.length);
			expect(item.binary?.data).toBeDefined();
			expect(JSON.stringify(email).length).toBeLessThan(64 * 1024);
			// 13 MB of base64 through n8n's own Convert to File and our node: over 3 min at load 20.
		},
		10 * 60_000,
	);

	it('auto-detects items from n8n Gmail and Email Trigger (IMAP) nodes', async () => {
		const shapes = [
			'gmail-full.json',
			'gmail-trigger-full.json',
			'imap-resolved.json',
			'imap-simple.json',
			'gmail-simple.json',
		];
		const items = shapes.map((file) => JSON.parse(readFileSync(join(SHAPES, file), 'utf8')).json);
		const run = await n8n.execute(single(supportEmailNode({ source: 'auto' })), items);
		expect(run.status).toBe('success');
		const out = run.output('Support Email');
		expect(out.map((i) => i.json.support.email.provider)).toEqual([
			'gmail',
			'gmail',
			'imap',
			'imap',
			'gmail',
		]);
		for (const item of out) {
			expect(item.json.support.email).toMatchObject({
				subject: 'Order #12345 has not arrived',
				from: { name: 'Jane Doe', address: 'jane@customer.test' },
			});
		}
		for (const item of out.slice(0, 4))
			expect(item.json.support.email.text).toBe('Hello,\n\nMy order #12345 has not arrived yet.');
		expect(out[4].json.support.email.warnings.join(' ')).toMatch(/Simplify/);
	});

	it('runs from a Manual Trigger through the n8n CLI', async () => {
		const raw = readFileSync(join(MIME, 'auto-reply.eml'), 'utf8');
		const id = await n8n.importWorkflow({
			name: 'manual normalize',
			nodes: [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
				{
					name: 'Mail',
					type: 'n8n-nodes-base.set',
					typeVersion: 3.4,
					parameters: {
						mode: 'raw',
						jsonOutput: JSON.stringify({ raw }),
						options: {},
					},
				},
				supportEmailNode({ source: 'auto' }),
			],
			connections: {
				Start: { main: [[{ node: 'Mail', type: 'main', index: 0 }]] },
				Mail: { main: [[{ node: 'Support Email', type: 'main', index: 0 }]] },
			},
		});
		const run = await n8n.executeManual(id);
		expect(run.status).toBe('success');
		const [item] = run.output('Support Email');
		expect(item.json.support.email).toMatchObject({
			autoSubmitted: true,
			autoSubmittedReason: 'auto-replied',
		});
	});
});
