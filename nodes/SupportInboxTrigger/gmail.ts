/** The Gmail source of the Support Inbox Trigger: parameters, label list and the watcher's wiring. */
import type {
	ILoadOptionsFunctions,
	INodeProperties,
	INodePropertyOptions,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import type { GmailInboxState } from '../../lib/mail/inbox/gmail-inbox';
import { GmailInbox } from '../../lib/mail/inbox/gmail-inbox';
import { describeGmailError } from '../../lib/mail/providers/gmail';
import { mailNodeError } from '../shared/mail-errors';
import { gmailAccess, gmailAuthentication } from '../shared/mail-transport';
import { gmailAuthenticationField } from '../shared/mail-fields';
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

const showGmail = { source: ['gmail'] };

export const gmailProperties: INodeProperties[] = [
	gmailAuthenticationField({ show: showGmail }),
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
		options: watchOptionFields({
			batchSizeDescription: 'How many messages are fetched before they are handed over',
			ownAddressesDescription:
				"Mail from these addresses is ours and is skipped (the Gmail account's own address is always included)",
			pollIntervalMin: 1,
			pollIntervalDescription: 'How often to ask Gmail for new mail',
		}),
	},
];

/** Failed syncs in a row after which the workflow is reported as failing (n8n retries it). */
const REPORT_AFTER_FAILURES = 8;
const REPORT_AUTH_AFTER_FAILURES = 2;

export async function getGmailLabels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	try {
		const { api } = await gmailAccess(this);
		const labels = (await api.users.labels.list({ userId: 'me' })).data.labels ?? [];
		return labels
			.filter((l) => l.id && l.name)
			.map((l) => ({ name: l.name!, value: l.id! }))
			.sort((a, b) =>
				a.value === 'INBOX' ? -1 : b.value === 'INBOX' ? 1 : a.name.localeCompare(b.name),
			);
	} catch (error) {
		throw mailNodeError(this.getNode(), describeGmailError(error));
	}
}

export async function triggerGmail(context: ITriggerFunctions): Promise<ITriggerResponse> {
	const authentication = gmailAuthentication(context);
	const labels = (context.getNodeParameter('labelIds', ['INBOX']) as string[] | string) ?? [];
	const labelList = (Array.isArray(labels) ? labels : String(labels).split(','))
		.map((l) => String(l).trim())
		.filter(Boolean);
	const query = (context.getNodeParameter('gmailQuery', '') as string).trim();
	const takeExisting = context.getNodeParameter('takeExisting', false) as boolean;
	const options = context.getNodeParameter('gmailOptions', {}) as WatchOptionValues;
	const ownAddresses = ownAddressList(options.ownAddresses);

	const manual = context.getMode() === 'manual';
	// State belongs to one account, label set and query: another one starts afresh.
	const credentialName =
		authentication === 'serviceAccount'
			? 'supportGoogleServiceAccountApi'
			: 'supportGmailOAuth2Api';
	const credentialId = context.getNode().credentials?.[credentialName]?.id ?? '';
	const staticData = scopedStaticData(context, manual, [
		'gmail',
		authentication,
		credentialId,
		...labelList,
		query,
	]);
	const state = stateStore<GmailInboxState>(manual, {
		load: () => ({
			historyId: staticData.historyId as string | undefined,
			checkedAt: staticData.checkedAt as string | undefined,
			lastInternalDate: staticData.lastInternalDate as number | undefined,
			fullSync: staticData.fullSync as boolean | undefined,
		}),
		save: (next) => {
			staticData.historyId = next.historyId;
			staticData.checkedAt = next.checkedAt;
			staticData.lastInternalDate = next.lastInternalDate;
			if (next.fullSync) staticData.fullSync = true;
			else delete staticData.fullSync;
		},
	});
	let reported = false;
	const inbox = new GmailInbox({
		// Asked before every sync: the cached service-account token, renewed shortly before it expires.
		client: async () => (await gmailAccess(context)).api,
		labels: labelList,
		query,
		takeExisting,
		...watchSettings(options),
		ownAddresses,
		state,
		dedupe: dedupeStore(context, manual, staticData),
		logger: inboxLogger(context),
		onMessages: emitMessages(context, manual, options.emit),
		onSyncError: (error, failures) => {
			const limit = error.kind === 'auth' ? REPORT_AUTH_AFTER_FAILURES : REPORT_AFTER_FAILURES;
			if (manual || reported || failures < limit) return;
			reported = true;
			context.emitError(mailNodeError(context.getNode(), error));
		},
	});

	return await startWatcher(context, inbox, manual);
}
