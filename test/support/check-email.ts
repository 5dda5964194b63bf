import type { Expectation } from '../fixtures/mime/expectations';
import { normalizeWhitespace, stripAngles } from '../fixtures/mime/expectations';

/** Compares a normalised `support.email` with a fixture expectation, per the rules in expectations.ts. */
export function expectEmailToMatch(email: Record<string, any>, want: Expectation): void {
	const ids = (value: unknown) => (typeof value === 'string' ? stripAngles(value) : value);
	const absent = (value: unknown) => value === undefined || value === null || value === '';

	if (want.messageId !== undefined) expect(ids(email.messageId)).toBe(stripAngles(want.messageId));
	if (want.messageIdGenerated) {
		expect(typeof email.messageId).toBe('string');
		expect(email.messageId.length).toBeGreaterThan(4);
		expect(email.messageIdGenerated).toBe(true);
	}
	if (want.subject !== undefined) expect(email.subject).toBe(want.subject);
	if (want.subjectOneOf) expect(want.subjectOneOf).toContain(email.subject);
	if (want.from) {
		expect(email.from.address.toLowerCase()).toBe(want.from.address.toLowerCase());
		if (want.from.name !== undefined) expect(email.from.name).toBe(want.from.name);
	}
	if (want.replyTo === null) expect(absent(email.replyTo)).toBe(true);
	else if (want.replyTo)
		expect(email.replyTo.address.toLowerCase()).toBe(want.replyTo.address.toLowerCase());
	if (want.to)
		expect(email.to.map((a: { address: string }) => a.address.toLowerCase())).toEqual(
			want.to.map((a) => a.toLowerCase()),
		);
	if (want.cc)
		expect(email.cc.map((a: { address: string }) => a.address.toLowerCase())).toEqual(
			want.cc.map((a) => a.toLowerCase()),
		);
	if (want.inReplyTo === null) expect(absent(email.inReplyTo)).toBe(true);
	else if (want.inReplyTo !== undefined)
		expect(ids(email.inReplyTo)).toBe(stripAngles(want.inReplyTo));
	if (want.references) expect(email.references.map(ids)).toEqual(want.references.map(stripAngles));

	const text = normalizeWhitespace(email.text ?? '');
	const fullText = normalizeWhitespace(email.fullText ?? '');
	for (const phrase of want.textIncludes ?? []) expect(text).toContain(normalizeWhitespace(phrase));
	for (const phrase of want.textExcludes ?? [])
		expect(text).not.toContain(normalizeWhitespace(phrase));
	for (const phrase of want.fullTextIncludes ?? [])
		expect(fullText).toContain(normalizeWhitespace(phrase));
	if (want.textIsEmpty) {
		expect(text).toBe('');
		expect(fullText).toBe('');
	}
	if (want.html === true)
		expect(typeof email.html === 'string' && email.html.length > 0).toBe(true);
	if (want.html === false) expect(absent(email.html)).toBe(true);

	if (want.attachments) {
		const got = [...email.attachments].sort((a, b) => a.filename.localeCompare(b.filename));
		const expected = [...want.attachments].sort((a, b) => a.filename.localeCompare(b.filename));
		expect(got.map((a) => a.filename)).toEqual(expected.map((a) => a.filename));
		expected.forEach((attachment, i) => {
			expect(got[i].contentType).toBe(attachment.contentType);
			if (attachment.size !== undefined) expect(got[i].size).toBe(attachment.size);
			if (attachment.contentId !== undefined)
				expect(ids(got[i].contentId)).toBe(stripAngles(attachment.contentId));
			if (attachment.inline !== undefined) expect(Boolean(got[i].inline)).toBe(attachment.inline);
		});
	}
	if (want.autoSubmitted !== undefined) expect(email.autoSubmitted).toBe(want.autoSubmitted);
	if (want.autoSubmittedReason !== undefined)
		expect(email.autoSubmittedReason).toBe(want.autoSubmittedReason);
	if (want.autoSubmitted === false) expect(email.autoSubmittedReason).toBeUndefined();
	if (want.receivedAt)
		expect(new Date(email.receivedAt).getTime()).toBe(new Date(want.receivedAt).getTime());
	if (want.receivedAtFallback)
		expect(Number.isNaN(new Date(email.receivedAt).getTime())).toBe(false);
	if (want.hiddenText) {
		// Our choice: text a reader never sees is kept out of `text` and reported in `hiddenText`.
		expect(text).not.toContain(normalizeWhitespace(want.hiddenText));
		expect(normalizeWhitespace(email.hiddenText ?? '')).toContain(
			normalizeWhitespace(want.hiddenText),
		);
	}
}
