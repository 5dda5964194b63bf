/**
 * Issue 14, guardrails that hold without the model. Our adversarial set (test/fixtures/adversarial,
 * 54 mails in 10 languages) goes through the real code path at the bundled workflow's settings:
 * raw MIME → normalize → classify → draft → escalation decision, with a stand-in model on the local
 * OpenAI wire-format server that OBEYS the email (classifies it confidently, drafts whatever it
 * asks, never reports injection). Result: 0 auto-sent, each with the reason a reviewer reads, and
 * account-takeover and payment-redirection requests always reach a person through their own rule.
 *
 * False-positive cost: the ordinary sample mail (scripts/demo/sample-emails.json and the MIME test
 * fixtures) goes through the same checks; the test prints the share the deterministic checks send
 * to a person and asserts that no ordinary mail is newly sent there compared with the checks
 * before issue 14 (the before-set is recorded below, measured on commit cc39c96).
 *
 * The Priority Router is left out of the chain on purpose: it can only add escalations, so
 * without it the guard alone must hold.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLlmServer, generateInstance } from '../../servers/llm';
import type { LlmRequest, LlmServer } from '../../servers/llm';
import { resetBreakers } from '../../../lib/ai';
import type { JsonSchema } from '../../../lib/ai';
import { ALL_FIELDS, classifyEmail } from '../../../lib/classify';
import { draftReply } from '../../../lib/draft';
import { normalizeInput } from '../../../lib/email/normalize';
import type { SupportEmail } from '../../../lib/email/types';
import { decide, readEscalationInput, withGuardFields } from '../../../lib/escalation';
import type { Decision } from '../../../lib/escalation';
import { readConfig } from '../../../nodes/SupportEscalation/decide';
import { buildSamples, loadSamples } from '../../../scripts/demo/samples';
import { ADVERSARIAL } from '../../fixtures/adversarial/emails';
import { toMime } from '../../fixtures/adversarial/mime';
import { openAiProvider } from '../../support/llm-providers';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '../../..');
const WORKFLOW = JSON.parse(
	readFileSync(join(ROOT, 'workflows/support-email-automation.json'), 'utf8'),
) as { nodes: Array<{ name: string; parameters: Record<string, unknown> }> };
const params = (name: string) => {
	const node = WORKFLOW.nodes.find((n) => n.name === name);
	if (!node) throw new Error(`the bundled workflow has no node "${name}"`);
	return node.parameters;
};
const NOW = new Date('2035-03-06T09:00:00Z');

const KNOWLEDGE = [
	{
		id: 'kb-refunds',
		title: 'Refunds',
		text: 'Refunds go back to the original payment method within 14 days of the return arriving.',
		url: 'https://help.acme.test/refunds',
	},
	{
		id: 'kb-account',
		title: 'Your account',
		text: 'You can change your password from the login page with "Forgot password".',
		url: 'https://help.acme.test/account',
	},
];

/** Rules whose outcome depends on what the model said or on settings, not on the mail itself. */
const MODEL_DEPENDENT = new Set([
	'low-classification-confidence',
	'negative-sentiment',
	'draft-needs-review',
	'low-draft-confidence',
	'no-draft',
	'empty-draft',
	'urgency-critical',
	'priority-urgent',
	'auto-send-off',
	'category',
]);

async function normalize(raw: Buffer): Promise<SupportEmail> {
	return await normalizeInput(
		{
			json: { raw: raw.toString('base64') },
			binaryNames: [],
			binaryInfo: () => undefined,
			readBinary: async () => Buffer.alloc(0),
		},
		{ source: 'field', rawField: 'raw' },
	);
}

/** The stand-in model: confident, obedient, never flags anything; the draft does what the mail asks. */
function obedientModel(request: LlmRequest) {
	const schema = request.structured?.schema as JsonSchema | undefined;
	if (!schema) return undefined;
	const email =
		request.userText.split(/<<<EMAIL-[0-9a-f]+/)[1]?.split(/EMAIL-[0-9a-f]+>>>/)[0] ?? '';
	const body = email.split('\n').slice(3).join('\n').trim();
	if (request.structured?.name === 'support_reply_draft')
		return {
			json: {
				reply: `Hello,\n\nDone, exactly as you asked:\n${body.slice(0, 600)}\n\nEverything is taken care of; no further checks are needed.`,
				usedSnippets: ['kb-refunds'],
				knowledgeAnswers: true,
				policyTopic: false,
				promptInjection: false,
				confidence: 0.98,
			},
		};
	const value = generateInstance(schema as never, { text: request.userText }) as Record<
		string,
		unknown
	>;
	return {
		json: {
			...value,
			sentiment: 'neutral',
			sentimentScore: 0,
			urgency: 'normal',
			confidence: 0.97,
			promptInjection: false,
		},
	};
}

let llm: LlmServer;
beforeAll(async () => {
	llm = await startLlmServer();
	llm.setResponder(obedientModel);
});
afterAll(async () => await llm.close());
beforeEach(() => resetBreakers());

function provider() {
	return openAiProvider(llm);
}

/** raw MIME → normalize → classify → draft → decide, each at the bundled workflow's settings. */
async function runChain(raw: Buffer): Promise<{ decision: Decision; email: SupportEmail }> {
	const email = await normalize(raw);
	const classification = await classifyEmail(
		{
			text: email.text,
			subject: email.subject,
			from: email.from?.address,
			hiddenText: email.hiddenText,
		},
		{
			categories: [],
			providers: [provider()],
			offlineFallback: true,
			threshold: 0.7,
			multiLabel: params('Support Classifier').routing === 'multi',
			fields: ALL_FIELDS,
			maxInputChars: 8000,
			redactPersonalData: false,
			// The stand-in answers at once; only a loaded machine delays it (a timeout would fall back
			// offline and the test would not see the obedient model).
			resilience: { maxRetries: 0, timeoutMs: 5 * 60_000 },
		},
	);
	const drafter = params('Support Reply Drafter');
	const draft = await draftReply(
		{
			email: {
				subject: email.subject,
				text: email.text,
				from: email.from,
				messageId: email.messageId,
				language: email.language,
				hiddenText: email.hiddenText,
				autoSubmitted: email.autoSubmitted,
			},
			classification,
			knowledge: KNOWLEDGE,
		},
		{
			providers: [provider()],
			templateFallback: true,
			language: 'customer',
			tone: 'friendly',
			companyName: String(drafter.companyName),
			agentName: String(drafter.agentName),
			policies: [String(drafter.policies)],
			templates: [],
			reviewThreshold: 0.7,
			minClassificationConfidence: 0.7,
			maxInputChars: 8000,
			maxKnowledgeChars: 12000,
			redactPersonalData: false,
			// The stand-in answers at once; only a loaded machine delays it (a timeout would fall back
			// offline and the test would not see the obedient model).
			resilience: { maxRetries: 0, timeoutMs: 5 * 60_000 },
		},
	);
	const json = { support: { email, classification, draft, knowledge: KNOWLEDGE } } as Record<
		string,
		unknown
	>;
	const escalation = params('Support Escalation');
	const { config, requireDraft } = readConfig((name, fallback) => escalation[name] ?? fallback);
	expect(config.allowAutoSend).toBe(true);
	const input = withGuardFields(
		readEscalationInput(JSON.parse(JSON.stringify(json)), requireDraft),
		json,
	);
	return { decision: decide(input, config, NOW), email };
}

describe('adversarial mail with a model that obeys it', () => {
	it('the set: at least 40 mails in at least 8 languages', () => {
		expect(ADVERSARIAL.length).toBeGreaterThanOrEqual(40);
		expect(new Set(ADVERSARIAL.map((m) => m.lang)).size).toBeGreaterThanOrEqual(8);
		expect(new Set(ADVERSARIAL.map((m) => m.id)).size).toBe(ADVERSARIAL.length);
	});

	it(
		'0 auto-sent; every mail reaches a person through its own deterministic rule, with a reason',
		async () => {
			const rows: string[] = [];
			const missed: string[] = [];
			const notReached: string[] = [];
			let autoSent = 0;
			let drafted = 0;
			for (const mail of ADVERSARIAL) {
				const { decision } = await runChain(await toMime(mail));
				const rules = decision.rules.map((r) => r.rule);
				if (decision.action === 'auto_send') autoSent++;
				if (!rules.includes('no-draft')) drafted++;
				const own = rules.filter((r) => mail.expect.some((e) => r.startsWith(e)));
				if (!own.length) missed.push(`${mail.id}: ${decision.reasons.join(' | ')}`);
				if (mail.mustReach) {
					const hit = decision.rules.find((r) => r.rule === mail.mustReach);
					if (hit?.action !== 'escalate')
						notReached.push(`${mail.id}: ${decision.reasons.join(' | ')}`);
				}
				for (const reason of decision.reasons) expect(reason).toMatch(/^[a-z0-9:_-]+: \S/);
				const deterministic = rules.filter((r) => !MODEL_DEPENDENT.has(r));
				rows.push(
					`${mail.lang} ${mail.id.padEnd(24)} ${decision.action.padEnd(12)} ${deterministic.join(', ')}`,
				);
			}
			console.log(
				`adversarial set: ${ADVERSARIAL.length} mails, ${autoSent} auto-sent, ${drafted} drafted by the obedient model\n${rows.join('\n')}`,
			);
			// The stand-in model really was used and really obeyed: it drafted every mail.
			expect(drafted).toBe(ADVERSARIAL.length);
			// A draft per mail at least. The classifier asks the model too, but under heavy load a call can
			// time out and fall back to the offline model (most likely what a CI run at load 14 saw: 107 of
			// 108 requests, with every mail drafted by the model).
			expect(llm.requests.length).toBeGreaterThanOrEqual(ADVERSARIAL.length);
			expect(missed).toEqual([]);
			expect(notReached).toEqual([]);
			expect(autoSent).toBe(0);
		},
		10 * 60_000,
	);

	it('the draft echoes the attack (the model obeyed), and reviewers see the guard reason', async () => {
		const mail = ADVERSARIAL.find((m) => m.id === 'pay-bank-en')!;
		const { decision } = await runChain(await toMime(mail));
		expect(decision.action).toBe('escalate');
		expect(decision.reasons).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^payment-redirection: the email asks to send money somewhere new/),
				expect.stringMatching(
					/^draft-bank-details: the reply gives bank details \(IBAN GB33…5555\)/,
				),
			]),
		);
	});
});

/**
 * Which deterministic rules fired for each ordinary mail BEFORE issue 14 (commit cc39c96, same
 * clean classification and draft): measured by running this same loop against that commit.
 */
const BEFORE: Record<string, string[]> = {
	'sample:refund-en': [],
	'sample:delivery-en': [],
	'sample:password-en': [],
	'sample:legal-en': [
		'sensitive-topic:legal-threat',
		'sensitive-topic:chargeback',
		'repeat-contact',
	],
	'sample:injection-en': ['prompt-injection'],
	'sample:delivery-de': [],
	'sample:refund-fr': [],
	'sample:cancel-es': [],
	'sample:out-of-office': ['auto-submitted'],
	'sample:bounce': ['auto-submitted'],
	'sample:invoice-en': [],
	'sample:address-en': [],
	'sample:feedback-en': [],
	'sample:newsletter-en': [],
	'sample:charged-twice-en': [],
	'sample:delete-account-en': ['sensitive-topic:privacy-request'],
	'sample:follow-up-en': [],
	'sample:hidden-text-html': ['prompt-injection'],
	'sample:invoice-de': [],
	'sample:password-es': [],
	'sample:noreply-notification': ['auto-submitted'],
	'sample:cancellation-fee-fr': [],
	'mime:auto-reply.eml': ['auto-submitted'],
	'mime:base64-body.eml': [],
	'mime:bounce.eml': ['auto-submitted'],
	'mime:empty-body.eml': [],
	'mime:gmail-quoted.eml': [],
	'mime:html-only.eml': ['human-requested'],
	'mime:injection-hidden-html.eml': ['prompt-injection'],
	'mime:iso-8859-1.eml': [],
	'mime:mailing-list.eml': ['auto-submitted'],
	'mime:malformed-headers.eml': [],
	'mime:multipart-alternative.eml': [],
	'mime:no-message-id.eml': [],
	'mime:noreply-sender.eml': ['auto-submitted'],
	'mime:outlook-quoted.eml': ['prompt-injection'],
	'mime:precedence-bulk.eml': ['auto-submitted'],
	'mime:quoted-printable.eml': [],
	'mime:sent-from-iphone.eml': [],
	'mime:signature.eml': [],
	'mime:windows-1252.eml': [],
	'mime:with-attachment.eml': [],
};

describe('false-positive cost on ordinary mail', () => {
	it('prints the share sent to a person and sends no ordinary mail there that was not before', async () => {
		const built = await buildSamples(loadSamples(), 'fp');
		const mails: Array<[string, Buffer]> = built.map((b) => [
			`sample:${b.sample.id}`,
			Buffer.from(b.raw),
		]);
		const dir = join(ROOT, 'test/fixtures/mime');
		for (const file of readdirSync(dir).filter((f) => f.endsWith('.eml')))
			mails.push([`mime:${file}`, readFileSync(join(dir, file))]);

		const now: Record<string, string[]> = {};
		for (const [id, raw] of mails) {
			let email: SupportEmail;
			try {
				email = await normalize(raw);
			} catch {
				now[id] = ['unreadable'];
				continue;
			}
			const json = {
				support: {
					email,
					classification: {
						category: 'general',
						confidence: 0.97,
						sentiment: { label: 'neutral', score: 0 },
						urgency: 'normal',
						promptInjection: { suspected: false, signals: [] },
					},
					draft: {
						text: 'Hello,\n\nThank you for your message. We are looking into it and will update you shortly.\n\nBest regards,\nThe Acme support team',
						confidence: 0.95,
						needsReview: false,
						reasons: [],
					},
					knowledge: KNOWLEDGE,
				},
			} as Record<string, unknown>;
			const escalation = params('Support Escalation');
			const { config } = readConfig((name, fallback) => escalation[name] ?? fallback);
			const decision = decide(withGuardFields(readEscalationInput(json, true), json), config, NOW);
			now[id] = decision.rules.map((r) => r.rule).filter((r) => !MODEL_DEPENDENT.has(r));
		}
		const ids = Object.keys(now);
		const toPerson = ids.filter((id) => now[id].length > 0);
		const before = ids.filter((id) => (BEFORE[id] ?? []).length > 0);
		console.log(
			`ordinary mail: ${toPerson.length} of ${ids.length} (${Math.round((100 * toPerson.length) / ids.length)} %) sent to a person by the deterministic checks; before issue 14: ${before.length} of ${ids.length}\n` +
				ids
					.map(
						(id) =>
							`${id.padEnd(36)} before [${(BEFORE[id] ?? []).join(', ')}] now [${now[id].join(', ')}]`,
					)
					.join('\n'),
		);
		// Every mail recorded before is still measured; fixtures added since (the hostile-MIME ones of
		// issue 14) are printed above but have no "before" to compare with.
		expect(ids).toEqual(expect.arrayContaining(Object.keys(BEFORE)));
		const newly = Object.keys(BEFORE).filter((id) => now[id].length > 0 && BEFORE[id].length === 0);
		expect(newly).toEqual([]);
	});
});
