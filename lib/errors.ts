/**
 * An error about the input a user gave (not a bug, not a provider outage). Nodes turn it into a
 * NodeOperationError with the item index; `hint` says what to change.
 */
export class InputError extends Error {
	constructor(
		message: string,
		readonly hint?: string,
	) {
		super(message);
		this.name = 'InputError';
	}
}

export function errorMessage(error: unknown): string {
	if (error instanceof Error) return error.message;
	return String(error);
}
