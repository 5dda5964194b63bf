/** Prometheus metrics, all prefixed `relay_`, never labelled with execution or workflow ids. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class RelayMetrics {
	readonly registry = new Registry();
	readonly ingestEvents = new Counter({
		name: 'relay_ingest_events_total',
		help: 'Events received from n8n hooks, by result (accepted, duplicate, rejected).',
		labelNames: ['result'] as const,
		registers: [this.registry],
	});
	readonly ingestBatches = new Counter({
		name: 'relay_ingest_batches_total',
		help: 'Batches received on /ingest, by result (ok, bad_signature, invalid, too_large).',
		labelNames: ['result'] as const,
		registers: [this.registry],
	});
	readonly hookDropped = new Gauge({
		name: 'relay_hook_dropped_events',
		help: 'Events the n8n hooks report having dropped (buffer full while the relay was away), summed over hook processes.',
		registers: [this.registry],
	});
	readonly hookSources = new Gauge({
		name: 'relay_hook_sources',
		help: 'n8n processes (main, workers, ...) that sent a batch in the last 5 minutes.',
		registers: [this.registry],
	});
	readonly wsClients = new Gauge({
		name: 'relay_ws_clients',
		help: 'Open WebSocket subscriptions.',
		registers: [this.registry],
	});
	readonly wsMessages = new Counter({
		name: 'relay_ws_messages_sent_total',
		help: 'Messages sent to WebSocket subscribers, by type.',
		labelNames: ['type'] as const,
		registers: [this.registry],
	});
	readonly wsLagged = new Counter({
		name: 'relay_ws_lagged_total',
		help: 'Subscribers closed because they could not keep up.',
		registers: [this.registry],
	});
	readonly wsRejected = new Counter({
		name: 'relay_ws_rejected_total',
		help: 'WebSocket upgrades refused (bad token, unknown scope, bad path).',
		registers: [this.registry],
	});
	readonly storeEvents = new Gauge({
		name: 'relay_store_events',
		help: 'Events held in the store for resuming.',
		registers: [this.registry],
	});
	readonly trackedExecutions = new Gauge({
		name: 'relay_tracked_executions',
		help: 'Executions whose live state the relay holds.',
		registers: [this.registry],
	});
	readonly ingestToSend = new Histogram({
		name: 'relay_event_ingest_to_send_seconds',
		help: 'Time from the relay storing an event to handing it to a subscriber socket.',
		buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
		registers: [this.registry],
	});
	readonly storeBytes = new Gauge({
		name: 'relay_store_bytes',
		help: 'Bytes of events held in the store for resuming (memory store).',
		registers: [this.registry],
	});
	readonly truncatedStrings = new Counter({
		name: 'relay_event_strings_truncated_total',
		help: 'Strings in events (error messages, names) cut to RELAY_EVENT_STRING_MAX.',
		registers: [this.registry],
	});
	readonly httpRequests = new Counter({
		name: 'relay_http_requests_total',
		help: 'HTTP requests by route and status code.',
		labelNames: ['route', 'status'] as const,
		registers: [this.registry],
	});

	constructor() {
		collectDefaultMetrics({ register: this.registry, prefix: 'relay_' });
		// /metrics is unauthenticated: the Node version would tell an attacker what to try.
		this.registry.removeSingleMetric('relay_nodejs_version_info');
	}
}
