import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';
import { VersionedNodeType } from 'n8n-workflow';
import { AI_CREDENTIALS, AI_INPUTS, LISTED_AI_CREDENTIALS } from '../shared/ai-fields';
import { LIST_SUBTITLE } from '../shared/providers';
import { properties, propertiesV2 } from './description';
import { execute } from './execute';
import { OUTPUTS_EXPRESSION } from './outputs';

const BASE: INodeTypeBaseDescription = {
	displayName: 'Support Classifier',
	name: 'supportClassifier',
	icon: { light: 'file:supportClassifier.svg', dark: 'file:supportClassifier.dark.svg' },
	group: ['transform'],
	description:
		'Category, intent, sentiment, urgency, language, entities and summary of a support email in one call, and routing by category',
	defaultVersion: 2,
};

/** Version 1: Providers (multi-select) plus the Offline Fallback option; its description is frozen. */
class SupportClassifierV1 implements INodeType {
	description: INodeTypeDescription = {
		displayName: BASE.displayName,
		name: BASE.name,
		icon: BASE.icon,
		group: BASE.group,
		version: 1,
		subtitle: '={{ ($parameter["providers"] || []).join(" → ") }}',
		usableAsTool: true,
		description: BASE.description,
		defaults: { name: 'Support Classifier' },
		inputs: AI_INPUTS,
		outputs: OUTPUTS_EXPRESSION,
		credentials: AI_CREDENTIALS,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}

/** Version 2: one ordered Providers list, the built-in offline model an entry of it. */
class SupportClassifierV2 implements INodeType {
	description: INodeTypeDescription = {
		displayName: BASE.displayName,
		name: BASE.name,
		icon: BASE.icon,
		group: BASE.group,
		version: 2,
		subtitle: LIST_SUBTITLE,
		usableAsTool: true,
		description: BASE.description,
		defaults: { name: 'Support Classifier' },
		inputs: AI_INPUTS,
		outputs: OUTPUTS_EXPRESSION,
		credentials: LISTED_AI_CREDENTIALS,
		properties: propertiesV2,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}

export class SupportClassifier extends VersionedNodeType {
	constructor() {
		super({ 1: new SupportClassifierV1(), 2: new SupportClassifierV2() }, BASE);
	}
}
