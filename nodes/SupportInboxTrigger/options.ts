/** The options the IMAP and the Gmail source of the Support Inbox Trigger have in common. */
import type { INodeProperties } from 'n8n-workflow';
import type { WatchOptions } from '../../lib/mail/inbox/watch';

/** The values of the shared options, as `getNodeParameter` returns the collection. */
export interface WatchOptionValues {
	batchSize?: number;
	emit?: 'message' | 'batch';
	includeHtml?: boolean;
	includeRaw?: boolean;
	maxSizeMb?: number;
	ownAddresses?: string;
	pollInterval?: number;
	stripQuotes?: boolean;
}

/** What the sources say differently about the same option. */
export interface WatchOptionTexts {
	batchSizeDescription: string;
	ownAddressesDescription: string;
	pollIntervalMin: number;
	pollIntervalDescription: string;
}

/** The shared options, in the collection's (alphabetical) order. */
export function watchOptionFields(texts: WatchOptionTexts): INodeProperties[] {
	return [
		{
			displayName: 'Batch Size',
			name: 'batchSize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: texts.batchSizeDescription,
		},
		{
			displayName: 'Emit',
			name: 'emit',
			type: 'options',
			options: [
				{
					name: 'One Execution per Message',
					value: 'message',
					description: 'A failing message does not hold up the others',
				},
				{
					name: 'One Execution per Batch',
					value: 'batch',
					description: 'Fewer executions when much mail arrives at once',
				},
			],
			default: 'message',
		},
		{
			displayName: 'Include HTML',
			name: 'includeHtml',
			type: 'boolean',
			default: true,
			description: 'Whether to keep the HTML body in support.email.html',
		},
		{
			displayName: 'Include Raw Message',
			name: 'includeRaw',
			type: 'boolean',
			default: false,
			description: 'Whether to add the message source as binary property "raw" (message/rfc822)',
		},
		{
			displayName: 'Max Email Size (MB)',
			name: 'maxSizeMb',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Larger messages are skipped (and logged) instead of being downloaded',
		},
		{
			displayName: 'Our Own Addresses',
			name: 'ownAddresses',
			type: 'string',
			default: '',
			placeholder: 'support@example.com, help@example.com',
			description: texts.ownAddressesDescription,
		},
		{
			displayName: 'Poll Interval (Seconds)',
			name: 'pollInterval',
			type: 'number',
			typeOptions: { minValue: texts.pollIntervalMin },
			default: 60,
			description: texts.pollIntervalDescription,
		},
		{
			displayName: 'Remove Quoted History and Signature',
			name: 'stripQuotes',
			type: 'boolean',
			default: true,
			description: 'Whether support.email.text keeps only the new words of the message',
		},
	];
}

/** The watcher's settings from the shared options (with the defaults the fields show). */
export function watchSettings(
	options: WatchOptionValues,
): Pick<
	WatchOptions<unknown, unknown>,
	'pollIntervalMs' | 'batchSize' | 'includeHtml' | 'stripQuotes' | 'includeRaw' | 'maxBytes'
> {
	return {
		pollIntervalMs: (options.pollInterval ?? 60) * 1000,
		batchSize: options.batchSize ?? 50,
		includeHtml: options.includeHtml,
		stripQuotes: options.stripQuotes,
		includeRaw: options.includeRaw,
		maxBytes: Math.round((options.maxSizeMb ?? 50) * 1024 * 1024),
	};
}
