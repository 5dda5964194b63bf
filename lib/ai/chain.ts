import { AllProvidersFailedError, ProviderError } from './errors';
import type { AttemptRecord } from './errors';
import type { ResilienceOptions } from './resilience';
import { DEFAULT_RESILIENCE, runWithResilience } from './resilience';
import type { AiProvider, ProviderAnswer, StructuredRequest, Usage } from './providers/types';
import { checkAgainstSchema, parseJsonAnswer } from './structured';

export interface ChainResult<T> {
	value: T;
	provider: AiProvider;
	model: string;
	/** Tokens spent on this item across every attempt (what it cost). */
	usage: Usage;
	latencyMs: number;
	attempts: AttemptRecord[];
}

export interface ChainOptions {
	resilience?: Partial<ResilienceOptions>;
	/** Extra checks after the schema (e.g. the category must be one of the node's). */
	validate?: (value: unknown) => string | undefined;
	now?: () => number;
}

/**
 * Asks each provider in order for a structured answer. A provider's answer that is not valid JSON or
 * breaks the schema gets one repair try; then the next provider. Never returns a half-parsed result:
 * either a value that passed validation, or AllProvidersFailedError with every attempt.
 */
export async function runStructured<T>(
	providers: AiProvider[],
	request: Omit<StructuredRequest, 'signal' | 'repair'>,
	options: ChainOptions = {},
): Promise<ChainResult<T>> {
	const resilience = { ...DEFAULT_RESILIENCE, ...options.resilience };
	const now = options.now ?? (() => Date.now());
	const attempts: AttemptRecord[] = [];
	const total: Usage = { inputTokens: 0, outputTokens: 0 };
	const started = now();

	for (const provider of providers) {
		const attemptStart = now();
		const stats = { retries: 0 };
		const ask = async (repair?: StructuredRequest['repair']): Promise<ProviderAnswer> => {
			const answer = await runWithResilience(
				provider.label,
				provider.breakerKey,
				resilience,
				({ signal }) => provider.call({ ...request, repair, signal }),
				stats,
			);
			total.inputTokens += answer.usage.inputTokens;
			total.outputTokens += answer.usage.outputTokens;
			return answer;
		};
		const record = (
			outcome: AttemptRecord['outcome'],
			error?: string,
			kind?: AttemptRecord['kind'],
		) =>
			attempts.push({
				provider: provider.label,
				model: provider.model,
				outcome,
				error,
				kind,
				latencyMs: now() - attemptStart,
				retries: stats.retries,
			});

		try {
			let answer = await ask();
			if (answer.refusal) {
				record('refused', answer.refusal.slice(0, 200), 'refusal');
				continue;
			}
			let checked = interpret<T>(answer, request.schema, options.validate);
			let repaired = false;
			if (!checked.ok) {
				answer = await ask({ previousAnswer: answer.text, problem: checked.problem! });
				repaired = true;
				checked = answer.refusal
					? { ok: false, problem: `refused: ${answer.refusal}` }
					: interpret<T>(answer, request.schema, options.validate);
			}
			if (!checked.ok) {
				record('invalid', `${checked.problem} (after one repair try)`, 'invalid_answer');
				continue;
			}
			record(repaired ? 'repaired' : 'ok');
			return {
				value: checked.value as T,
				provider,
				model: answer.model,
				usage: total,
				latencyMs: now() - started,
				attempts,
			};
		} catch (error) {
			const e =
				error instanceof ProviderError
					? error
					: new ProviderError(provider.label, 'server', String(error));
			record(e.kind === 'circuit_open' ? 'skipped' : 'failed', e.message, e.kind);
		}
	}
	throw new AllProvidersFailedError(attempts);
}

function interpret<T>(
	answer: ProviderAnswer,
	schema: StructuredRequest['schema'],
	validate?: (value: unknown) => string | undefined,
) {
	const parsed =
		answer.value !== undefined ? { ok: true, value: answer.value } : parseJsonAnswer(answer.text);
	if (!parsed.ok) return { ok: false as const, problem: parsed.problem };
	const checked = checkAgainstSchema<T>(schema, parsed.value);
	if (!checked.ok) return checked;
	const extra = validate?.(checked.value);
	return extra ? { ok: false as const, problem: extra } : checked;
}
