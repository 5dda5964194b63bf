/** Sent replies as a support mailbox holds them: Gmail-style `> ` quoting and an Outlook-style German reply. */
let counter = 0;
export function sentReply(subject: string, body: string, extra = ''): string {
	counter++;
	return [
		'From: Acme Support <support@acme.test>',
		'To: Jane <jane@customer.test>',
		`Subject: ${subject}`,
		`Message-ID: <reply.${counter}@acme.test>`,
		'In-Reply-To: <question@customer.test>',
		`Date: ${new Date(Date.UTC(2026, 0, counter)).toUTCString()}`,
		'Content-Type: text/plain; charset=utf-8',
		extra,
		'',
		body,
	]
		.filter((line, i) => line !== '' || i > 6)
		.join('\r\n');
}

export const GMAIL_STYLE = sentReply(
	'Re: Where is my order?',
	[
		'Hi Jane,',
		'',
		'Your parcel left our warehouse yesterday; the tracking link is in your shipping email.',
		'',
		'Best regards,',
		'Acme Support',
		'',
		'On Mon, 5 Jan 2026 at 10:02, Jane <jane@customer.test> wrote:',
		'> Hello, I ordered a lamp ten days ago and it has not arrived.',
		'> Where is my order?',
		'>',
		'> > On Sun, 4 Jan 2026 Acme <shop@acme.test> wrote:',
		'> > Thank you for your order.',
	].join('\r\n'),
);

export const OUTLOOK_GERMAN = sentReply(
	'AW: Rückerstattung',
	[
		'Guten Tag Herr Müller,',
		'',
		'die Rückerstattung wurde heute veranlasst und ist in 5 bis 7 Werktagen auf Ihrem Konto.',
		'',
		'-----Ursprüngliche Nachricht-----',
		'Von: Hans Müller <hans@kunde.test>',
		'Gesendet: Montag, 5. Januar 2026 09:00',
		'An: support@acme.test',
		'Betreff: Rückerstattung',
		'',
		'Ich habe die Ware zurückgeschickt. Wann bekomme ich mein Geld zurück?',
	].join('\r\n'),
);
