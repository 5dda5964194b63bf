import pino from 'pino';
import type { Logger, DestinationStream } from 'pino';

export type { Logger };

/**
 * Fields that would carry a secret if a log call ever passed one along: written as [Redacted].
 * (The relay logs no request headers, bodies or tokens; this is the safety net.)
 */
const SECRET_FIELDS = [
	'authorization',
	'apiKey',
	'secret',
	'token',
	'password',
	'headers.authorization',
	'headers["x-relay-token"]',
	'headers["x-n8n-api-key"]',
	'headers["x-relay-signature"]',
	'*.authorization',
	'*.apiKey',
	'*.secret',
	'*.token',
	'*.password',
];

/** One JSON object a line on stdout (or the given stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
	return pino(
		{
			level,
			redact: { paths: SECRET_FIELDS, censor: '[Redacted]' },
			base: { component: 'n8n-support-relay' },
			timestamp: pino.stdTimeFunctions.isoTime,
			formatters: { level: (label) => ({ level: label }) },
		},
		destination,
	);
}
