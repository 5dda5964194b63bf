/**
 * Support Classifier 2 and Support Reply Drafter 3 have one ordered Providers list. The older
 * versions keep the multi-select and the Offline Fallback option: existing workflows must see exactly
 * the description they were built with. The fixtures are those descriptions as they were before the
 * list came (written from the build of commit 71c4417; the Classifier's outputs expression was
 * rewritten on purpose when it learnt the version's Routing default, which for version 1 is the
 * same per-category routing as before); the new versions differ in the provider fields only (and the
 * Classifier's Routing default).
 */
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { SupportClassifier } from '../../../nodes/SupportClassifier/SupportClassifier.node';
import { SupportReplyDrafter } from '../../../nodes/SupportReplyDrafter/SupportReplyDrafter.node';
import classifierV1 from './fixtures/support-classifier-v1.description.json';
import drafterV1V2Fixture from './fixtures/support-reply-drafter-v1-v2.description.json';
import { DEFAULT_AUTO_ANSWER_THRESHOLD } from '../../../lib/draft/offline-answer';

/**
 * The Auto-Answer Threshold's default is the measured one (lib/knowledge/calibration.json) in every
 * version: a refit moves it on purpose, so the fixture takes the current value.
 */
const drafterV1V2 = JSON.parse(
	JSON.stringify(drafterV1V2Fixture).replace(
		/("default":)[0-9.]+(,"description":"An offline answer whose calibrated confidence)/,
		`$1${DEFAULT_AUTO_ANSWER_THRESHOLD}$2`,
	),
) as unknown;

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
const describe_ = (node: SupportClassifier | SupportReplyDrafter, version: number) =>
	node.nodeVersions[version].description as INodeTypeDescription;

/** Parameter names, options' names inside collections too. */
function names(properties: INodeProperties[]): string[] {
	return properties.flatMap((p) => [
		p.name,
		...(p.type === 'collection'
			? (p.options as INodeProperties[]).map((o) => `options.${o.name}`)
			: []),
	]);
}

const PROVIDER_FIELDS = [
	'providers',
	'openAiModel',
	'anthropicModel',
	'azureDeployment',
	'localModel',
];

describe('AI nodes: provider list versions', () => {
	it('Support Classifier 1 is unchanged; 2 is the default', () => {
		const node = new SupportClassifier();
		expect(plain(describe_(node, 1))).toEqual(classifierV1);
		expect(node.description.defaultVersion).toBe(2);
		expect(node.getNodeType().description.version).toBe(2);
	});

	it('Support Reply Drafter 1 and 2 are unchanged; 3 is the default', () => {
		const node = new SupportReplyDrafter();
		expect(plain(describe_(node, 1))).toEqual(drafterV1V2);
		expect(plain(describe_(node, 2))).toEqual(drafterV1V2);
		expect(node.description.defaultVersion).toBe(3);
	});

	it.each([
		// The Classifier's version 2 also has the Sentence Encoder option (version 1: words only).
		['Support Classifier', new SupportClassifier(), 1, 2, 'options.sentenceEncoder'],
		['Support Reply Drafter', new SupportReplyDrafter(), 2, 3, undefined],
	] as const)(
		'%s: the new version differs in the provider fields only',
		(_, node, old, next, added) => {
			const before = describe_(node, old);
			const after = describe_(node, next);
			// The list stands where the multi-select stood; its model fields and Offline Fallback are gone.
			const expected = names(before.properties).filter(
				(n) =>
					(n === 'providers' || !PROVIDER_FIELDS.includes(n)) && n !== 'options.offlineFallback',
			);
			if (added) expected.splice(expected.indexOf('options.systemPrompt'), 0, added);
			expect(names(after.properties)).toEqual(expected);
			// Everything but the provider fields, the notice and the Options collection is the same object;
			// the Classifier's Routing differs in its default only (version 2 starts with Single Output).
			for (const property of after.properties) {
				if (['providers', 'notice', 'options'].includes(property.name)) continue;
				if (property.name === 'routing') {
					const { default: was, ...rest } = before.properties.find((p) => p.name === 'routing')!;
					expect([was, property.default]).toEqual(['perCategory', 'single']);
					expect({ ...property, default: was }).toEqual({ ...rest, default: was });
					continue;
				}
				expect(before.properties).toContain(property);
			}
			expect(after.inputs).toEqual(before.inputs);
			expect(after.outputs).toEqual(before.outputs);

			const list = after.properties.find((p) => p.name === 'providers')!;
			expect(list).toMatchObject({
				type: 'fixedCollection',
				typeOptions: { multipleValues: true, sortable: true },
				default: { provider: [{ kind: 'offline' }] },
			});
			const entry = (list.options as Array<{ values: INodeProperties[] }>)[0].values;
			expect(entry.find((v) => v.name === 'kind')?.options).toEqual(
				expect.arrayContaining([expect.objectContaining({ value: 'offline' })]),
			);
			expect(after.credentials?.every((c) => c.required === false && !c.displayOptions)).toBe(true);
		},
	);
});
