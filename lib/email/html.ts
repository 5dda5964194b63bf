import { parseDocument } from 'htmlparser2';
import type { AnyNode, Element } from 'domhandler';
import { isTag } from 'domhandler';
import { removeElement, textContent } from 'domutils';
import render from 'dom-serializer';
import { convert } from 'html-to-text';

/**
 * Containers that mail clients put quoted history in. Everything inside them, and for the reply
 * separators everything after them, is history, not the customer's new words.
 */
const QUOTE_CLASSES = [
	'gmail_quote',
	'gmail_extra',
	'yahoo_quoted',
	'moz-cite-prefix',
	'protonmail_quote',
	'zmail_extra',
];
/** Outlook / Apple markers after which the rest of the body is the forwarded or replied-to message. */
const REPLY_SEPARATOR_IDS = [
	'divRplyFwdMsg',
	'appendonsend',
	'OLK_SRC_BODY_SECTION',
	'mail-editor-reference-message-container',
];

const HIDDEN_STYLE =
	/(^|;)\s*(display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(px|pt|em|%)?\s*(;|$|!)|max-height\s*:\s*0(px)?\s*(;|$|!)|opacity\s*:\s*0(\.0+)?\s*(;|$|!))/i;

export interface HtmlParts {
	/** Visible text of the whole body, quotes included. */
	fullText: string;
	/** Visible text with quoted history removed. */
	newText: string;
	/** Text a reader never sees (hidden elements). */
	hiddenText: string;
}

const TO_TEXT_OPTIONS = {
	wordwrap: false as const,
	selectors: [
		{ selector: 'a', options: { ignoreHref: true } },
		{ selector: 'img', format: 'skip' },
		{ selector: 'style', format: 'skip' },
		{ selector: 'script', format: 'skip' },
		{ selector: 'head', format: 'skip' },
		{ selector: 'title', format: 'skip' },
		{ selector: 'h1', options: { uppercase: false } },
		{ selector: 'h2', options: { uppercase: false } },
		{ selector: 'h3', options: { uppercase: false } },
		{ selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
	],
};

export function htmlToText(html: string): string {
	return tidyText(convert(html, TO_TEXT_OPTIONS));
}

export function splitHtml(html: string): HtmlParts {
	const document = parseDocument(html, { decodeEntities: true });
	const hidden: string[] = [];
	for (const element of collect(document.children, isHidden)) {
		const text = tidyText(textContent(element));
		if (text) hidden.push(text);
		removeElement(element);
	}
	for (const element of collect(
		document.children,
		(e) => e.name === 'script' || e.name === 'style',
	)) {
		removeElement(element);
	}
	const fullText = htmlToText(render(document));

	for (const element of collect(document.children, isQuoteContainer)) removeElement(element);
	const separator = collect(document.children, (e) =>
		REPLY_SEPARATOR_IDS.includes(e.attribs.id ?? ''),
	)[0];
	if (separator) removeFrom(separator);
	const newText = htmlToText(render(document));

	return { fullText, newText, hiddenText: hidden.join('\n') };
}

function isHidden(element: Element): boolean {
	const attribs = element.attribs;
	if ('hidden' in attribs) return true;
	if (
		attribs['aria-hidden'] === 'true' &&
		textContent(element).trim().length > 0 &&
		element.name !== 'span'
	)
		return true;
	const style = attribs.style;
	return style !== undefined && HIDDEN_STYLE.test(style);
}

function isQuoteContainer(element: Element): boolean {
	const classes = (element.attribs.class ?? '').split(/\s+/);
	if (QUOTE_CLASSES.some((c) => classes.includes(c))) return true;
	if (element.name === 'blockquote' && (element.attribs.type ?? '').toLowerCase() === 'cite')
		return true;
	return false;
}

/** Removes the element and everything that follows it in document order. */
function removeFrom(element: AnyNode): void {
	let node: AnyNode | null = element;
	while (node && node.parent) {
		let next: AnyNode | null = node.next;
		while (next) {
			const after: AnyNode | null = next.next;
			removeElement(next);
			next = after;
		}
		const parent: AnyNode | null = node.parent;
		if (node === element) removeElement(node);
		node = parent && 'name' in parent && parent.name !== 'root' ? parent : null;
	}
}

/** Outermost elements matching the predicate (a match's descendants are not visited). */
function collect(nodes: AnyNode[], predicate: (element: Element) => boolean): Element[] {
	const found: Element[] = [];
	const visit = (list: AnyNode[]) => {
		for (const node of list) {
			if (!isTag(node)) continue;
			if (predicate(node)) found.push(node);
			else visit(node.children);
		}
	};
	visit(nodes);
	return found;
}

/** Normalises line endings and blank runs, drops invisible characters mailers sprinkle in. */
export function tidyText(text: string): string {
	return text
		.replace(/\r\n?/g, '\n')
		.replace(/[\u200B-\u200D\uFEFF\u00AD]/g, '')
		.replace(/\u00A0/g, ' ')
		.replace(/[ \t]+$/gm, '')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}
