import { generateInstance, violateSchema } from '../../servers/llm';
import { classificationSchema, refundEmail, validator } from '../../support/llm-fixtures';

const schemas: Record<string, object> = {
	classification: classificationSchema,
	refs: {
		$defs: {
			address: {
				type: 'object',
				properties: { street: { type: 'string' }, zip: { type: 'string', pattern: '^[0-9]+$' } },
				required: ['street', 'zip'],
			},
		},
		type: 'object',
		properties: {
			billing: { $ref: '#/$defs/address' },
			shipping: { anyOf: [{ $ref: '#/$defs/address' }, { type: 'null' }] },
		},
		required: ['billing', 'shipping'],
	},
	numbers: {
		type: 'object',
		required: ['a', 'b', 'c', 'd', 'e'],
		properties: {
			a: { type: 'integer', minimum: 10, maximum: 10 },
			b: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.1 },
			c: { type: 'integer', multipleOf: 7, minimum: 1, maximum: 30 },
			d: { type: 'number' },
			e: { type: 'integer', minimum: -5 },
		},
	},
	strings: {
		type: 'object',
		required: ['id', 'when', 'day', 'site', 'mail', 'short', 'long', 'code', 'fixed'],
		properties: {
			id: { type: 'string', format: 'uuid' },
			when: { type: 'string', format: 'date-time' },
			day: { type: 'string', format: 'date' },
			site: { type: 'string', format: 'uri' },
			mail: { type: 'string', format: 'email' },
			short: { type: 'string', maxLength: 3 },
			long: { type: 'string', minLength: 120 },
			code: { type: 'string', pattern: '^[A-Z]+$' },
			fixed: { const: 'v1' },
		},
	},
	arrays: {
		type: 'object',
		required: ['list', 'tuple', 'nested'],
		properties: {
			list: { type: 'array', items: { type: 'string' }, minItems: 3, uniqueItems: true },
			tuple: {
				type: 'array',
				prefixItems: [{ type: 'integer' }, { type: 'boolean' }],
				minItems: 2,
			},
			nested: {
				type: 'array',
				minItems: 2,
				items: {
					type: 'object',
					required: ['label', 'score'],
					additionalProperties: false,
					properties: { label: { type: 'string' }, score: { type: 'number', maximum: 1 } },
				},
			},
		},
	},
	allOf: {
		allOf: [
			{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
			{ properties: { b: { type: 'boolean' } }, required: ['b'] },
		],
	},
	rootArray: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, minItems: 1 },
	rootEnum: { enum: ['low', 'medium', 'high'] },
};

describe('generateInstance', () => {
	for (const [name, schema] of Object.entries(schemas)) {
		test(`${name}: the instance validates`, () => {
			const value = generateInstance(schema, { text: refundEmail });
			const validate = validator(schema);
			expect({ value, valid: validate(value) }).toEqual({ value, valid: true });
		});
	}

	test('is deterministic: the same prompt gives the same value, another prompt may not', () => {
		const a = generateInstance(classificationSchema, { text: refundEmail });
		const b = generateInstance(classificationSchema, { text: refundEmail });
		expect(b).toEqual(a);
		const others = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((t) =>
			JSON.stringify(generateInstance({ type: 'number', minimum: 0, maximum: 1 }, { text: t })),
		);
		expect(new Set(others).size).toBeGreaterThan(1);
	});

	test('chooses the enum value the user text mentions most', () => {
		const value = generateInstance(classificationSchema, { text: refundEmail }) as any;
		expect(value.category).toBe('refund');
		const shipping = generateInstance(classificationSchema, {
			text: 'Where is my parcel? The shipping was supposed to take two days.',
		}) as any;
		expect(shipping.category).toBe('shipping');
	});

	test('sets a boolean true when the user text names it (n8n Text Classifier shape)', () => {
		const schema = {
			type: 'object',
			properties: {
				Refund: { type: 'boolean', description: 'refund requests' },
				Shipping: { type: 'boolean' },
			},
			required: ['Refund', 'Shipping'],
		};
		expect(generateInstance(schema, { text: refundEmail })).toEqual({
			Refund: true,
			Shipping: false,
		});
	});
});

describe('violateSchema', () => {
	for (const [name, schema] of Object.entries(schemas)) {
		test(`${name}: the violation is valid JSON that fails the schema`, () => {
			const valid = generateInstance(schema, { text: refundEmail });
			const broken = violateSchema(schema, valid);
			expect(JSON.parse(JSON.stringify(broken))).toEqual(broken);
			expect(validator(schema)(broken)).toBe(false);
		});
	}

	test('prefers an enum value that is not in the list (the mistake models make)', () => {
		const valid = generateInstance(classificationSchema, { text: refundEmail }) as any;
		const broken = violateSchema(classificationSchema, valid) as any;
		expect(classificationSchema.properties.category.enum).not.toContain(broken.category);
		expect({ ...broken, category: valid.category }).toEqual(valid);
	});
});
