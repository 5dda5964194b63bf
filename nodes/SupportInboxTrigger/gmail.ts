/** The Gmail source of the Support Inbox Trigger: parameters, label list and the watcher's wiring. */
import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodeProperties,
	INodePropertyOptions,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { createHash } from 'node:crypto';
import type { gmail_v1 } from '@googleapis/gmail';
import { readServiceAccountCredentials } from '../../lib/mail/credentials';
import type { DedupeStore } from '../../lib/mail/inbox/dedupe';
import { RecentIdsStore } from '../../lib/mail/inbox/dedupe';
import type { GmailInboxMessage, GmailInboxState } from '../../lib/mail/inbox/gmail-inbox';
import { GmailInbox } from '../../lib/mail/inbox/gmail-inbox';
import {
	describeGmailError,
	gmailClient,
	oauth2Access,
	serviceAccountAccess,
} from '../../lib/mail/providers/gmail';
import { toNodeError, withProcessedItemsHelper } from './helpers';

const showGmail = { source: ['gmail'] };

export const gmailProperties: INodeProperties[] = [
	{
		displayName: 'Gmail Authentication',
		name: 'gmailAuthentication',
		type: 'options',
		options: [
			{ name: 'OAuth2', value: 'oAuth2' },
			{
				name: 'Service Account (Google Workspace)',
				value: 'serviceAccount',
				description: 'Domain-wide delegation, acting as one mailbox',
			},
		],
		default: 'oAuth2',
		displayOptions: { show: showGmail },
	},
	{
		displayName: 'Label Names or IDs',
		name: 'labelIds',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getGmailLabels' },
		default: ['INBOX'],
		description:
			'Mail carrying all of these labels starts the workflow. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: showGmail },
	},
	{
		displayName: 'Search Query',
		name: 'gmailQuery',
		type: 'string',
		default: '',
		placeholder: '-category:promotions -from:noreply@example.com',
		description:
			'Only mail this Gmail search finds (the syntax of the Gmail search box); empty: all mail with the labels',
		displayOptions: { show: showGmail },
	},
	{
		displayName: 'Options',
		name: 'gmailOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: showGmail },
		options: [
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'How many messages are fetched before they are handed over',
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
				description:
					"Mail from these addresses is ours and is skipped (the Gmail account's own address is always included)",
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollInterval',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 60,
				description: 'How often to ask Gmail for new mail',
			},
			{
				displayName: 'Remove Quoted History and Signature',
				name: 'stripQuotes',
				type: 'boolean',
				default: true,
				description: 'Whether support.email.text keeps only the new words of the message',
			},
		],
	},
];

interface GmailTriggerOptions {
	batchSize?: number;
	emit?: 'message' | 'batch';
	includeHtml?: boolean;
	includeRaw?: boolean;
	maxSizeMb?: number;
	ownAddresses?: string;
	pollInterval?: number;
	stripQuotes?: boolean;
}

type Context = ITriggerFunctions | ILoadOptionsFunctions;

/** Service-account tokens last an hour: renew a little before. */
const SERVICE_TOKEN_LIFETIME_MS = 45 * 60_000;
/** Failed syncs in a row after which the workflow is reported as failing (n8n retries it). */
const REPORT_AFTER_FAILURES = 8;
const REPORT_AUTH_AFTER_FAILURES = 2;

/** A Gmail client factory for the chosen credential (a service-account token is renewed as needed). */
function clientFactory(context: Context): () => Promise<gmail_v1.Gmail> {
	const authentication = context.getNodeParameter('gmailAuthentication', 'oAuth2') as string;
	if (authentication === 'serviceAccount') {
		let cached: { client: gmail_v1.Gmail; at: number } | undefined;
		return async () => {
			if (cached && Date.now() - cached.at < SERVICE_TOKEN_LIFETIME_MS) return cached.client;
			const data = (await context.getCredentials('supportGoogleServiceAccountApi')) as IDataObject;
			const access = await serviceAccountAccess(readServiceAccountCredentials(data));
			cached = { client: gmailClient(access), at: Date.now() };
			return cached.client;
		};
	}
	let client: gmail_v1.Gmail | undefined;
	return async () => {
		// google-auth-library refreshes the access token with the refresh token when it is rejected.
		client ??= gmailClient(
			oauth2Access((await context.getCredentials('supportGmailOAuth2Api')) as IDataObject),
		);
		return client;
	};
}

export async function getGmailLabels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	try {
		const api = await clientFactory(this)();
		const labels = (await api.users.labels.list({ userId: 'me' })).data.labels ?? [];
		return labels
			.filter((l) => l.id && l.name)
			.map((l) => ({ name: l.name!, value: l.id! }))
			.sort((a, b) =>
				a.value === 'INBOX' ? -1 : b.value === 'INBOX' ? 1 : a.name.localeCompare(b.name),
			);
	} catch (error) {
		const mailError = describeGmailError(error);
		throw new NodeOperationError(this.getNode(), mailError.message, {
			description: mailError.hint,
		});
	}
}

export async function triggerGmail(context: ITriggerFunctions): Promise<ITriggerResponse> {
	const authentication = context.getNodeParameter('gmailAuthentication', 'oAuth2') as string;
	const labels = (context.getNodeParameter('labelIds', ['INBOX']) as string[] | string) ?? [];
	const labelList = (Array.isArray(labels) ? labels : String(labels).split(','))
		.map((l) => String(l).trim())
		.filter(Boolean);
	const query = (context.getNodeParameter('gmailQuery', '') as string).trim();
	const takeExisting = context.getNodeParameter('takeExisting', false) as boolean;
	const options = context.getNodeParameter('gmailOptions', {}) as GmailTriggerOptions;
	const ownAddresses = (options.ownAddresses ?? '')
		.split(/[,;\s]+/)
		.map((a) => a.trim())
		.filter((a) => a.includes('@'));

	const manual = context.getMode() === 'manual';
	const staticData = context.getWorkflowStaticData('node');
	// State belongs to one account, label set and query: another one starts afresh.
	const credentialName =
		authentication === 'serviceAccount'
			? 'supportGoogleServiceAccountApi'
			: 'supportGmailOAuth2Api';
	const credentialId = context.getNode().credentials?.[credentialName]?.id ?? '';
	const scope = createHash('sha256')
		.update(['gmail', authentication, credentialId, ...labelList, query].join('\u0000'))
		.digest('base64url')
		.slice(0, 16);
	if (!manual && staticData.scope !== scope) {
		for (const key of Object.keys(staticData)) delete staticData[key];
		staticData.scope = scope;
	}
	let memoryState: GmailInboxState = {};
	const state = manual
		? { load: () => memoryState, save: (next: GmailInboxState) => (memoryState = next) }
		: {
				load: (): GmailInboxState => ({
					historyId: staticData.historyId as string | undefined,
					checkedAt: staticData.checkedAt as string | undefined,
					lastInternalDate: staticData.lastInternalDate as number | undefined,
					fullSync: staticData.fullSync as boolean | undefined,
				}),
				save: (next: GmailInboxState) => {
					staticData.historyId = next.historyId;
					staticData.checkedAt = next.checkedAt;
					staticData.lastInternalDate = next.lastInternalDate;
					if (next.fullSync) staticData.fullSync = true;
					else delete staticData.fullSync;
				},
			};
	const dedupe: DedupeStore = manual
		? new RecentIdsStore({})
		: withProcessedItemsHelper(context, new RecentIdsStore(staticData as { seenIds?: string[] }));

	const toItem = async (message: GmailInboxMessage): Promise<INodeExecutionData> => {
		const item: INodeExecutionData = {
			json: { support: { email: message.email as unknown as IDataObject } },
		};
		if (message.raw) {
			item.binary = {
				raw: await context.helpers.prepareBinaryData(message.raw, 'message.eml', 'message/rfc822'),
			};
		}
		return item;
	};

	let reported = false;
	const inbox = new GmailInbox({
		client: clientFactory(context),
		labels: labelList,
		query,
		takeExisting,
		pollIntervalMs: (options.pollInterval ?? 60) * 1000,
		batchSize: options.batchSize ?? 50,
		includeHtml: options.includeHtml,
		stripQuotes: options.stripQuotes,
		includeRaw: options.includeRaw,
		maxBytes: Math.round((options.maxSizeMb ?? 50) * 1024 * 1024),
		ownAddresses,
		state,
		dedupe,
		logger: {
			debug: (message, meta) => context.logger.debug(message, meta),
			info: (message, meta) => context.logger.info(message, meta),
			warn: (message, meta) => context.logger.warn(message, meta),
			error: (message, meta) => context.logger.error(message, meta),
		},
		onMessages: async (messages) => {
			if (manual) {
				context.emit([await Promise.all(messages.slice(0, 1).map(toItem))]);
				return;
			}
			if (options.emit === 'batch') {
				context.emit([await Promise.all(messages.map(toItem))]);
				return;
			}
			for (const message of messages) context.emit([[await toItem(message)]]);
		},
		onSyncError: (error, failures) => {
			const limit = error.kind === 'auth' ? REPORT_AUTH_AFTER_FAILURES : REPORT_AFTER_FAILURES;
			if (manual || reported || failures < limit) return;
			reported = true;
			context.emitError(
				new NodeApiError(
					context.getNode(),
					{ message: error.message },
					{ message: error.message, description: error.hint },
				),
			);
		},
	});

	try {
		await inbox.open();
	} catch (error) {
		await inbox.stop();
		throw toNodeError(context, error);
	}
	const closeFunction = async () => {
		await inbox.stop();
	};
	if (manual) {
		const manualTriggerFunction = async () => {
			const [latest] = await inbox.latest(1);
			if (latest) {
				context.emit([[await toItem(latest)]]);
				return;
			}
			inbox.run();
		};
		return { closeFunction, manualTriggerFunction };
	}
	inbox.run();
	return { closeFunction };
}
