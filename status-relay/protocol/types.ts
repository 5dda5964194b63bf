/**
 * The status relay's wire protocol, written down once (see ../PROTOCOL.md). The hook, the server, the
 * typed client, the dashboard and the tests all use these shapes.
 */

export const PROTOCOL_VERSION = 1;

export type ExecutionEventType =
	'execution.started' | 'execution.waiting' | 'execution.resumed' | 'execution.finished';
export type NodeEventType = 'node.started' | 'node.finished';
export type EventType = ExecutionEventType | NodeEventType;

export const EVENT_TYPES: readonly EventType[] = [
	'execution.started',
	'execution.waiting',
	'execution.resumed',
	'execution.finished',
	'node.started',
	'node.finished',
];

/** How a node run ended, as n8n reports it. */
export type NodeRunStatus = 'success' | 'error' | 'canceled' | 'waiting';

/** A node's state on a dashboard. */
export type NodeState =
	'pending' | 'running' | 'success' | 'error' | 'waiting' | 'skipped' | 'canceled';

export type ExecutionStatus = 'running' | 'waiting' | 'success' | 'error' | 'canceled' | 'crashed';

export interface WorkflowNodeInfo {
	name: string;
	type: string;
}

export interface ExecutionStartedData {
	/** The workflow's nodes (names and types only), so a dashboard can show pending and skipped nodes. */
	nodes: WorkflowNodeInfo[];
	startedAt: string;
	parentExecutionId?: string;
	parentWorkflowId?: string;
	retryOf?: string;
}

export interface ExecutionWaitingData {
	waitTill?: string;
	/** The node that holds the execution (a Wait or approval node). */
	node?: string;
}

export interface ExecutionResumedData {
	node?: string;
}

export interface ExecutionFinishedData {
	status: Exclude<ExecutionStatus, 'running' | 'waiting'>;
	startedAt?: string;
	finishedAt: string;
	durationMs?: number;
	error?: { message: string; node?: string };
	lastNode?: string;
}

export interface NodeStartedData {
	node: string;
	nodeType: string;
	runIndex: number;
	startedAt: string;
}

export interface NodeFinishedData {
	node: string;
	nodeType: string;
	runIndex: number;
	status: NodeRunStatus;
	startedAt?: string;
	finishedAt: string;
	durationMs?: number;
	/** Items per output (index = output index). */
	itemsOut: number[];
	error?: { message: string; description?: string };
	/** The node failed but the workflow went on (On Error: continue / error output). */
	continuedOnError?: boolean;
	subExecutionId?: string;
	subWorkflowId?: string;
}

export interface EventDataByType {
	'execution.started': ExecutionStartedData;
	'execution.waiting': ExecutionWaitingData;
	'execution.resumed': ExecutionResumedData;
	'execution.finished': ExecutionFinishedData;
	'node.started': NodeStartedData;
	'node.finished': NodeFinishedData;
}

/** What the hook sends: everything but the relay-assigned `seq` and `cursor`. */
export interface EventDraft<T extends EventType = EventType> {
	v: number;
	/** Dedupe key: the same fact reported twice (main and worker, a retried batch) has the same id. */
	id: string;
	type: T;
	workflowId: string;
	workflowName: string;
	executionId: string;
	mode: string;
	/** When it happened in n8n (ISO). */
	occurredAt: string;
	data: EventDataByType[T];
}

/** The envelope every subscriber sees. Item data is never included. */
export interface Envelope<T extends EventType = EventType> extends EventDraft<T> {
	/** Per execution, 1, 2, 3 ... with no gaps. */
	seq: number;
	/** Opaque resume position (position + epoch). */
	cursor: string;
	/** When the relay stored it (ISO). */
	ts: string;
}

/** POST /ingest body; signed with HMAC-SHA256 over the raw body (header x-relay-signature). */
export interface IngestBatch {
	v: number;
	source: { host: string; pid: number; role: string; n8nVersion?: string; hookVersion: string };
	/** Events the hook dropped since it started (bounded buffer overflow or rejected batches). */
	dropped: number;
	/** Set by the hook for every batch; with the body's timestamp check it stops replays. */
	sentAt: string;
	events: EventDraft[];
}

export interface IngestResult {
	accepted: number;
	duplicates: number;
	rejected: number;
}

export interface NodeSnapshot {
	name: string;
	type: string;
	state: NodeState;
	runs: number;
	startedAt?: string;
	finishedAt?: string;
	durationMs?: number;
	itemsOut?: number[];
	error?: { message: string; description?: string };
	continuedOnError?: boolean;
	subExecutionId?: string;
}

export interface ExecutionSnapshot {
	executionId: string;
	workflowId: string;
	workflowName: string;
	mode: string;
	status: ExecutionStatus;
	startedAt?: string;
	finishedAt?: string;
	durationMs?: number;
	waitTill?: string;
	error?: { message: string; node?: string };
	parentExecutionId?: string;
	/** Last seq applied to this snapshot. */
	seq: number;
	nodes: NodeSnapshot[];
	/** True when the relay rebuilt this from n8n's public API rather than from live events. */
	rebuilt?: boolean;
}

export interface WorkflowSnapshot {
	workflowId: string;
	workflowName?: string;
	/** Running and waiting executions first, then the most recent finished ones (newest first). */
	executions: ExecutionSnapshot[];
}

// ----------------------------------------------------------------------------------------------
// WebSocket messages

export type StreamScope = { kind: 'workflow'; id: string } | { kind: 'execution'; id: string };

export type ServerMessage =
	| { type: 'hello'; v: number; relayId: string; epoch: string; heartbeatMs: number }
	| {
			type: 'snapshot';
			scope: StreamScope;
			workflow?: WorkflowSnapshot;
			execution?: ExecutionSnapshot;
			/** Resume from here if you have nothing newer. */
			cursor: string;
	  }
	| { type: 'event'; event: Envelope }
	| { type: 'caught-up'; cursor: string }
	| { type: 'reset'; reason: 'cursor-expired' | 'epoch-changed' | 'cursor-invalid'; cursor: string }
	| { type: 'lagged'; cursor: string; dropped: number }
	| { type: 'heartbeat'; ts: string; cursor: string }
	| { type: 'error'; code: string; message: string };

export type ClientMessage = { type: 'ping' } | { type: 'ack'; cursor: string };

/** WebSocket subprotocol for the stream; a token can ride as a second subprotocol `bearer.<token>`. */
export const STREAM_SUBPROTOCOL = 'n8n-support-relay.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.';

export const SIGNATURE_HEADER = 'x-relay-signature';
