import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as normalize from './actions/normalize/normalize.operation';
import { router } from './actions/router';

export class SupportEmail implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Email',
		name: 'supportEmail',
		icon: { light: 'file:supportEmail.svg', dark: 'file:supportEmail.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description:
			'Turn support mail from any source into one clean shape, ready to classify and answer',
		defaults: { name: 'Support Email' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Normalize',
						value: 'normalize',
						description:
							'Parse raw MIME or the output of n8n Gmail / Email Trigger nodes into support.email',
						action: 'Normalize an email',
					},
				],
				default: 'normalize',
			},
			...normalize.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
