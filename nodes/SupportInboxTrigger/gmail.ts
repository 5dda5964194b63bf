/** The Gmail source of the Support Inbox Trigger: parameters, label list and the watcher's wiring. */
import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeProperties,
	INodePropertyOptions,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { gmail_v1 } from '@googleapis/gmail';
import { readServiceAccountCredentials } from '../../lib/mail/credentials';
import type { GmailInboxState } from '../../lib/mail/inbox/gmail-inbox';
import { GmailInbox } from '../../lib/mail/inbox/gmail-inbox';
import {
	describeGmailError,
	gmailClient,
	oauth2Access,
	serviceAccountAccess,
} from '../../lib/mail/providers/gmail';
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
		client: clientFactory(context),
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
			context.emitError(
				new NodeApiError(
					context.getNode(),
					{ message: error.message },
					{ message: error.message, description: error.hint },
				),
			);
		},
	});

	return await startWatcher(context, inbox, manual);
}
