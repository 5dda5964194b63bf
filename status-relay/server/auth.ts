/**
 * Access tokens: taken from the Authorization header (Bearer), an x-relay-token header, or the
 * WebSocket subprotocol `bearer.<token>`, never from a URL. Each token sees only its workflows;
 * anything else is answered exactly as if it did not exist.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/types';
import type { TokenScope } from './config';

export class Access {
	private readonly byDigest = new Map<string, TokenScope>();

	constructor(tokens: Map<string, TokenScope>) {
		for (const [token, scope] of tokens) this.byDigest.set(digest(token), scope);
	}

	/** The scope of the request's token, or undefined when it has none or an unknown one. */
	scopeOf(req: IncomingMessage): TokenScope | undefined {
		const token = tokenOf(req);
		if (!token) return undefined;
		const wanted = digest(token);
		for (const [known, scope] of this.byDigest) {
			if (timingSafeEqual(Buffer.from(known, 'hex'), Buffer.from(wanted, 'hex'))) return scope;
		}
		return undefined;
	}

	static canSee(scope: TokenScope | undefined, workflowId: string | undefined): boolean {
		if (!scope || !workflowId) return false;
		return scope.workflows === '*' || scope.workflows.has(workflowId);
	}
}

function digest(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

export function tokenOf(req: IncomingMessage): string | undefined {
	const authorization = req.headers.authorization;
	if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
	const header = req.headers['x-relay-token'];
	if (typeof header === 'string' && header) return header.trim();
	const protocols = req.headers['sec-websocket-protocol'];
	if (typeof protocols === 'string') {
		for (const protocol of protocols.split(',').map((p) => p.trim())) {
			if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
				return protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
		}
	}
	return undefined;
}
