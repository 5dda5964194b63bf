import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeBaseDescription,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, VersionedNodeType } from 'n8n-workflow';
import { AI_CREDENTIALS, DRAFTER_INPUTS, LISTED_AI_CREDENTIALS } from '../shared/ai-fields';
import { LIST_SUBTITLE } from '../shared/providers';
import { properties, propertiesV3 } from './description';
import { execute } from './execute';

const BASE: INodeTypeBaseDescription = {
	displayName: 'Support Reply Drafter',
	name: 'supportReplyDrafter',
	icon: { light: 'file:supportReplyDrafter.svg', dark: 'file:supportReplyDrafter.dark.svg' },
	group: ['transform'],
	description:
		"A reply draft in the customer's language, grounded in the knowledge on the item, with confidence and review flags",
	defaultVersion: 3,
};

/**
 * Versions 1 and 2: Providers (multi-select) plus the Offline Fallback option; their description is
 * frozen. 2: no Min Classification Confidence of its own; the Classifier's verdict (unsure) counts.
 */
class SupportReplyDrafterV1 implements INodeType {
	description: INodeTypeDescription = {
		displayName: BASE.displayName,
		name: BASE.name,
		icon: BASE.icon,
		group: BASE.group,
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{ ($parameter["providers"] || []).join(" → ") }}',
		usableAsTool: true,
		description: BASE.description,
		defaults: { name: 'Support Reply Drafter' },
		inputs: DRAFTER_INPUTS,
		outputs: [NodeConnectionTypes.Main],
		credentials: AI_CREDENTIALS,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}

/** Version 3: one ordered Providers list, the built-in replies an entry of it. */
class SupportReplyDrafterV3 implements INodeType {
	description: INodeTypeDescription = {
		displayName: BASE.displayName,
		name: BASE.name,
		icon: BASE.icon,
		group: BASE.group,
		version: 3,
		subtitle: LIST_SUBTITLE,
		usableAsTool: true,
		description: BASE.description,
		defaults: { name: 'Support Reply Drafter' },
		inputs: DRAFTER_INPUTS,
		outputs: [NodeConnectionTypes.Main],
		credentials: LISTED_AI_CREDENTIALS,
		properties: propertiesV3,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}

export class SupportReplyDrafter extends VersionedNodeType {
	constructor() {
		const v1 = new SupportReplyDrafterV1();
		super({ 1: v1, 2: v1, 3: new SupportReplyDrafterV3() }, BASE);
	}
}
