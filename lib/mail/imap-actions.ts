import type { ImapFlow } from 'imapflow';
import type { ImapSmtpCredentials } from './credentials';
import { MailError } from './errors';
import { connectImap, describeImapError } from './imap';

async function withImap<T>(
	credentials: ImapSmtpCredentials,
	work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
	const client = await connectImap(credentials);
	try {
		return await work(client);
	} catch (error) {
		throw error instanceof MailError ? error : describeImapError(error, credentials);
	} finally {
		await client.logout().catch(() => client.close());
	}
}

/** The mailbox with a special use (\Drafts, \Sent ...), else one of the usual names. */
async function specialMailbox(client: ImapFlow, use: string, names: string[]): Promise<string> {
	const list = await client.list();
	const special = list.find((box) => box.specialUse === use);
	if (special) return special.path;
	const named = list.find((box) => names.some((n) => box.path.toLowerCase() === n.toLowerCase()));
	if (named) return named.path;
	throw new MailError(
		'not-found',
		`The account has no ${use.slice(1)} folder`,
		`Create one (e.g. "${names[0]}") in the mail client.`,
	);
}

/** Stores a message as a draft (IMAP APPEND with \Draft to the Drafts folder). */
export async function appendDraft(
	credentials: ImapSmtpCredentials,
	raw: Buffer,
): Promise<{ mailbox: string; uid?: number }> {
	return await withImap(credentials, async (client) => {
		const mailbox = await specialMailbox(client, '\\Drafts', ['Drafts', 'INBOX.Drafts', 'Draft']);
		const result = await client.append(mailbox, raw, ['\\Draft', '\\Seen']);
		return { mailbox, uid: result ? result.uid : undefined };
	});
}

export type OrganizeAction = 'move' | 'label' | 'markRead' | 'markUnread' | 'flag' | 'unflag';

/**
 * Finds the message by its Message-ID (HEADER search: it survives UIDVALIDITY changes and moves)
 * in the mailbox it came from, and moves / marks it. IMAP "labels" are keywords.
 */
export async function organizeImapMessage(
	credentials: ImapSmtpCredentials,
	target: { messageId: string; mailbox?: string; uid?: number },
	action: OrganizeAction,
	argument: { folder?: string; labels?: string[]; removeLabels?: string[] },
): Promise<{ mailbox: string; uid: number }> {
	return await withImap(credentials, async (client) => {
		const mailbox = target.mailbox || 'INBOX';
		const lock = await client.getMailboxLock(mailbox);
		try {
			const found = await client.search(
				{ header: { 'message-id': target.messageId } },
				{ uid: true },
			);
			const uids = Array.isArray(found) ? found : [];
			if (!uids.length)
				throw new MailError(
					'not-found',
					`The message ${target.messageId} is not in "${mailbox}" (any more)`,
					'It may have been moved or deleted already.',
				);
			const uid = uids[uids.length - 1];
			switch (action) {
				case 'move':
					if (!argument.folder) throw new MailError('input', 'No folder to move to');
					await client.messageMove([uid], argument.folder, { uid: true });
					break;
				case 'markRead':
					await client.messageFlagsAdd([uid], ['\\Seen'], { uid: true });
					break;
				case 'markUnread':
					await client.messageFlagsRemove([uid], ['\\Seen'], { uid: true });
					break;
				case 'flag':
					await client.messageFlagsAdd([uid], ['\\Flagged'], { uid: true });
					break;
				case 'unflag':
					await client.messageFlagsRemove([uid], ['\\Flagged'], { uid: true });
					break;
				case 'label': {
					const keyword = (l: string) => l.replace(/[^A-Za-z0-9_$.-]/g, '_');
					if (argument.labels?.length)
						await client.messageFlagsAdd([uid], argument.labels.map(keyword), { uid: true });
					if (argument.removeLabels?.length)
						await client.messageFlagsRemove([uid], argument.removeLabels.map(keyword), {
							uid: true,
						});
					break;
				}
			}
			return { mailbox, uid };
		} finally {
			lock.release();
		}
	});
}
