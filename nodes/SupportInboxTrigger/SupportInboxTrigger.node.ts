import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { createHash } from 'node:crypto';
import { readImapSmtpCredentials } from '../../lib/mail/credentials';
import { testImapSmtp } from '../../lib/mail/credential-test';
import { connectImap } from '../../lib/mail/imap';
import type { DedupeStore } from '../../lib/mail/inbox/dedupe';
import { RecentIdsStore } from '../../lib/mail/inbox/dedupe';
import type {
	AfterProcessing,
	InboxFilter,
	InboxMessage,
	InboxState,
} from '../../lib/mail/inbox/imap-inbox';
import { ImapInbox } from '../../lib/mail/inbox/imap-inbox';
import { readServiceAccountCredentials } from '../../lib/mail/credentials';
import { testServiceAccount } from '../../lib/mail/providers/gmail';
import { getGmailLabels, gmailProperties, triggerGmail } from './gmail';
import { toNodeError, withProcessedItemsHelper } from './helpers';

interface TriggerOptions {
	mode?: 'auto' | 'poll';
	pollInterval?: number;
	includeHtml?: boolean;
	stripQuotes?: boolean;
	includeRaw?: boolean;
	maxSizeMb?: number;
	batchSize?: number;
	emit?: 'message' | 'batch';
	ownAddresses?: string;
}

/** Consecutive failed reconnects after which the workflow is reported as failing (n8n retries it). */
const REPORT_AFTER_FAILED_RECONNECTS = 8;

export class SupportInboxTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Inbox Trigger',
		name: 'supportInboxTrigger',
		icon: { light: 'file:supportInboxTrigger.svg', dark: 'file:supportInboxTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["source"] === "gmail" ? "Gmail" : $parameter["mailbox"] }}',
		description:
			'Starts the workflow for each new support email (IMAP IDLE or polling, or Gmail), once per message, normalised',
		defaults: { name: 'Support Inbox Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'supportImapSmtpApi',
				required: true,
				testedBy: 'supportImapSmtpConnectionTest',
				displayOptions: { show: { source: ['imap'] } },
			},
			{
				name: 'supportGmailOAuth2Api',
				required: true,
				displayOptions: { show: { source: ['gmail'], gmailAuthentication: ['oAuth2'] } },
			},
			{
				name: 'supportGoogleServiceAccountApi',
				required: true,
				testedBy: 'supportGoogleServiceAccountTest',
				displayOptions: { show: { source: ['gmail'], gmailAuthentication: ['serviceAccount'] } },
			},
		],
		properties: [
			{
				displayName: 'Source',
				name: 'source',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'IMAP',
						value: 'imap',
						description: 'Any mail server: IDLE, or polling where the server has no IDLE',
					},
					{
						name: 'Gmail',
						value: 'gmail',
						description: 'The Gmail API (polls): new mail by label and search query',
					},
				],
				default: 'imap',
			},
			...gmailProperties,
			{
				displayName: 'Mailbox Name or ID',
				name: 'mailbox',
				displayOptions: { show: { source: ['imap'] } },
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getMailboxes' },
				default: 'INBOX',
				description:
					'The folder to watch. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Take Existing Mail',
				name: 'takeExisting',
				type: 'boolean',
				default: false,
				description:
					'Whether the first activation also takes the mail already in the mailbox. Off: only mail that arrives after activation starts the workflow.',
			},
			{
				displayName:
					'On: every message already in the mailbox starts the workflow once (replies may go out to old mail).',
				name: 'takeExistingNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { takeExisting: [true] } },
			},
			{
				displayName: 'After Processing',
				name: 'afterProcessing',
				displayOptions: { show: { source: ['imap'] } },
				type: 'options',
				options: [
					{
						name: 'Nothing',
						value: 'nothing',
						description:
							'Leave the message as it is (the trigger needs no flags to take each message once)',
					},
					{ name: 'Mark as Read', value: 'seen' },
					{
						name: 'Flag',
						value: 'flag',
						description: 'Add the \\Flagged flag (a star in most clients)',
					},
					{ name: 'Move to Folder', value: 'move' },
				],
				default: 'nothing',
				description: 'What to do with a message once it has started the workflow',
			},
			{
				displayName: 'Folder',
				name: 'moveTo',
				type: 'string',
				default: 'Processed',
				required: true,
				displayOptions: { show: { source: ['imap'], afterProcessing: ['move'] } },
				description: 'The folder to move processed mail to (it must exist)',
			},
			{
				displayName: 'Filters',
				name: 'filters',
				displayOptions: { show: { source: ['imap'] } },
				type: 'collection',
				placeholder: 'Add Filter',
				default: {},
				options: [
					{
						displayName: 'Body Contains',
						name: 'body',
						type: 'string',
						default: '',
					},
					{
						displayName: 'From Contains',
						name: 'from',
						type: 'string',
						default: '',
						placeholder: '@customer.com',
					},
					{
						displayName: 'Only Unread',
						name: 'unseenOnly',
						type: 'boolean',
						default: false,
						description: 'Whether to take only messages not yet marked as read',
					},
					{
						displayName: 'Subject Contains',
						name: 'subject',
						type: 'string',
						default: '',
					},
					{
						displayName: 'To Contains',
						name: 'to',
						type: 'string',
						default: '',
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				displayOptions: { show: { source: ['imap'] } },
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 50,
						description: 'How many messages are fetched from the server at a time',
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
						description:
							'Whether to add the message source as binary property "raw" (message/rfc822)',
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
							'Mail from these addresses is ours and is skipped (the credential user is always included)',
					},
					{
						displayName: 'Poll Interval (Seconds)',
						name: 'pollInterval',
						type: 'number',
						typeOptions: { minValue: 5 },
						default: 60,
						description:
							'How often to check for mail when polling; with IDLE, how often to double-check',
					},
					{
						displayName: 'Remove Quoted History and Signature',
						name: 'stripQuotes',
						type: 'boolean',
						default: true,
						description: 'Whether support.email.text keeps only the new words of the message',
					},
					{
						displayName: 'Watch Mode',
						name: 'mode',
						type: 'options',
						options: [
							{
								name: 'IDLE When Available',
								value: 'auto',
								description: 'Mail arrives within a second; polls on servers without IDLE',
							},
							{ name: 'Poll', value: 'poll', description: 'Check every poll interval' },
						],
						default: 'auto',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			getGmailLabels,
			async getMailboxes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const credentials = readImapSmtpCredentials(
					(await this.getCredentials('supportImapSmtpApi')) as IDataObject,
				);
				const client = await connectImap(credentials, { connectionTimeoutMs: 15_000 }).catch(
					(error: unknown) => {
						throw new NodeOperationError(this.getNode(), (error as Error).message);
					},
				);
				try {
					const list = await client.list();
					return list
						.filter((box) => !box.flags.has('\\Noselect'))
						.map((box) => ({ name: box.path, value: box.path }))
						.sort((a, b) =>
							a.value === 'INBOX' ? -1 : b.value === 'INBOX' ? 1 : a.name.localeCompare(b.name),
						);
				} finally {
					await client.logout().catch(() => undefined);
				}
			},
		},
		credentialTest: {
			async supportImapSmtpConnectionTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testImapSmtp(readImapSmtpCredentials((credential.data ?? {}) as IDataObject));
			},
			async supportGoogleServiceAccountTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testServiceAccount(
					readServiceAccountCredentials((credential.data ?? {}) as IDataObject),
				);
			},
		},
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		if (this.getNodeParameter('source', 'imap') === 'gmail') return await triggerGmail(this);
		const credentials = readImapSmtpCredentials(
			(await this.getCredentials('supportImapSmtpApi')) as IDataObject,
		);
		const mailbox = (this.getNodeParameter('mailbox', 'INBOX') as string) || 'INBOX';
		const takeExisting = this.getNodeParameter('takeExisting', false) as boolean;
		const afterProcessing = this.getNodeParameter('afterProcessing', 'nothing') as AfterProcessing;
		const moveTo =
			afterProcessing === 'move' ? (this.getNodeParameter('moveTo', '') as string) : undefined;
		const filters = this.getNodeParameter('filters', {}) as InboxFilter;
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		const ownAddresses = [
			credentials.user,
			...(options.ownAddresses ?? '')
				.split(/[,;\s]+/)
				.map((a) => a.trim())
				.filter(Boolean),
		].filter((a) => a.includes('@'));

		const manual = this.getMode() === 'manual';
		const staticData = this.getWorkflowStaticData('node');
		// State belongs to one account and mailbox: another one starts afresh.
		const scope = createHash('sha256')
			.update(
				[credentials.imapHost, credentials.imapPort, credentials.user, mailbox].join('\u0000'),
			)
			.digest('base64url')
			.slice(0, 16);
		if (!manual && staticData.scope !== scope) {
			for (const key of Object.keys(staticData)) delete staticData[key];
			staticData.scope = scope;
		}
		let memoryState: InboxState = {};
		const memoryIds: { seenIds?: string[] } = {};
		const state = manual
			? { load: () => memoryState, save: (next: InboxState) => (memoryState = next) }
			: {
					load: (): InboxState => ({
						uidValidity: staticData.uidValidity as string | undefined,
						lastUid: staticData.lastUid as number | undefined,
						checkedAt: staticData.checkedAt as string | undefined,
					}),
					save: (next: InboxState) => {
						staticData.uidValidity = next.uidValidity;
						staticData.lastUid = next.lastUid;
						staticData.checkedAt = next.checkedAt;
					},
				};

		const dedupe: DedupeStore = manual
			? new RecentIdsStore(memoryIds)
			: withProcessedItemsHelper(this, new RecentIdsStore(staticData as { seenIds?: string[] }));

		const toItem = async (message: InboxMessage): Promise<INodeExecutionData> => {
			const item: INodeExecutionData = {
				json: { support: { email: message.email as unknown as IDataObject } },
			};
			if (message.raw) {
				item.binary = {
					raw: await this.helpers.prepareBinaryData(message.raw, 'message.eml', 'message/rfc822'),
				};
			}
			return item;
		};

		let reported = false;
		const inbox = new ImapInbox({
			credentials,
			mailbox,
			filter: filters,
			afterProcessing: manual ? 'nothing' : afterProcessing,
			moveTo,
			takeExisting,
			mode: options.mode ?? 'auto',
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
				debug: (message, meta) => this.logger.debug(message, meta),
				info: (message, meta) => this.logger.info(message, meta),
				warn: (message, meta) => this.logger.warn(message, meta),
				error: (message, meta) => this.logger.error(message, meta),
			},
			onMessages: async (messages) => {
				if (manual) {
					this.emit([await Promise.all(messages.slice(0, 1).map(toItem))]);
					return;
				}
				if (options.emit === 'batch') {
					this.emit([await Promise.all(messages.map(toItem))]);
					return;
				}
				// No execution deduplication key: on n8n 2.41 with SQLite, keyed executions emitted back to
				// back lost all but the first. The trigger's own UID state and Message-ID dedupe suffice.
				for (const message of messages) this.emit([[await toItem(message)]]);
			},
			onConnectionError: (error, attempt) => {
				if (manual || reported || attempt < REPORT_AFTER_FAILED_RECONNECTS) return;
				reported = true;
				this.emitError(
					new NodeApiError(
						this.getNode(),
						{ message: error.message },
						{
							message: error.message,
							description: error.hint,
						},
					),
				);
			},
		});

		try {
			await inbox.open();
		} catch (error) {
			await inbox.stop();
			throw toNodeError(this, error);
		}

		const closeFunction = async () => {
			await inbox.stop();
		};

		if (manual) {
			const manualTriggerFunction = async () => {
				const [latest] = await inbox.latest(1);
				if (latest) {
					this.emit([[await toItem(latest)]]);
					return;
				}
				// An empty mailbox: wait for the next message.
				inbox.run();
			};
			return { closeFunction, manualTriggerFunction };
		}

		inbox.run();
		return { closeFunction };
	}
}
