import { isRetriever, retrieveKnowledge } from '../../../lib/draft';

describe('knowledge from a connected retriever', () => {
	it('maps LangChain documents to snippets: text, and id / title / link from their metadata', async () => {
		const asked: string[] = [];
		const retriever = {
			invoke: async (query: string) => {
				asked.push(query);
				return [
					{
						pageContent: 'Refunds are paid within 14 days.',
						metadata: {
							id: 'kb-7',
							title: 'Refunds',
							source: 'https://help.example.test/refunds',
							language: 'EN',
						},
					},
					{ pageContent: '   ', metadata: {} },
					{ pageContent: 'Second document', metadata: { source: 'workflow', id: 12 } },
				];
			},
		};
		expect(isRetriever(retriever)).toBe(true);
		expect(isRetriever({})).toBe(false);
		const snippets = await retrieveKnowledge(retriever, `Refund\n${'x'.repeat(5000)}`);
		expect(asked[0].length).toBe(2000);
		expect(snippets).toEqual([
			{
				id: 'kb-7',
				text: 'Refunds are paid within 14 days.',
				title: 'Refunds',
				url: 'https://help.example.test/refunds',
				language: 'en',
			},
			// A source that is not a link is no URL; a numeric id is kept.
			{ id: '12', text: 'Second document' },
		]);
	});

	it('a retriever that answers something else, fails or never answers gives a clear error', async () => {
		await expect(retrieveKnowledge({ invoke: async () => ({ nope: 1 }) }, 'q')).rejects.toThrow(
			/returned something other than a list of documents/,
		);
		await expect(
			retrieveKnowledge(
				{ invoke: async () => Promise.reject(new Error('vector store down')) },
				'q',
			),
		).rejects.toThrow(/vector store down/);
		await expect(
			retrieveKnowledge({ invoke: () => new Promise(() => undefined) }, 'q', 5, 20),
		).rejects.toThrow(/did not answer within 0 s/);
	});
});
