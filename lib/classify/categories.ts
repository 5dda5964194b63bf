export interface CategoryDefinition {
	name: string;
	description?: string;
	examples?: string[];
}

/** The built-in taxonomy (the Bitext customer-support categories the offline model learned). */
export const DEFAULT_CATEGORIES: CategoryDefinition[] = [
	{
		name: 'account',
		description:
			'Creating, editing, recovering, deleting or switching a customer account; sign-in problems',
	},
	{ name: 'order', description: 'Placing, changing or cancelling an order; order status' },
	{ name: 'refund', description: 'Asking for a refund, its status or the refund policy' },
	{ name: 'delivery', description: 'Delivery options, times and where a parcel is' },
	{ name: 'invoice', description: 'Getting or understanding an invoice or bill' },
	{ name: 'feedback', description: 'Complaints, reviews and praise about the service or product' },
	{ name: 'payment', description: 'Payment methods and payment problems' },
	{ name: 'contact', description: 'Wanting to reach customer service or a human agent' },
	{ name: 'shipping_address', description: 'Setting or changing the shipping address' },
	{ name: 'cancellation_fee', description: 'Questions about fees for cancelling' },
	{ name: 'newsletter', description: 'Subscribing to or leaving the newsletter' },
];
