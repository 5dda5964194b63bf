/** Hand-made items in the shape the upstream nodes write (DESIGN.md section 2). */
export function supportItem(
	overrides: {
		text?: string;
		subject?: string;
		from?: string;
		hiddenText?: string;
		html?: string;
		autoSubmitted?: boolean;
		references?: string[];
		classification?: Record<string, unknown>;
		draft?: Record<string, unknown> | null;
		priority?: Record<string, unknown>;
		customer?: Record<string, unknown>;
	} = {},
): Record<string, any> {
	const support: Record<string, any> = {
		email: {
			messageId: '<m1@customer.test>',
			references: overrides.references ?? [],
			from: { name: 'Carla Customer', address: overrides.from ?? 'carla@customer.test' },
			to: [{ name: '', address: 'support@acme.test' }],
			cc: [],
			subject: overrides.subject ?? 'Where is my order #4521?',
			text: overrides.text ?? 'Hi, my order #4521 has not arrived yet. Can you check?',
			fullText: overrides.text ?? 'Hi, my order #4521 has not arrived yet. Can you check?',
			...(overrides.html ? { html: overrides.html } : {}),
			...(overrides.hiddenText ? { hiddenText: overrides.hiddenText } : {}),
			receivedAt: '2026-01-01T09:00:00.000Z',
			attachments: [],
			autoSubmitted: overrides.autoSubmitted ?? false,
			provider: 'mime',
		},
		classification: {
			category: 'delivery',
			sentiment: { label: 'neutral', score: 0 },
			urgency: 'normal',
			language: 'en',
			entities: { orderId: '4521' },
			summary: 'Order not arrived',
			confidence: 0.95,
			unsure: false,
			provider: 'offline',
			model: 'test',
			usage: { inputTokens: 0, outputTokens: 0 },
			latencyMs: 1,
			promptInjection: { suspected: false, signals: [] },
			...(overrides.classification ?? {}),
		},
	};
	if (overrides.draft !== null)
		support.draft = {
			subject: 'Re: Where is my order #4521?',
			text: 'Hi Carla, your parcel left our warehouse today and arrives tomorrow.',
			language: 'en',
			confidence: 0.93,
			needsReview: false,
			reasons: [],
			provider: 'test',
			model: 'test',
			...(overrides.draft ?? {}),
		};
	if (overrides.priority) support.priority = overrides.priority;
	if (overrides.customer) support.customer = overrides.customer;
	return { ticket: 'T-1', support };
}
