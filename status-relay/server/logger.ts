import pino from 'pino';
import type { Logger, DestinationStream } from 'pino';

export type { Logger };

/** One JSON object a line on stdout (or the given stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
	return pino(
		{
			level,
			base: { component: 'n8n-support-relay' },
			timestamp: pino.stdTimeFunctions.isoTime,
			formatters: { level: (label) => ({ level: label }) },
		},
		destination,
	);
}
