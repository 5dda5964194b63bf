/**
 * Support Email → Normalize, execute() in process: n8n's own mail node items and raw MIME (from a
 * field or a binary property) become support.email; pairedItem, Continue on Fail and the error without it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { SupportEmail } from '../../../nodes/SupportEmail/SupportEmail.node';
import { executeNode, pairing, thrownBy } from '../../support/execute-node';

const FIXTURES = join(__dirname, '../../fixtures');
const node = new SupportEmail();

const shape = (file: string) =>
	JSON.parse(readFileSync(join(FIXTURES, 'n8n-shapes', file), 'utf8')) as INodeExecutionData;
const gmail = shape('gmail-full.json');
const imap = shape('imap-resolved.json');
const rawMime = readFileSync(join(FIXTURES, 'mime', 'gmail-quoted.eml'));
const mimeFile: INodeExecutionData = {
	json: { ticket: 'T-4' },
	binary: {
		data: {
			data: rawMime.toString('base64'),
			mimeType: 'message/rfc822',
			fileName: 'message.eml',
			fileSize: `${rawMime.length} B`,
		},
	},
};
const notMail: INodeExecutionData = { json: { ticket: 'T-5', note: 'not an email' } };

type Email = { messageId: string; subject: string; provider: string; text: string };
const emailOf = (entry: INodeExecutionData) => (entry.json.support as { email: Email }).email;

describe('Support Email Normalize execute (in process)', () => {
	it('dropped on the canvas (Normalize, Auto-Detect): n8n Gmail, Email Trigger and MIME file items', async () => {
		const { outputs } = await executeNode(node, { items: [gmail, imap, mimeFile] });
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }, { item: 2 }]]);
		const [fromGmail, fromImap, fromFile] = outputs[0].map(emailOf);
		expect(fromGmail).toMatchObject({
			messageId: '<CAF12345@mail.customer.test>',
			subject: 'Order #12345 has not arrived',
		});
		expect(fromImap.messageId).toBe('<CAF12345@mail.customer.test>');
		expect(fromFile.messageId).toMatch(/^<.+@.+>$/);
		expect(fromFile.text.length).toBeGreaterThan(0);
		// The user's fields and the binary go on.
		expect(outputs[0][2].json.ticket).toBe('T-4');
		expect(outputs[0][2].binary?.data.fileName).toBe('message.eml');
	});

	it('Continue on Fail: an item that is no email goes on with its error, paired; the others are normalised', async () => {
		const { outputs } = await executeNode(node, {
			continueOnFail: true,
			items: [gmail, notMail, imap],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }, { item: 1 }, { item: 2 }]]);
		expect(outputs[0][1].json).toMatchObject({ ticket: 'T-5', error: expect.any(String) });
		expect(outputs[0][1].json.support).toBeUndefined();
		expect(outputs[0].map((entry) => entry.json.support && emailOf(entry).subject)).toEqual([
			'Order #12345 has not arrived',
			undefined,
			'Order #12345 has not arrived',
		]);
	});

	it('without Continue on Fail the error is a node error naming the item', async () => {
		const error = await thrownBy(() =>
			executeNode(node, {
				parameters: { source: 'binary', binaryPropertyName: 'attachment' },
				items: [mimeFile],
			}),
		);
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(0);
		expect(error.message).toBe('The item has no binary property "attachment"');
		expect((error as NodeOperationError).description).toBe(
			'Set "Input Binary Field" to one of: data.',
		);

		const second = await thrownBy(() => executeNode(node, { items: [gmail, notMail] }));
		expect((second as NodeOperationError).context.itemIndex).toBe(1);
	});
});
