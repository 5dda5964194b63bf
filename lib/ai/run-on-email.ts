import { InputError } from '../errors';
import { runStructured } from './chain';
import type { ChainResult } from './chain';
import { AllProvidersFailedError } from './errors';
import type { AttemptRecord } from './errors';
import { fenceEmail, truncateToBudget } from './prompt';
import type { FencedEmail } from './prompt';
import { redactPersonalData, restorePersonalData } from './redact';
import type { ResilienceOptions } from './resilience';
import type { AiProvider, StructuredRequest } from './providers/types';

/**
 * The built-in answer of an AI task as an entry of its provider list: the offline model when
 * classifying, an answer from the knowledge or a template reply when drafting. No network, no key.
 */
export const OFFLINE_PROVIDER = 'offline';

/** One entry of the ordered provider list: an AI service, or the task's built-in answer. */
export type ProviderEntry = AiProvider | typeof OFFLINE_PROVIDER;

/**
 * The provider list in effect: the entries in order, plus the built-in answer last when
 * `offlineLast` is set and the list does not name it already (how the options before the
 * ordered list meant it: "Offline Fallback").
 */
export function providerList(providers: ProviderEntry[], offlineLast: boolean): ProviderEntry[] {
	return offlineLast && !providers.includes(OFFLINE_PROVIDER)
		? [...providers, OFFLINE_PROVIDER]
		: providers;
}

/** How the email is sent to a provider: the same for every task. */
export interface EmailRunSettings {
	/** In order. `offline` may stand anywhere; entries after it are asked only when it is not sure. */
	providers: ProviderEntry[];
	/** Characters of email text sent to a provider; longer mail is cut (head and tail kept). */
	maxInputChars: number;
	/** Email addresses, phone, card and IBAN numbers replaced before text leaves the machine. */
	redactPersonalData: boolean;
	resilience?: Partial<ResilienceOptions>;
}

/** What an AI task (classify, draft) adds to the shared pipeline. */
export interface EmailTask<Offline> {
	/** The request to the model, around the fenced email (the fence is the same for every task). */
	request(fencedEmail: string): Omit<StructuredRequest, 'signal' | 'repair'>;
	/** Checks beyond the schema (e.g. cited snippets must exist); a problem gets the repair try. */
	validate?: (value: unknown) => string | undefined;
	/** The built-in answer (no network; may be async, e.g. to encode the email first). */
	offline(): Offline | Promise<Offline>;
	/**
	 * Whether the built-in answer is good enough to stop at. When it is not, the providers after it in
	 * the list are asked, and it is the answer only if none of them answers.
	 */
	offlineSettles(answer: Offline): boolean;
	/** Its line in the item's attempt log when it was not sure and the next provider was asked. */
	describeOffline(answer: Offline): { provider: string; model: string };
	/** The error when the list is empty (names the task's built-in answer). */
	noProviders(): InputError;
}

export type EmailRunOutcome<Answer, Offline> =
	| {
			source: 'model';
			/** The model's answer, validated, personal data put back. */
			answer: Answer;
			result: ChainResult<Answer>;
			/** The email text was cut to the budget. */
			truncated: boolean;
			/** Every attempt, in order, when the answer is not a first provider's first try. */
			attempts?: AttemptRecord[];
	  }
	| {
			source: 'offline';
			answer: Offline;
			/** The attempts before the built-in answer was taken (none: it was the first entry and sure). */
			failed?: AttemptRecord[];
	  };

/**
 * The email → model pipeline of every AI task: truncate → redact → fence → ask the providers in
 * order (resilience, schema validation and one repair try per provider: runStructured) → restore
 * personal data; the task's built-in answer where the list places it. Consecutive AI providers form
 * one chain; an entry that fails (error, invalid answer after the repair try, refusal, open circuit)
 * hands over to the next. Never a half-parsed answer: a validated one, the built-in answer, or
 * AllProvidersFailedError with every attempt.
 */
export async function runOnEmail<Answer, Offline>(
	email: FencedEmail,
	settings: EmailRunSettings,
	task: EmailTask<Offline>,
): Promise<EmailRunOutcome<Answer, Offline>> {
	if (settings.providers.length === 0) throw task.noProviders();
	const attempts: AttemptRecord[] = [];
	let prepared: ReturnType<typeof prepareEmail> | undefined;
	let unsureOffline: Offline | undefined;

	for (let index = 0; index < settings.providers.length;) {
		const entry = settings.providers[index];
		if (entry === OFFLINE_PROVIDER) {
			index++;
			const started = performance.now();
			const answer = await task.offline();
			if (index === settings.providers.length || task.offlineSettles(answer))
				return { source: 'offline', answer, failed: attempts.length ? attempts : undefined };
			unsureOffline ??= answer;
			attempts.push({
				...task.describeOffline(answer),
				outcome: 'unsure',
				latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
				retries: 0,
			});
			continue;
		}
		const group: AiProvider[] = [];
		while (index < settings.providers.length && settings.providers[index] !== OFFLINE_PROVIDER)
			group.push(settings.providers[index++] as AiProvider);
		prepared ??= prepareEmail(email, settings);
		try {
			const result = await runStructured<Answer>(group, task.request(prepared.block), {
				resilience: settings.resilience,
				validate: task.validate,
			});
			const all = [...attempts, ...result.attempts];
			return {
				source: 'model',
				answer: restorePersonalData(result.value, prepared.map),
				result,
				truncated: prepared.truncated,
				attempts: all.length > 1 || all[0]?.outcome !== 'ok' ? all : undefined,
			};
		} catch (error) {
			if (!(error instanceof AllProvidersFailedError)) throw error;
			attempts.push(...error.attempts);
		}
	}
	if (unsureOffline !== undefined)
		return { source: 'offline', answer: unsureOffline, failed: attempts };
	throw new AllProvidersFailedError(attempts);
}

/** Truncated, redacted and fenced: what a provider sees of the email. */
function prepareEmail(email: FencedEmail, settings: EmailRunSettings) {
	const truncated = truncateToBudget(email.text, settings.maxInputChars);
	const redaction = settings.redactPersonalData
		? redactPersonalData(truncated.text)
		: { text: truncated.text, map: {} as Record<string, string> };
	const fenced = fenceEmail({
		from:
			settings.redactPersonalData && email.from ? redactPersonalData(email.from).text : email.from,
		subject: email.subject,
		text: redaction.text,
		hiddenText: email.hiddenText ? truncateToBudget(email.hiddenText, 2000).text : undefined,
	});
	return { block: fenced.block, map: redaction.map, truncated: truncated.truncated };
}
