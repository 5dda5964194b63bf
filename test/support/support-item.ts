/**
 * An item as it reaches Support Knowledge after the Inbox Trigger and the Classifier: a normalised
 * support.email from Ana Pérez (`<id>@example.test`) and a sure, neutral "account" classification.
 */
export function emailItem(id: string, subject: string, text: string, language: string) {
	return {
		id,
		support: {
			email: {
				messageId: `<${id}@example.test>`,
				references: [],
				from: { name: 'Ana Pérez', address: `${id}@example.test` },
				subject,
				text,
				autoSubmitted: false,
			},
			classification: {
				category: 'account',
				language,
				confidence: 0.9,
				sentiment: { label: 'neutral', score: 0 },
				urgency: 'normal',
			},
		},
	};
}
