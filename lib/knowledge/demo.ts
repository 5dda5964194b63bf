/**
 * The demo shop's help centre (Acme: 25+ articles in English, German, French and Spanish) and a few
 * past replies, written for this package (MIT). The Support Knowledge node serves it as the
 * "Built-In Demo Help Centre", which `npm start` and the bundled workflows use until a team points
 * the node at its own help centre.
 */
import { KnowledgeBase } from './base';
import demo from './demo-help-centre.json';
import { articleFromInput, conversationFromInput } from './documents';
import type { ArticleInput, ConversationInput } from './documents';

interface DemoFile {
	articles: ArticleInput[];
	replies: ConversationInput[];
}

let cached: KnowledgeBase | undefined;

export function demoKnowledgeBase(): KnowledgeBase {
	if (!cached) {
		const data = demo as DemoFile;
		const base = new KnowledgeBase();
		base.upsert(data.articles.map(articleFromInput));
		base.upsert(data.replies.map(conversationFromInput));
		cached = base;
	}
	return cached;
}
