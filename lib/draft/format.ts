import { replySubject } from '../mail/compose';
import { CLOSINGS, fillPlaceholders, isTemplateLanguage } from './templates';
import type { PlaceholderValues } from './templates';

export { replySubject };

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The HTML version of a plain-text reply: every character escaped first (customer text and model
 * output never reach the HTML unescaped), then paragraphs, line breaks and links to http(s) URLs.
 */
export function textToHtml(text: string): string {
	const paragraphs = text
		.replace(/\r\n?/g, '\n')
		.split(/\n{2,}/)
		.map((p) => p.trim())
		.filter(Boolean);
	const body = paragraphs
		.map((p) => `<p>${linkify(escapeHtml(p)).split('\n').join('<br>\n')}</p>`)
		.join('\n');
	return `<div dir="auto">\n${body}\n</div>`;
}

/** Links URLs in already-escaped text: an escaped URL holds no quote or angle bracket. */
function linkify(escaped: string): string {
	return escaped.replace(
		/\bhttps?:\/\/[^\s<]+[^\s<.,;:!?)]/g,
		(url) => `<a href="${url}">${url}</a>`,
	);
}

/**
 * The signature under every reply: the node's own text (placeholders allowed), or the agent's and
 * the company's names, after a closing line in the reply language when `closing` is set (template
 * replies; a model writes its own closing in the reply language).
 */
export function signatureFor(
	language: string,
	custom: string | undefined,
	values: PlaceholderValues,
	closing: boolean,
): string {
	if (custom?.trim()) return fillPlaceholders(custom, values);
	const lang = isTemplateLanguage(language) ? language : 'en';
	const line = closing ? CLOSINGS[lang] : undefined;
	const company = values.companyName?.trim();
	let agent = values.agentName?.trim();
	// "The Acme support team" is a team line, not a person: said in the reply's language.
	if (company && (!agent || (lang !== 'en' && /^the\b.*\bteam$/i.test(agent))))
		agent = TEAM_LINES[lang].replace('{{companyName}}', company);
	// The company is named once: not again under a name that already holds it.
	const names =
		agent && company && agent.toLowerCase().includes(company.toLowerCase())
			? [agent]
			: [agent, company];
	return [line, ...names]
		.map((part) => part?.trim())
		.filter(Boolean)
		.join('\n');
}

/** The team line of the default signature, per language. */
const TEAM_LINES: Record<'en' | 'de' | 'fr' | 'es', string> = {
	en: 'The {{companyName}} support team',
	de: 'Ihr {{companyName}}-Support-Team',
	fr: 'L’équipe support {{companyName}}',
	es: 'El equipo de soporte de {{companyName}}',
};

/**
 * Body plus signature (added by us, never by the model). A model's reply ends with its closing
 * phrase, so the names follow on the next line; a template's body is followed by a blank line and
 * the signature with its own closing.
 */
export function withSignature(body: string, signature: string, afterClosing = false): string {
	const trimmed = body.trim();
	if (!signature.trim()) return trimmed;
	return `${trimmed}${afterClosing ? '\n' : '\n\n'}${signature.trim()}`;
}
