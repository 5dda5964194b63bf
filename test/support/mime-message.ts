/**
 * A MIME message from its header lines: the text as text/plain, or, when `html` is given, both in a
 * multipart/alternative (boundary "b1").
 */
export function mimeMessage(head: string[], text: string, html?: string): string {
	if (!html) return [...head, 'Content-Type: text/plain; charset=utf-8', '', text].join('\r\n');
	return [
		...head,
		'Content-Type: multipart/alternative; boundary="b1"',
		'',
		'--b1',
		'Content-Type: text/plain; charset=utf-8',
		'',
		text,
		'--b1',
		'Content-Type: text/html; charset=utf-8',
		'',
		html,
		'--b1--',
	].join('\r\n');
}
