import Ajv from 'ajv/dist/2020';

/** A JSON Schema validator independent of the generator under test. */
export function validator(schema: object): (value: unknown) => boolean {
	const ajv = new Ajv({ strict: false, allErrors: true });
	ajv.addFormat('email', /^[^@\s]+@[^@\s]+\.[^@\s]+$/);
	ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /T/.test(s));
	ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
	ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
	ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
	const validate = ajv.compile(schema);
	return (value) => validate(value) as boolean;
}

export function isJson(text: string | null | undefined): boolean {
	try {
		JSON.parse(text ?? '');
		return true;
	} catch {
		return false;
	}
}

/** A classification answer's `entities` when the email names none: every field null. */
export const NO_ENTITIES = {
	orderId: null,
	invoiceId: null,
	trackingNumber: null,
	amount: null,
	product: null,
	customerName: null,
};

/** The kind of schema the package's classifier asks for (OpenAI strict-mode compatible). */
export const classificationSchema = {
	type: 'object',
	additionalProperties: false,
	required: [
		'category',
		'confidence',
		'priority',
		'sentiment',
		'language',
		'summary',
		'tags',
		'entities',
		'needsHuman',
	],
	properties: {
		category: {
			type: 'string',
			enum: ['billing', 'refund', 'technical', 'shipping', 'account', 'other'],
		},
		confidence: { type: 'number', minimum: 0, maximum: 1 },
		priority: { type: 'integer', minimum: 1, maximum: 5 },
		sentiment: { type: 'string', enum: ['negative', 'neutral', 'positive'] },
		language: { type: 'string', minLength: 2, maxLength: 5 },
		summary: { type: 'string', maxLength: 200 },
		tags: {
			type: 'array',
			items: { type: 'string', enum: ['urgent', 'vip', 'legal', 'churn-risk'] },
			minItems: 1,
			maxItems: 3,
			uniqueItems: true,
		},
		entities: {
			type: 'object',
			additionalProperties: false,
			required: ['orderId', 'email'],
			properties: {
				orderId: { type: ['string', 'null'] },
				email: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
			},
		},
		needsHuman: { type: 'boolean' },
	},
} as const;

export const refundEmail =
	'Hello, I was charged twice for order 4411 and I want a refund of the second payment. This is the third time I ask for a refund.';
