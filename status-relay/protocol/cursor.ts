/**
 * Cursors are opaque to clients: base64url of "<epoch>:<position>". The epoch names one store's
 * history (a fresh in-memory store, or one Redis stream); a cursor from another epoch cannot be
 * resumed and gets a `reset`. Positions compare within one epoch only.
 */
export interface CursorParts {
	epoch: string;
	position: string;
}

export function encodeCursor(epoch: string, position: string): string {
	return Buffer.from(`${epoch}:${position}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorParts | undefined {
	if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) return undefined;
	const text = Buffer.from(cursor, 'base64url').toString('utf8');
	const at = text.lastIndexOf(':');
	if (at <= 0 || at === text.length - 1) return undefined;
	return { epoch: text.slice(0, at), position: text.slice(at + 1) };
}
