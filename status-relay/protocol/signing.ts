import { createHmac, timingSafeEqual } from 'node:crypto';

/** Batches are signed as `t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signBody(secret: string, body: string, now = Date.now()): string {
	const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
	return `t=${now},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
	secret: string,
	body: string,
	header: string | undefined,
	toleranceMs = 5 * 60_000,
	now = Date.now(),
): SignatureCheck {
	if (!header) return { ok: false, reason: 'missing signature' };
	const parts = new Map(
		header.split(',').map((part) => {
			const at = part.indexOf('=');
			return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
		}),
	);
	const t = Number(parts.get('t'));
	const given = parts.get('v1') ?? '';
	if (!Number.isFinite(t) || !/^[0-9a-f]{64}$/.test(given)) {
		return { ok: false, reason: 'malformed signature' };
	}
	if (Math.abs(now - t) > toleranceMs) return { ok: false, reason: 'signature timestamp too old' };
	const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
	if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) {
		return { ok: false, reason: 'bad signature' };
	}
	return { ok: true };
}
