/**
 * One-line questions as customer email (`npm run eval:answers -- --framed`, and bench/answers' mail-length
 * emails): each question as the body of an email, the way customers write (a greeting, a line of
 * context, the question, thanks and a name, under a generic subject). The public sets are one-line
 * questions; this measures what the length and the politeness around a question do to the
 * confidence. The frames are written for this repository; the questions inside are the sets' own.
 */
export const FRAMES = {
	subjects: ['', 'Question', 'Help needed', 'Quick question', 'Support request', 'My account'],
	greetings: ['Hi,', 'Hello,', 'Hello support team,', 'Dear Sir or Madam,', 'Good morning,', ''],
	context: [
		'',
		'I hope you can help me with something.',
		'I have been a customer for a few years and never had to write to you before.',
		'I looked through the app first but could not work this out myself.',
		'Sorry to bother you, I am sure you get this a lot.',
		'I tried calling earlier but the line was busy.',
	],
	thanks: [
		'Thanks in advance.',
		'Thank you!',
		'Looking forward to hearing from you.',
		'Any help is appreciated.',
		'',
	],
	names: [
		'Best regards,\nSarah Miller',
		'Thanks,\nTom',
		'Kind regards,\nJ. Alvarez',
		'Cheers,\nPriya',
		'Mark',
	],
};

export function framedMail(
	question: string,
	random: () => number,
): { subject: string; text: string } {
	const pick = (list: string[]) => list[Math.floor(random() * list.length)];
	const subject = pick(FRAMES.subjects);
	const body = [
		pick(FRAMES.greetings),
		pick(FRAMES.context),
		question,
		pick(FRAMES.thanks),
		pick(FRAMES.names),
	]
		.filter(Boolean)
		.join('\n\n');
	return { subject, text: body };
}
