import {
	PAST_REPLY_LIMITS,
	pastReplyFromMime,
	quotedMessage,
	splitMbox,
} from '../../../lib/mail/past-replies';
import { GMAIL_STYLE, OUTLOOK_GERMAN, sentReply } from '../../support/past-reply-fixtures';

describe('past replies from mail', () => {
	it('takes the reply and the one quoted level of a Gmail-style reply', async () => {
		const result = await pastReplyFromMime(Buffer.from(GMAIL_STYLE));
		expect(result.skipped).toBeUndefined();
		expect(result.conversation?.subject).toBe('Where is my order?');
		expect(result.conversation?.reply).toContain('Your parcel left our warehouse yesterday');
		expect(result.conversation?.reply).not.toContain('ordered a lamp');
		expect(result.conversation?.customerMessage).toBe(
			'Hello, I ordered a lamp ten days ago and it has not arrived.\nWhere is my order?',
		);
		expect(result.conversation?.id).toBe('<reply.1@acme.test>');
	});

	it('reads an Outlook-style German reply (header block, no > marks)', async () => {
		const result = await pastReplyFromMime(Buffer.from(OUTLOOK_GERMAN));
		expect(result.conversation?.subject).toBe('Rückerstattung');
		expect(result.conversation?.customerMessage).toBe(
			'Ich habe die Ware zurückgeschickt. Wann bekomme ich mein Geld zurück?',
		);
		expect(result.conversation?.reply).toContain('Rückerstattung wurde heute veranlasst');
		expect(result.conversation?.reply).not.toContain('Ware zurückgeschickt');
	});

	it('says why a message gives no conversation', async () => {
		const notReply = [
			'From: Acme <support@acme.test>',
			'To: jane@customer.test',
			'Subject: Our newsletter',
			'Message-ID: <n@acme.test>',
			'',
			'News.',
		].join('\r\n');
		expect((await pastReplyFromMime(Buffer.from(notReply))).skipped).toMatch(/not a reply/);
		const noQuote = sentReply('Re: Thanks', 'You are welcome!');
		expect((await pastReplyFromMime(Buffer.from(noQuote))).skipped).toMatch(/does not quote/);
		expect((await pastReplyFromMime(Buffer.from('\u0000\u0001garbage'))).skipped).toBeDefined();
		const huge = Buffer.alloc(PAST_REPLY_LIMITS.maxMessageBytes + 1, 0x61);
		expect((await pastReplyFromMime(huge)).skipped).toMatch(/larger than/);
	});

	it('splits an mbox (mboxrd: >From unescaped) and reads every reply in it', async () => {
		const body = GMAIL_STYLE.replace('Best regards,', '>From our warehouse, best regards,');
		const mbox = [
			'From support@acme.test Mon Jan  5 10:10:00 2026',
			body.replace(/\r\n/g, '\n'),
			'',
			'From support@acme.test Mon Jan  5 11:00:00 2026',
			OUTLOOK_GERMAN.replace(/\r\n/g, '\n'),
			'',
		].join('\n');
		const messages = splitMbox(Buffer.from(mbox, 'utf8'));
		expect(messages).toHaveLength(2);
		expect(messages[0].toString('utf8')).toContain('\nFrom our warehouse, best regards,');
		const replies = await Promise.all(messages.map((m) => pastReplyFromMime(m)));
		expect(replies.map((r) => r.conversation?.subject)).toEqual([
			'Where is my order?',
			'Rückerstattung',
		]);
		// A single EML (no "From " line) is one message.
		expect(splitMbox(Buffer.from(GMAIL_STYLE))).toHaveLength(1);
	});

	it('keeps only the first quote level', () => {
		expect(quotedMessage('Sure.\n\nOn Mon, Jane wrote:\n> Question?\n> > Older\n')).toBe(
			'Question?',
		);
	});
});
