import { Parser } from 'htmlparser2';
import type { AnyNode, Document, Element } from 'domhandler';
import { DomHandler, isTag } from 'domhandler';
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
	/** What was cut to keep parsing bounded, in words a canvas user understands (empty when nothing). */
	warnings: string[];
}

/**
 * Limits that keep one hostile HTML body from stalling n8n's main process. htmlparser2 keeps its
 * open-element stack with `unshift` / `indexOf`, so its cost grows with depth times tags (300,000
 * unclosed `<b>` took 50 s), and dom-serializer and html-to-text recurse once per level. Only the
 * first `maxChars` of the HTML are parsed, tags that would nest deeper than `maxDepth` are dropped
 * (their text is kept), and after `maxElements` elements the rest is read as flat text. Real mail nests a few dozen levels and is rarely over 200 KB.
 */
export interface HtmlLimits {
	maxChars: number;
	maxDepth: number;
	/** Elements kept; html-to-text costs about 25 µs each, and a flat 17 MB of `<p>` has 2 million. */
	maxElements: number;
}

export const HTML_LIMITS: HtmlLimits = { maxChars: 512 * 1024, maxDepth: 128, maxElements: 5_000 };

/** Elements without content: never on the open-element stack. */
const VOID_ELEMENTS = new Set([
	'area',
	'base',
	'basefont',
	'br',
	'col',
	'command',
	'embed',
	'frame',
	'hr',
	'img',
	'input',
	'isindex',
	'keygen',
	'link',
	'meta',
	'param',
	'source',
	'track',
	'wbr',
]);
/** Elements that close an open element of the same name (the common implied closes of sloppy HTML). */
const SELF_CLOSING_SIBLINGS = new Set(['p', 'li', 'option', 'tr', 'td', 'th', 'dt', 'dd']);
/** How far down the stack a close tag looks for its element (htmlparser2 looks all the way). */
const CLOSE_SEARCH = 16;

/**
 * Cuts HTML to the limits in one linear pass, before any parser sees it. The depth counted here is
 * never below the depth htmlparser2 reaches (an unmatched close tag pops nothing, `<x/>` counts as
 * open, tags in comments and scripts count too), so the parser's stack never exceeds `maxDepth`.
 */
export function boundHtml(
	html: string,
	limits: HtmlLimits = HTML_LIMITS,
): { html: string; warnings: string[] } {
	const warnings: string[] = [];
	let source = html;
	if (source.length > limits.maxChars) {
		source = source.slice(0, limits.maxChars);
		warnings.push(
			`The HTML body is ${formatChars(html.length)}; only its first ${formatChars(limits.maxChars)} were read.`,
		);
	}
	const stack: string[] = [];
	const kept: string[] = [];
	let copiedUpTo = 0;
	let dropped = 0;
	let elements = 0;
	let overElements = 0;
	const tag = /<(\/?)([a-zA-Z][^\s/<>]*)[^<>]*>/g;
	for (let match = tag.exec(source); match; match = tag.exec(source)) {
		const name = match[2].toLowerCase();
		if (elements >= limits.maxElements) {
			// Past the element limit every further tag goes, in one pass.
			kept.push(source.slice(copiedUpTo, match.index));
			const rest = source.slice(match.index);
			let count = 0;
			kept.push(
				rest.replace(/<\/?[a-zA-Z][^\s/<>]*[^<>]*>/g, () => {
					count++;
					return '';
				}),
			);
			copiedUpTo = source.length;
			overElements = count;
			dropped += count;
			break;
		}
		let drop = false;
		if (match[1]) {
			const limit = Math.max(0, stack.length - CLOSE_SEARCH);
			let at = -1;
			for (let i = stack.length - 1; i >= limit; i--)
				if (stack[i] === name) {
					at = i;
					break;
				}
			if (at >= 0) stack.length = at;
			else drop = stack.length >= limits.maxDepth;
		} else if (!VOID_ELEMENTS.has(name)) {
			if (SELF_CLOSING_SIBLINGS.has(name) && stack[stack.length - 1] === name) stack.pop();
			if (stack.length >= limits.maxDepth) drop = true;
			else {
				stack.push(name);
				elements++;
			}
		} else elements++;
		if (drop) {
			dropped++;
			kept.push(source.slice(copiedUpTo, match.index));
			copiedUpTo = match.index + match[0].length;
		}
	}
	if (!dropped) return { html: source, warnings };
	kept.push(source.slice(copiedUpTo));
	if (dropped > overElements)
		warnings.push(
			`The HTML body nests deeper than ${limits.maxDepth} elements; ${(dropped - overElements).toLocaleString('en-US')} tags below that depth were dropped and their text kept.`,
		);
	if (overElements)
		warnings.push(
			`The HTML body has more than ${limits.maxElements.toLocaleString('en-US')} elements; after those, ${overElements.toLocaleString('en-US')} more tags were dropped and the rest read as flat text.`,
		);
	return { html: kept.join(''), warnings };
}

function formatChars(count: number): string {
	if (count >= 1024 * 1024) return `${(count / (1024 * 1024)).toFixed(1)} M characters`;
	if (count >= 1024) return `${Math.round(count / 1024)} K characters`;
	return `${count} characters`;
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

/** HTML to plain text, bounded like `splitHtml` (for short HTML such as a Gmail snippet). */
export function htmlToText(html: string): string {
	return tidyText(convert(boundHtml(html).html, TO_TEXT_OPTIONS));
}

/**
 * Reads an HTML body: its visible text with and without quoted history, and the text hidden from
 * the reader. `hiddenOnly` skips the text conversion (when a text/plain part gives the text).
 */
export function splitHtml(
	html: string,
	limits: HtmlLimits = HTML_LIMITS,
	hiddenOnly = false,
): HtmlParts {
	const bounded = boundHtml(html, limits);
	const document = parseBounded(bounded.html, limits.maxDepth * 2);
	if (!document) {
		const text = tidyText(convert(stripTags(bounded.html), TO_TEXT_OPTIONS));
		return {
			fullText: text,
			newText: text,
			hiddenText: '',
			warnings: [
				...bounded.warnings,
				`The HTML body nests deeper than ${limits.maxDepth * 2} elements even after cutting; it was read as plain text with every tag removed (hidden text and quoted history are not told apart).`,
			],
		};
	}
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
	if (hiddenOnly)
		return { fullText: '', newText: '', hiddenText: hidden.join('\n'), warnings: bounded.warnings };
	const fullText = renderText(document);

	const quotes = collect(document.children, isQuoteContainer);
	for (const element of quotes) removeElement(element);
	const separator = collect(document.children, (e) =>
		REPLY_SEPARATOR_IDS.includes(e.attribs.id ?? ''),
	)[0];
	if (separator) removeFrom(separator);
	const newText = quotes.length || separator ? renderText(document) : fullText;

	return { fullText, newText, hiddenText: hidden.join('\n'), warnings: bounded.warnings };
}

class TooDeep extends Error {}

/** A DOM builder that gives up (throws) as soon as the parser's open-element stack passes `maxDepth`. */
class DepthLimitedHandler extends DomHandler {
	private depth = 0;

	constructor(private readonly maxDepth: number) {
		super();
	}

	override onopentag(name: string, attribs: Record<string, string>): void {
		if (++this.depth > this.maxDepth) throw new TooDeep();
		super.onopentag(name, attribs);
	}

	override onclosetag(): void {
		this.depth--;
		super.onclosetag();
	}
}

/**
 * Parses with a hard stop on depth. `boundHtml` already keeps ordinary input far below it; this
 * catches what its estimate can miss (tags hidden in comments or scripts that shift its count).
 */
function parseBounded(html: string, maxDepth: number): Document | undefined {
	const handler = new DepthLimitedHandler(maxDepth);
	try {
		new Parser(handler, { decodeEntities: true }).end(html);
	} catch (error) {
		if (error instanceof TooDeep) return undefined;
		throw error;
	}
	return handler.root;
}

/** Every tag removed, and any `<` left escaped, so what remains parses as flat text. */
function stripTags(html: string): string {
	return html.replace(/<[^<>]*>/g, ' ').replace(/</g, '&lt;');
}

/** The document is already bounded: render and convert it without cutting again. */
function renderText(document: AnyNode): string {
	return tidyText(convert(render(document), TO_TEXT_OPTIONS));
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
