/**
 * Installs the status relay's event source inside an n8n process (main, worker, webhook or
 * `n8n execute`). Everything here is feature-detected: n8n's internals are not a public API, so a
 * missing piece means a fallback or a warning, never an exception into n8n.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import type { EventDraft } from '../protocol/types';
import { EventMapper } from './mapper';
import type { HookContext } from './mapper';
import { DEFAULT_BATCH_BYTES, DEFAULT_BUFFER_BYTES, Sender } from './sender';
import { DEFAULT_MAX_STRING_BYTES } from './bounds';
import type { SenderStats } from './sender';

export const HOOK_VERSION = '1';
const INSTALLED = Symbol.for('n8n-support-relay.hook');
const WRAPPED = Symbol.for('n8n-support-relay.runHook');
const STOP_WRAPPED = Symbol.for('n8n-support-relay.stop');

export interface HookConfig {
	url: string;
	secret: string;
	maxBuffer: number;
	maxBufferBytes: number;
	maxBatch: number;
	maxBatchBytes: number;
	maxStringBytes: number;
	flushIntervalMs: number;
	requestTimeoutMs: number;
	source: 'auto' | 'lifecycle' | 'eventbus';
}

export interface HookHandle {
	source: 'lifecycle' | 'eventbus' | 'none';
	stats: SenderStats;
	mapper: EventMapper;
	sender?: Sender;
	internalErrors: number;
	/** Stops of waiting executions are reported (n8n runs no lifecycle hook for them). */
	reportsStops?: boolean;
}

type Level = 'warn' | 'info' | 'debug';

export function log(level: Level, message: string, extra: Record<string, unknown> = {}): void {
	if (level === 'debug' && !process.env.SUPPORT_RELAY_HOOK_DEBUG) return;
	try {
		process.stderr.write(
			`${JSON.stringify({ level, time: new Date().toISOString(), component: 'n8n-support-relay-hook', pid: process.pid, msg: message, ...extra })}\n`,
		);
	} catch {
		// nowhere to report to
	}
}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < min || value > max) {
		log('warn', `${name}=${raw} is not an integer in ${min}..${max}; using ${fallback}`);
		return fallback;
	}
	return value;
}

export function readHookConfig(): HookConfig | { error: string } {
	const url = process.env.SUPPORT_RELAY_URL ?? '';
	const secret = process.env.SUPPORT_RELAY_SECRET ?? '';
	if (!url) return { error: 'SUPPORT_RELAY_URL is not set' };
	try {
		const parsed = new URL(url);
		if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
	} catch {
		// Not echoed: a URL may carry credentials, and logs travel further than settings.
		return { error: 'SUPPORT_RELAY_URL is not an http(s) URL' };
	}
	if (secret.length < 16) return { error: 'SUPPORT_RELAY_SECRET must be at least 16 characters' };
	const source = (process.env.SUPPORT_RELAY_SOURCE ?? 'auto') as HookConfig['source'];
	return {
		url,
		secret,
		maxBuffer: intFromEnv('SUPPORT_RELAY_BUFFER_MAX', 10_000, 1, 1_000_000),
		maxBufferBytes: intFromEnv(
			'SUPPORT_RELAY_BUFFER_BYTES',
			DEFAULT_BUFFER_BYTES,
			64 * 1024,
			1024 * 1024 * 1024,
		),
		maxBatch: intFromEnv('SUPPORT_RELAY_BATCH_MAX', 200, 1, 5_000),
		maxBatchBytes: intFromEnv(
			'SUPPORT_RELAY_BATCH_BYTES',
			DEFAULT_BATCH_BYTES,
			16 * 1024,
			64 * 1024 * 1024,
		),
		maxStringBytes: intFromEnv(
			'SUPPORT_RELAY_MAX_STRING_BYTES',
			DEFAULT_MAX_STRING_BYTES,
			256,
			1024 * 1024,
		),
		flushIntervalMs: intFromEnv('SUPPORT_RELAY_FLUSH_MS', 50, 5, 60_000),
		requestTimeoutMs: intFromEnv('SUPPORT_RELAY_TIMEOUT_MS', 5_000, 100, 120_000),
		source: ['auto', 'lifecycle', 'eventbus'].includes(source) ? source : 'auto',
	};
}

/** The version of the n8n that loaded us (the relay decides from it what n8n's API can do). */
function n8nVersion(): string | undefined {
	const main = require.main?.filename;
	if (!main) return undefined;
	try {
		const manifest = JSON.parse(
			readFileSync(join(dirname(main), '..', 'package.json'), 'utf8'),
		) as {
			name?: string;
			version?: string;
		};
		return manifest.name === 'n8n' && typeof manifest.version === 'string'
			? manifest.version
			: undefined;
	} catch {
		return undefined;
	}
}

/** n8n's own copy of a module: the one its running code uses, not one next to this package. */
function n8nRequire(): NodeJS.Require | undefined {
	const main = require.main?.filename;
	if (!main) return undefined;
	try {
		return createRequire(main);
	} catch {
		return undefined;
	}
}

export function installHook(config: HookConfig): HookHandle {
	const existing = (globalThis as Record<symbol, HookHandle | undefined>)[INSTALLED];
	if (existing) return existing;

	const role = process.argv[2] ?? 'unknown';
	const sender = new Sender({
		url: config.url,
		secret: config.secret,
		maxBuffer: config.maxBuffer,
		maxBufferBytes: config.maxBufferBytes,
		maxBatch: config.maxBatch,
		maxBatchBytes: config.maxBatchBytes,
		maxStringBytes: config.maxStringBytes,
		flushIntervalMs: config.flushIntervalMs,
		requestTimeoutMs: config.requestTimeoutMs,
		source: {
			host: hostname(),
			pid: process.pid,
			role,
			hookVersion: HOOK_VERSION,
			...(n8nVersion() ? { n8nVersion: n8nVersion() } : {}),
		},
		log: (level, message) => log(level, message),
	});
	// Queue mode: a main (or webhook processor) enqueues; workers run the nodes and report.
	const queueMain = process.env.EXECUTIONS_MODE === 'queue' && role !== 'worker';
	const mapper = new EventMapper(2000, Date.now, queueMain);
	const handle: HookHandle = {
		source: 'none',
		stats: sender.stats,
		mapper,
		sender,
		internalErrors: 0,
	};
	const emit = (events: EventDraft[]) => sender.push(events);

	const req = n8nRequire();
	if (config.source !== 'eventbus' && req && wrapRunHook(req, mapper, emit, handle)) {
		handle.source = 'lifecycle';
	} else if (config.source !== 'lifecycle' && req && listenToEventBus(req, emit, handle)) {
		handle.source = 'eventbus';
	}
	if (handle.source === 'none') {
		log('warn', 'no n8n execution event source found; the status relay gets no events');
		return handle;
	}
	if (req && wrapExecutionStop(mapper, emit, handle)) handle.reportsStops = true;
	sender.start();
	process.once('exit', () => sender.flushSync());
	(globalThis as Record<symbol, HookHandle>)[INSTALLED] = handle;
	// The origin only: user info, path or query of the URL may hold credentials.
	log('info', `status relay hook installed (${handle.source}) for ${role}`, {
		relay: new URL(config.url).origin,
		reportsStops: handle.reportsStops === true,
	});
	return handle;
}

function wrapRunHook(
	req: NodeJS.Require,
	mapper: EventMapper,
	emit: (events: EventDraft[]) => void,
	handle: HookHandle,
): boolean {
	let proto: Record<string | symbol, unknown> | undefined;
	try {
		const core = req('n8n-core') as { ExecutionLifecycleHooks?: { prototype?: object } };
		proto = core.ExecutionLifecycleHooks?.prototype as typeof proto;
	} catch (error) {
		log('debug', `n8n-core not loadable: ${String(error)}`);
		return false;
	}
	if (!proto || typeof proto.runHook !== 'function') return false;
	if (proto[WRAPPED]) return true;
	const original = proto.runHook as (this: HookContext, name: string, params: unknown[]) => unknown;
	const wrapped = function (this: HookContext, hookName: string, parameters: unknown[]) {
		try {
			emit(mapper.map(this, hookName, parameters));
		} catch (error) {
			// Never into n8n: count it and move on.
			handle.internalErrors++;
			if (handle.internalErrors <= 5) log('warn', `status relay hook error: ${String(error)}`);
		}
		return original.call(this, hookName, parameters);
	};
	Object.defineProperty(wrapped, 'name', { value: 'runHook' });
	proto.runHook = wrapped;
	proto[WRAPPED] = true;
	return true;
}

/**
 * n8n stops a waiting execution by writing `canceled` to its database: nothing runs, so no
 * lifecycle hook tells us. Both ways n8n stops an execution (ExecutionService.stopInRegularMode
 * and stopInScalingMode, in 1.x and 2.x, behind the editor's stop, the public API's
 * `/executions/{id}/stop` and stop-many) get the execution record; we report the ones that were
 * waiting (a running one ends through the lifecycle hooks, with the same event id). Only the
 * module n8n already loaded is wrapped: loading n8n's services ourselves could run them too early.
 */
function wrapExecutionStop(
	mapper: EventMapper,
	emit: (events: EventDraft[]) => void,
	handle: HookHandle,
): boolean {
	const main = require.main?.filename;
	if (!main) return false;
	const file = join(dirname(main), '..', 'dist/executions/execution.service.js');
	const loaded = require.cache[file]?.exports as
		{ ExecutionService?: { prototype?: Record<string | symbol, unknown> } } | undefined;
	const proto = loaded?.ExecutionService?.prototype;
	if (!proto) {
		log('debug', 'n8n ExecutionService not loaded: stops of waiting executions are not reported');
		return false;
	}
	if (proto[STOP_WRAPPED]) return true;
	let wrapped = false;
	for (const name of ['stopInRegularMode', 'stopInScalingMode']) {
		const original = proto[name];
		if (typeof original !== 'function') continue;
		const replacement = async function (this: unknown, execution: unknown, ...rest: unknown[]) {
			const status = (execution as { status?: unknown } | undefined)?.status;
			const stopped: unknown = await original.call(this, execution, ...rest);
			if (status === 'waiting') {
				try {
					emit(mapper.stoppedWhileWaiting(stopped ?? execution));
				} catch (error) {
					handle.internalErrors++;
					if (handle.internalErrors <= 5) log('warn', `status relay hook error: ${String(error)}`);
				}
			}
			return stopped;
		};
		Object.defineProperty(replacement, 'name', { value: name });
		proto[name] = replacement;
		wrapped = true;
	}
	if (wrapped) proto[STOP_WRAPPED] = true;
	return wrapped;
}

/**
 * Fallback: n8n's MessageEventBus. We listen to 'metrics.eventBus.event' (emitted for every
 * message) rather than 'message', whose listeners would hold messages unconfirmed in n8n's log.
 */
function listenToEventBus(
	req: NodeJS.Require,
	emit: (events: EventDraft[]) => void,
	handle: HookHandle,
): boolean {
	try {
		const main = require.main?.filename;
		if (!main) return false;
		const busPath = join(
			dirname(main),
			'..',
			'dist/eventbus/message-event-bus/message-event-bus.js',
		);
		const { Container } = req('@n8n/di') as { Container: { get(type: unknown): unknown } };
		const { MessageEventBus } = req(busPath) as { MessageEventBus: unknown };
		const bus = Container.get(MessageEventBus) as {
			on(event: string, listener: (message: unknown) => void): void;
		};
		if (typeof bus?.on !== 'function') return false;
		const mapBusMessage = createBusMapper();
		bus.on('metrics.eventBus.event', (message: unknown) => {
			try {
				emit(mapBusMessage(message));
			} catch (error) {
				handle.internalErrors++;
				if (handle.internalErrors <= 5) log('warn', `status relay hook error: ${String(error)}`);
			}
		});
		return true;
	} catch (error) {
		log('debug', `n8n event bus not reachable: ${String(error)}`);
		return false;
	}
}

/** Event bus messages carry no node status, timing or item counts: we report what they have. */
export function createBusMapper(): (message: unknown) => EventDraft[] {
	const starts = new Map<string, number>();
	return (message: unknown) => {
		const msg = message as {
			eventName?: string;
			payload?: Record<string, unknown>;
			ts?: { toISO?: () => string } | string;
		};
		const payload = msg?.payload ?? {};
		const executionId = payload.executionId ? String(payload.executionId) : '';
		if (!executionId || !msg.eventName) return [];
		const occurredAt =
			(typeof msg.ts === 'object' && msg.ts?.toISO?.()) || new Date().toISOString();
		const base = {
			v: 1,
			workflowId: String(payload.workflowId ?? ''),
			workflowName: String(payload.workflowName ?? ''),
			executionId,
			mode: 'unknown',
			occurredAt,
		};
		const node = String(payload.nodeName ?? '');
		const nodeType = String(payload.nodeType ?? '');
		const key = `${executionId}\u0000${node}`;
		switch (msg.eventName) {
			case 'n8n.workflow.started':
				return [
					{
						...base,
						id: `${executionId}:started`,
						type: 'execution.started',
						data: { nodes: [], startedAt: occurredAt },
					},
				];
			case 'n8n.node.started': {
				const runIndex = starts.get(key) ?? 0;
				starts.set(key, runIndex + 1);
				return [
					{
						...base,
						id: `${executionId}:node.started:${node}:${runIndex}`,
						type: 'node.started',
						data: { node, nodeType, runIndex, startedAt: occurredAt },
					},
				];
			}
			case 'n8n.node.finished': {
				const runIndex = Math.max((starts.get(key) ?? 1) - 1, 0);
				return [
					{
						...base,
						id: `${executionId}:node.finished:${node}:${runIndex}:success`,
						type: 'node.finished',
						data: {
							node,
							nodeType,
							runIndex,
							status: 'success',
							finishedAt: occurredAt,
							itemsOut: [],
						},
					},
				];
			}
			case 'n8n.workflow.success':
			case 'n8n.workflow.failed':
			case 'n8n.workflow.cancelled': {
				for (const k of [...starts.keys()])
					if (k.startsWith(`${executionId}\u0000`)) starts.delete(k);
				const status =
					msg.eventName === 'n8n.workflow.success'
						? 'success'
						: msg.eventName === 'n8n.workflow.failed'
							? 'error'
							: 'canceled';
				const message = payload.errorMessage ? String(payload.errorMessage) : undefined;
				return [
					{
						...base,
						id: `${executionId}:finished`,
						type: 'execution.finished',
						data: {
							status,
							finishedAt: occurredAt,
							...(message
								? {
										error: {
											message,
											...(payload.lastNodeExecuted
												? { node: String(payload.lastNodeExecuted) }
												: {}),
										},
									}
								: {}),
						},
					},
				];
			}
			default:
				return [];
		}
	};
}
