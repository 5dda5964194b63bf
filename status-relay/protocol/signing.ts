import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's timestamp may be from the relay's clock. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/** Batches are signed as `t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signBody(secret: string, body: string, now = Date.now()): string {
	const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
	return `t=${now},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export type SignatureHeader =
	{ ok: true; header: string; t: number; mac: string } | { ok: false; reason: string };

/**
 * The signature header's parts, checked before the body is read: present, well-formed and with
 * a timestamp within the tolerance. Says nothing yet about whether the MAC is right.
 */
export function parseSignatureHeader(
	header: string | undefined,
	toleranceMs = SIGNATURE_TOLERANCE_MS,
	now = Date.now(),
): SignatureHeader {
	if (!header) return { ok: false, reason: 'missing signature' };
	if (header.length > 512) return { ok: false, reason: 'malformed signature' };
	const parts = new Map(
		header.split(',').map((part) => {
			const at = part.indexOf('=');
			return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
		}),
	);
	const t = Number(parts.get('t'));
	const mac = parts.get('v1') ?? '';
	if (!Number.isFinite(t) || !/^[0-9a-f]{64}$/.test(mac)) {
		return { ok: false, reason: 'malformed signature' };
	}
	if (Math.abs(now - t) > toleranceMs) return { ok: false, reason: 'signature timestamp too old' };
	return { ok: true, header, t, mac };
}

export function verifySignature(
	secret: string,
	body: string,
	header: string | undefined,
	toleranceMs = SIGNATURE_TOLERANCE_MS,
	now = Date.now(),
): SignatureCheck {
	const parsed = parseSignatureHeader(header, toleranceMs, now);
	if (!parsed.ok) return parsed;
	const expected = createHmac('sha256', secret).update(`${parsed.t}.${body}`).digest();
	if (!timingSafeEqual(expected, Buffer.from(parsed.mac, 'hex'))) {
		return { ok: false, reason: 'bad signature' };
	}
	return { ok: true };
}
