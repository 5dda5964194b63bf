/**
 * Realistic support emails for the benchmark, built from the Bitext customer-support set in
 * data/bitext-customer-support/: the customer's request becomes the body, wrapped the way people
 * write mail (a greeting, sometimes a second sentence, a sign-off, a signature, "Sent from my
 * iPhone", a quoted earlier reply from support built from Bitext's answer), with a subject that
 * varies per intent (Re:, order numbers, capitals, urgency words), a unique sender, and a quarter of
 * them as multipart/alternative with an HTML part. Deterministic for a seed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseCsvRecords } from '../../lib/offline-model/csv';
import { createRng, shuffleInPlace } from '../../lib/offline-model/random';

export interface BenchEmail {
	index: number;
	/** RFC 822 source. */
	raw: string;
	from: { name: string; address: string };
	subject: string;
	/** Bitext category, lower-cased: the built-in taxonomy's name for it. */
	category: string;
	intent: string;
}

const BITEXT_CSV = join(
	'data',
	'bitext-customer-support',
	'Bitext_Sample_Customer_Support_Training_Dataset.csv',
);

/** Subjects people write for each Bitext intent. */
const SUBJECTS: Record<string, string[]> = {
	cancel_order: ['Cancel my order', 'Order cancellation', 'Please cancel', 'Cancelling a purchase'],
	change_order: ['Change to my order', 'Modify order', 'Wrong item in my order', 'Order update'],
	change_shipping_address: ['New delivery address', 'Address change', 'Wrong shipping address'],
	check_cancellation_fee: ['Cancellation fee?', 'Fee for cancelling', 'Early termination charge'],
	check_invoice: ['Invoice question', 'Question about my bill', 'Charges on my invoice'],
	check_payment_methods: ['Payment options', 'Can I pay with PayPal?', 'Accepted cards'],
	check_refund_policy: ['Refund policy', 'Money-back guarantee?', 'Return and refund rules'],
	complaint: [
		'Very disappointed',
		'Complaint',
		'Terrible experience',
		'Not happy with the service',
	],
	contact_customer_service: ['How do I reach you?', 'Customer service hours', 'Contact details'],
	contact_human_agent: ['I need to talk to a person', 'Human agent please', 'Speak to someone'],
	create_account: ['Creating an account', 'Sign up', 'New account', 'Registration'],
	delete_account: ['Delete my account', 'Close my account', 'Account removal', 'GDPR deletion'],
	delivery_options: ['Shipping options', 'Express delivery?', 'Delivery methods'],
	delivery_period: [
		'When will it arrive?',
		'Delivery time',
		'Where is my parcel?',
		'Late delivery',
	],
	edit_account: ['Update my details', 'Change account info', 'Edit profile'],
	get_invoice: ['Need an invoice', 'Invoice request', 'Copy of my invoice', 'Receipt for VAT'],
	get_refund: ['Refund request', 'I want my money back', 'Refund please', 'Return and refund'],
	newsletter_subscription: ['Newsletter', 'Unsubscribe', 'Stop the emails', 'Subscribe me'],
	payment_issue: ['Payment failed', 'Problem paying', 'Card declined', 'Charged twice'],
	place_order: ['Placing an order', 'Want to buy', 'Order question', 'Bulk order'],
	recover_password: ['Forgot password', 'Password reset', "Can't log in", 'Locked out'],
	registration_problems: ['Cannot register', 'Sign-up error', 'Registration not working'],
	review: ['Feedback', 'My review', 'Great service!', 'Some thoughts on your shop'],
	set_up_shipping_address: ['Shipping address', 'Add a delivery address', 'Address setup'],
	switch_account: ['Switch accounts', 'Change account type', 'Upgrade my account'],
	track_order: ['Order status', 'Tracking my order', 'Where is my order?', 'Track package'],
	track_refund: ['Refund status', 'Still waiting for my refund', 'Where is my refund?'],
};

const FIRST = [
	'Maria',
	'James',
	'Aisha',
	'Liam',
	'Sofia',
	'Noah',
	'Chen',
	'Olivia',
	'Lucas',
	'Emma',
	'Mateo',
	'Hannah',
	'Ravi',
	'Chloe',
	'Ahmed',
	'Isabella',
	'Jonas',
	'Mia',
	'Kenji',
	'Zoe',
	'Pedro',
	'Grace',
	'Tomás',
	'Léa',
	'Björn',
	'Priya',
	'Daniel',
	'Fatima',
	'Oliver',
	'Ana',
];
const LAST = [
	'Garcia',
	'Smith',
	'Khan',
	'Murphy',
	'Rossi',
	'Johnson',
	'Wang',
	'Brown',
	'Martin',
	'Müller',
	'Silva',
	'Nguyen',
	'Patel',
	'Dubois',
	'Kowalski',
	'Jensen',
	'Tanaka',
	'Ahmed',
	'Cohen',
	'Novak',
	'López',
	'Walker',
	'Hughes',
	'Andersson',
	'Costa',
	'Fischer',
	'Okafor',
	'Reyes',
	'Moore',
	'Kim',
];
const DOMAINS = [
	'gmail.com',
	'outlook.com',
	'yahoo.com',
	'icloud.com',
	'proton.me',
	'web.de',
	'example.org',
	'contoso-corp.com',
	'fabrikam.net',
];
const GREETINGS = [
	'Hi,',
	'Hello,',
	'Hi there,',
	'Dear Customer Support,',
	'Hello team,',
	'Good morning,',
	'Hey,',
	'Dear Sir or Madam,',
	'',
];
const EXTRA = [
	"I've looked through the help pages but couldn't find an answer.",
	"This is the second time I'm writing about this.",
	"I'd appreciate a quick reply.",
	"I've been a customer for several years.",
	'Could you please get back to me today?',
	'Thanks in advance for your help.',
	'My customer number is C-{n}.',
	'I already tried the app and the website.',
	'Please let me know what information you need from me.',
];
const CLOSINGS = ['Thanks,', 'Best regards,', 'Kind regards,', 'Cheers,', 'Thank you,', 'Regards,'];
const PLACEHOLDERS: Record<string, string> = {
	'Order Number': '{order}',
	'Purchase ID Anonymized': '{order}',
	'Invoice Number': 'INV-{n}',
	'Website Name': 'acme-shop.test',
	'Website URL': 'https://acme-shop.test',
	'Company Name': 'Acme Shop',
	'Customer Support Phone Number': '+1 555 0100',
	'Customer Support Email': 'support@acme-shop.test',
	'Customer Support Hours': '9am to 6pm',
	'Refund Amount': '$49.90',
};

/** Reads the Bitext rows (instruction, category, intent) from the repository's data folder. */
export function loadBitextRows(
	repoRoot: string,
): Array<{ instruction: string; category: string; intent: string; response: string }> {
	return parseCsvRecords(readFileSync(join(repoRoot, BITEXT_CSV), 'utf8')).map((row) => ({
		instruction: row.instruction,
		category: row.category.toLowerCase(),
		intent: row.intent,
		response: row.response,
	}));
}

/** `count` emails (Bitext rows in a seeded order, cycling when count exceeds the set). */
export function generateEmails(repoRoot: string, count: number, seed = 20261124): BenchEmail[] {
	const rows = loadBitextRows(repoRoot);
	const random = createRng(seed);
	const order = rows.map((_, i) => i);
	shuffleInPlace(order, random);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const chance = (p: number) => random() < p;
	const emails: BenchEmail[] = [];
	const start = Date.UTC(2026, 10, 2, 7, 0, 0);

	for (let index = 0; index < count; index++) {
		const row = rows[order[index % order.length]];
		const first = pick(FIRST);
		const last = pick(LAST);
		const name = `${first} ${last}`;
		const address = `${ascii(first)}.${ascii(last)}.${index}@${pick(DOMAINS)}`.toLowerCase();
		const orderNumber =
			/\b\d{9,15}\b/.exec(row.instruction)?.[0] ?? String(100000 + Math.floor(random() * 900000));
		const fill = (text: string) =>
			text
				.replace(/\{\{([^}]+)\}\}/g, (_m, key: string) => PLACEHOLDERS[key.trim()] ?? key.trim())
				.replace(/\{order\}/g, orderNumber)
				.replace(/\{n\}/g, String(1000 + index));

		let subject = pick(SUBJECTS[row.intent] ?? ['Question']);
		if (/order|purchase|refund|deliver|parcel|package/i.test(subject) && chance(0.3))
			subject += ` #${orderNumber}`;
		if (chance(0.05)) subject = `URGENT: ${subject}`;
		if (chance(0.08)) subject = subject.toLowerCase();
		const quoted = chance(0.2);
		if (quoted) subject = `Re: ${subject}`;
		else if (chance(0.03)) subject = `Fwd: ${subject}`;

		const lines: string[] = [];
		const greeting = pick(GREETINGS);
		if (greeting) lines.push(greeting, '');
		let body = row.instruction.replace(/\s+/g, ' ').trim();
		body = body.charAt(0).toUpperCase() + body.slice(1);
		if (!/[.?!]$/.test(body))
			body += /^(how|can|could|where|what|when|is|do|i want to know)/i.test(body) ? '?' : '.';
		const extras = chance(0.6) ? [fill(pick(EXTRA))] : [];
		if (chance(0.2)) extras.push(fill(pick(EXTRA)));
		lines.push([body, ...extras].join(' '), '');
		lines.push(pick(CLOSINGS), chance(0.5) ? first : name);
		if (chance(0.3)) lines.push('', '-- ', name, `Phone: +1 555 ${String(1000 + (index % 9000))}`);
		if (chance(0.1)) lines.push('', 'Sent from my iPhone');
		if (quoted) {
			const when = new Date(start + index * 60_000 - 86_400_000)
				.toUTCString()
				.replace('GMT', '+0000');
			const reply = fill(row.response).split('\n').filter(Boolean).slice(0, 3);
			lines.push('', `On ${when}, Acme Support <support@acme-shop.test> wrote:`);
			for (const line of reply) lines.push(`> ${line}`);
		}
		const text = lines.join('\n');
		const date = new Date(start + index * 60_000 + Math.floor(random() * 50_000))
			.toUTCString()
			.replace('GMT', '+0000');
		const headers = [
			`From: ${encodeWord(name)} <${address}>`,
			'To: Acme Support <support@acme-shop.test>',
			`Subject: ${encodeWord(subject)}`,
			`Date: ${date}`,
			`Message-ID: <bench-${seed}-${index}@${address.split('@')[1]}>`,
			'MIME-Version: 1.0',
		];
		let raw: string;
		if (chance(0.25)) {
			const boundary = `----=_Part_${seed}_${index}`;
			raw = [
				...headers,
				`Content-Type: multipart/alternative; boundary="${boundary}"`,
				'',
				`--${boundary}`,
				'Content-Type: text/plain; charset=utf-8',
				'Content-Transfer-Encoding: 8bit',
				'',
				text,
				`--${boundary}`,
				'Content-Type: text/html; charset=utf-8',
				'Content-Transfer-Encoding: 8bit',
				'',
				toHtml(text),
				`--${boundary}--`,
				'',
			].join('\r\n');
		} else {
			raw = [
				...headers,
				'Content-Type: text/plain; charset=utf-8',
				'Content-Transfer-Encoding: 8bit',
				'',
				text.replace(/\n/g, '\r\n'),
			].join('\r\n');
		}
		emails.push({
			index,
			raw,
			from: { name, address },
			subject,
			category: row.category,
			intent: row.intent,
		});
	}
	return emails;
}

function ascii(text: string): string {
	return text.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

/** RFC 2047 encoded word for header text that is not plain ASCII. */
function encodeWord(text: string): string {
	if (/^[\x20-\x7e]*$/.test(text)) return text;
	return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function toHtml(text: string): string {
	const escape = (s: string) =>
		s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
	const quoteAt = text.search(/\nOn .* wrote:\n/);
	const own = quoteAt >= 0 ? text.slice(0, quoteAt) : text;
	const quote = quoteAt >= 0 ? text.slice(quoteAt + 1) : '';
	const paragraphs = own
		.split(/\n\n+/)
		.map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`)
		.join('\n');
	const quoted = quote
		? `\n<div class="gmail_quote"><div>${escape(quote.split('\n')[0])}</div><blockquote>${quote
				.split('\n')
				.slice(1)
				.map((l) => escape(l.replace(/^> ?/, '')))
				.join('<br>')}</blockquote></div>`
		: '';
	return `<html><body>\n${paragraphs}${quoted}\n</body></html>`;
}
