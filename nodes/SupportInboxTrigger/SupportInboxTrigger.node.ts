import type {
	ILoadOptionsFunctions,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { mailCredentialTests } from '../shared/mail-credential-tests';
import { mailCredentials } from '../shared/mail-transport';
import { connectImap } from '../../lib/mail/imap';
import type { AfterProcessing, InboxFilter, InboxState } from '../../lib/mail/inbox/imap-inbox';
import { ImapInbox } from '../../lib/mail/inbox/imap-inbox';
import { getGmailLabels, gmailProperties, triggerGmail } from './gmail';
import {
	dedupeStore,
	emitMessages,
	inboxLogger,
	ownAddressList,
	scopedStaticData,
	startWatcher,
	stateStore,
} from './helpers';
import type { WatchOptionValues } from './options';
import { watchOptionFields, watchSettings } from './options';

interface TriggerOptions extends WatchOptionValues {
	mode?: 'auto' | 'poll';
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
					...watchOptionFields({
						batchSizeDescription: 'How many messages are fetched from the server at a time',
						ownAddressesDescription:
							'Mail from these addresses is ours and is skipped (the credential user is always included)',
						pollIntervalMin: 5,
						pollIntervalDescription:
							'How often to check for mail when polling; with IDLE, how often to double-check',
					}),
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
				const credentials = await mailCredentials.imapSmtp(this);
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
		credentialTest: mailCredentialTests,
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		if (this.getNodeParameter('source', 'imap') === 'gmail') return await triggerGmail(this);
		const credentials = await mailCredentials.imapSmtp(this);
		const mailbox = (this.getNodeParameter('mailbox', 'INBOX') as string) || 'INBOX';
		const takeExisting = this.getNodeParameter('takeExisting', false) as boolean;
		const afterProcessing = this.getNodeParameter('afterProcessing', 'nothing') as AfterProcessing;
		const moveTo =
			afterProcessing === 'move' ? (this.getNodeParameter('moveTo', '') as string) : undefined;
		const filters = this.getNodeParameter('filters', {}) as InboxFilter;
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		const ownAddresses = [credentials.user, ...ownAddressList(options.ownAddresses)].filter((a) =>
			a.includes('@'),
		);

		const manual = this.getMode() === 'manual';
		// State belongs to one account and mailbox: another one starts afresh.
		const staticData = scopedStaticData(this, manual, [
			credentials.imapHost,
			credentials.imapPort,
			credentials.user,
			mailbox,
		]);
		const state = stateStore<InboxState>(manual, {
			load: () => ({
				uidValidity: staticData.uidValidity as string | undefined,
				lastUid: staticData.lastUid as number | undefined,
				checkedAt: staticData.checkedAt as string | undefined,
			}),
			save: (next) => {
				staticData.uidValidity = next.uidValidity;
				staticData.lastUid = next.lastUid;
				staticData.checkedAt = next.checkedAt;
			},
		});

		let reported = false;
		const inbox = new ImapInbox({
			credentials,
			mailbox,
			filter: filters,
			afterProcessing: manual ? 'nothing' : afterProcessing,
			moveTo,
			takeExisting,
			mode: options.mode ?? 'auto',
			...watchSettings(options),
			ownAddresses,
			state,
			dedupe: dedupeStore(this, manual, staticData),
			logger: inboxLogger(this),
			onMessages: emitMessages(this, manual, options.emit),
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

		return await startWatcher(this, inbox, manual);
	}
}
