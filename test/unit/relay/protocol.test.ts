import { signBody, verifySignature } from '../../../status-relay/protocol/signing';
import { decodeCursor, encodeCursor } from '../../../status-relay/protocol/cursor';

describe('batch signatures', () => {
	const secret = 'a-shared-secret-of-some-length';
	const body = JSON.stringify({ events: [{ id: 'x' }] });

	it('accepts a body signed with the shared secret', () => {
		expect(verifySignature(secret, body, signBody(secret, body))).toEqual({ ok: true });
	});

	it('refuses another secret, a changed body, an old timestamp and garbage', () => {
		const signature = signBody(secret, body);
		expect(verifySignature('another-secret-entirely', body, signature)).toMatchObject({
			ok: false,
			reason: 'bad signature',
		});
		expect(verifySignature(secret, `${body} `, signature)).toMatchObject({ ok: false });
		const old = signBody(secret, body, Date.now() - 10 * 60_000);
		expect(verifySignature(secret, body, old)).toMatchObject({
			ok: false,
			reason: 'signature timestamp too old',
		});
		expect(verifySignature(secret, body, undefined)).toMatchObject({ ok: false });
		expect(verifySignature(secret, body, 't=1,v1=zz')).toMatchObject({ ok: false });
	});
});

describe('cursors', () => {
	it('round-trip epoch and position and reject junk', () => {
		const cursor = encodeCursor('m0123abcd', '1700000000000-3');
		expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(decodeCursor(cursor)).toEqual({ epoch: 'm0123abcd', position: '1700000000000-3' });
		expect(decodeCursor('not a cursor!')).toBeUndefined();
		expect(decodeCursor(Buffer.from('nocolon').toString('base64url'))).toBeUndefined();
	});
});
