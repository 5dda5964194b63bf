// Splits the tests in real n8n into shards of about equal length (`jest --shard=i/n`), so `npm test`
// can run each n8n version's files in several jest processes side by side. jest's own split hashes
// file paths and can put the four longest files in one shard. Order within a shard is jest's own.
const Sequencer = require('@jest/test-sequencer').default;
const { basename } = require('node:path');

// Seconds each file took in a full `npm test` on this 2-core machine (n8n 2.41.1 pass, ciJ); only
// their proportions matter. A file not listed counts as NEW_FILE_SECONDS.
const SECONDS = {
	'inbox.test.ts': 284,
	'install-paths.test.ts': 267,
	'inbox-gmail.test.ts': 251,
	'queue-e2e.test.ts': 205,
	'relay-queue.test.ts': 130,
	'relay-dashboard.test.ts': 127,
	'relay.test.ts': 126,
	'send.test.ts': 93,
	'new-admin.test.ts': 92,
	'demo.test.ts': 70,
	'workflow-import.test.ts': 51,
	'escalation.test.ts': 41,
	'node-panel.test.ts': 32,
	'priority-router.test.ts': 18,
	'support-chain.test.ts': 17,
	'reply-drafter.test.ts': 17,
	'knowledge-embeddings.test.ts': 16,
	'workflow-editor.test.ts': 16,
	'classifier.test.ts': 14,
	'normalize.test.ts': 12,
	'docker.test.ts': 8,
	'knowledge.test.ts': 6,
	'provider-list.test.ts': 6,
	'load.test.ts': 6,
	'ai-credentials.test.ts': 6,
};
const NEW_FILE_SECONDS = 30;

const secondsOf = (test) => SECONDS[basename(test.path)] ?? NEW_FILE_SECONDS;

class BalancedSequencer extends Sequencer {
	/** Longest first, each file to the shard with the least so far (greedy; the same split in every process). */
	shard(tests, { shardIndex, shardCount }) {
		const sorted = [...tests].sort(
			(a, b) => secondsOf(b) - secondsOf(a) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
		);
		const load = new Array(shardCount).fill(0);
		const shards = load.map(() => []);
		for (const test of sorted) {
			const k = load.indexOf(Math.min(...load));
			shards[k].push(test);
			load[k] += secondsOf(test);
		}
		return shards[shardIndex - 1];
	}
}

module.exports = BalancedSequencer;
