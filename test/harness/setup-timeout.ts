// Real n8n runs take seconds, not milliseconds, and a test file's setup starts n8n, relays, Redis and
// Chromium: at load 30 (two `npm test` runs side by side, each with four n8n shards) setup hooks took
// over 3 minutes. A test that hangs fails after 10.
jest.setTimeout(10 * 60_000);
