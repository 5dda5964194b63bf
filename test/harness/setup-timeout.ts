// Real n8n runs take seconds, not milliseconds.
jest.setTimeout(180_000);
