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
	if (style !== undefined && HIDDEN_STYLE.test(style)) return true;
	return coloredLikeBackground(element);
}

/**
 * Text in the colour of its background (white on white is the usual trick to hide instructions
 * for an AI): its own `color` (style or `<font color>`) against the nearest background set on it
 * or an ancestor (style `background(-color)` or `bgcolor`), else the white page mail clients show.
 */
function coloredLikeBackground(element: Element): boolean {
	const color = cssColor(styleValue(element.attribs.style, 'color') ?? element.attribs.color);
	if (!color) return false;
	for (let node: Element | null = element; node; node = parentElement(node)) {
		const style = node.attribs.style;
		const background = cssColor(
			styleValue(style, 'background-color') ??
				styleValue(style, 'background')
					?.split(/\s+/)
					.find((part) => cssColor(part)) ??
				node.attribs.bgcolor,
		);
		if (background) return background === color;
	}
	return color === '#ffffff';
}

function parentElement(element: Element): Element | null {
	const parent = element.parent;
	return parent && isTag(parent) ? parent : null;
}

function styleValue(style: string | undefined, property: string): string | undefined {
	if (!style) return undefined;
	for (const declaration of style.split(';')) {
		const colon = declaration.indexOf(':');
		if (colon < 0) continue;
		if (declaration.slice(0, colon).trim().toLowerCase() === property)
			return declaration
				.slice(colon + 1)
				.replace(/!important/i, '')
				.trim();
	}
	return undefined;
}

const NAMED_COLORS: Record<string, string> = { white: '#ffffff', black: '#000000' };

/** A colour as #rrggbb, for the forms mail uses (#rgb, #rrggbb, rgb()/rgba() opaque, white/black). */
function cssColor(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const v = value.trim().toLowerCase();
	if (NAMED_COLORS[v]) return NAMED_COLORS[v];
	let m = /^#([0-9a-f]{3})$/.exec(v);
	if (m) return `#${[...m[1]].map((c) => c + c).join('')}`;
	m = /^#([0-9a-f]{6})$/.exec(v);
	if (m) return `#${m[1]}`;
	m = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(1|1\.0+|100%)\s*)?\)$/.exec(v);
	if (m)
		return `#${m
			.slice(1, 4)
			.map((n) => Math.min(255, Number(n)).toString(16).padStart(2, '0'))
			.join('')}`;
	return undefined;
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
