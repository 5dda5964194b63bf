/**
 * Issue 14: hostile mail is read in bounded time and memory, and every cut is said. Timing and
 * memory figures are measured in bench/hostile-mail (no timing assertions here); these tests show
 * what was cut and that the customer's words survive.
 */
import { normalizeInput } from '../../../lib/email/normalize';
import { boundHtml, HTML_LIMITS, splitHtml } from '../../../lib/email/html';
import { TEXT_LIMITS } from '../../../lib/email/clean-text';
import { hostileMails } from '../../fixtures/mime/hostile';

async function normalize(raw: Buffer) {
	return await normalizeInput(
		{ json: { raw }, binaryNames: [], binaryInfo: () => undefined, readBinary: async () => raw },
		{ source: 'field', rawField: 'raw', maxBytes: 50 * 1024 * 1024 },
	);
}

describe('hostile mail from issue 14', () => {
	for (const mail of hostileMails) {
		it(`${mail.name}: ${mail.description} is read, with a warning saying what was cut`, async () => {
			const email = await normalize(mail.raw());
			expect(email.text).toContain(mail.keeps);
			expect((email.warnings ?? []).join('\n')).toMatch(mail.expectCut);
			expect(email.text.length).toBeLessThanOrEqual(TEXT_LIMITS.maxTextChars);
			expect(email.fullText.length).toBeLessThanOrEqual(TEXT_LIMITS.maxFullTextChars);
		}, 60_000);
	}

	it('text/plain is preferred: the HTML next to it is not converted to text', async () => {
		const mail = hostileMails.find((m) => m.name === 'alternative-plain-and-hostile-html')!;
		const email = await normalize(mail.raw());
		expect(email.text).toBe('Hello support, my order #4471 never arrived.');
		expect(email.fullText).toBe(email.text);
	}, 60_000);
});

describe('boundHtml', () => {
	it('drops only the tags below the depth limit and keeps all text', () => {
		const html = `${'<div>'.repeat(200)}deep text${'</div>'.repeat(200)}`;
		const bounded = boundHtml(html);
		expect((bounded.html.match(/<div>/g) ?? []).length).toBe(HTML_LIMITS.maxDepth);
		expect(bounded.html).toContain('deep text');
		expect(bounded.warnings.join()).toMatch(/nests deeper than 128 elements; 72 tags/);
		expect(splitHtml(html).fullText).toBe('deep text');
	});

	it('leaves ordinary HTML as it is, with no warning', () => {
		const html = '<table><tr><td><p>Hi</p><p>Order <b>#4471</b></p></td></tr></table>';
		expect(boundHtml(html)).toEqual({ html, warnings: [] });
	});

	it('sloppy unclosed <p> and <li> do not count as nesting', () => {
		const html = `<ul>${'<li>item'.repeat(500)}</ul>${'<p>para'.repeat(500)}`;
		expect(boundHtml(html).warnings).toEqual([]);
	});

	it('tags hidden in comments cannot fool the depth count: the hard stop reads the body as text', () => {
		// Each round: the scanner sees <i> (in a comment) and 15 <b>, then </i> closes them all for
		// it; htmlparser2 ignores the comment and keeps every <b> open.
		const html =
			`<p>Keep this</p>${'<!--<i>-->' + '<b>'.repeat(15) + '</i>'}`.repeat(1) +
			('<!--<i>-->' + '<b>'.repeat(15) + '</i>').repeat(100);
		const parts = splitHtml(html);
		expect(parts.fullText).toContain('Keep this');
		expect(parts.warnings.join()).toMatch(/read as plain text with every tag removed/);
	});
});
