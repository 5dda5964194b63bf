import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Level, OpeningHours, Rule, SlaPolicy } from '../../lib/priority';
import { BusinessCalendar, LEVELS, isLevel, prioritize, splitList } from '../../lib/priority';
import { DEFAULT_TARGETS } from '../../lib/priority/sla';
import { continueOnFailItem, toNodeError } from '../shared/errors';
import { BUSINESS_HOURS_FIELDS } from './description';
import { withSupport } from '../../lib/contract';

/** Outputs in the order Urgent, High, Normal, Low. */
export const OUTPUT_LEVELS: Level[] = [...LEVELS].reverse();
/**
 * Under Continue on Fail, an item that could not be prioritised goes on at Normal, with `error` (a person
 * sees it in the everyday queue; nobody is paged for it).
 */
const ERROR_OUTPUT = OUTPUT_LEVELS.indexOf('normal');

interface RulesParameter {
	urgency?: Array<Record<'critical' | 'high' | 'normal' | 'low', string>>;
	sender?: Array<{ senders?: unknown; level?: string }>;
	keywords?: Array<{ keywords?: unknown; lookIn?: string; level?: string }>;
	category?: Array<{ categories?: unknown; level?: string }>;
	sentiment?: Array<{ threshold?: number; level?: string }>;
	tier?: Array<{ tiers?: unknown; level?: string }>;
	repeatContact?: Array<{ minContacts?: number; countThreadReplies?: boolean; level?: string }>;
}

type PolicyParameter = Record<string, unknown>;

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const names = parameterNames(this.getNode().typeVersion);
	const single =
		names.version >= 2 && this.getNodeParameter('options.singleOutput', 0, false) === true;
	const outputs: INodeExecutionData[][] = single ? [[]] : OUTPUT_LEVELS.map(() => []);
	const outputOf = (priority: Level) => (single ? 0 : OUTPUT_LEVELS.indexOf(priority));
	const calendars = new Map<string, BusinessCalendar>();
	const perRun = perRunCache();
	// getNode() returns a deep copy in n8n: read the raw parameters once.
	const rawParameters = this.getNode().parameters;
	// A parameter without an expression (n8n marks those with a leading "=") is the same for every item.
	const staticParameters = new Map<string, boolean>();
	const isStatic = (name: string) => {
		let result = staticParameters.get(name);
		if (result === undefined) {
			const raw = name
				.split('.')
				.reduce<unknown>(
					(value, key) =>
						value && typeof value === 'object' ? (value as IDataObject)[key] : undefined,
					rawParameters,
				);
			result = !JSON.stringify(raw ?? null).includes('"=');
			staticParameters.set(name, result);
		}
		return result;
	};
	// Parameters without an expression are the same for every item: read (and parse) them once per
	// run. Reading every parameter per item cost more than the routing itself on 1,000-email runs.
	const parameter = (name: string, itemIndex: number, fallback: unknown) =>
		isStatic(name)
			? perRun(name, () => this.getNodeParameter(name, itemIndex, fallback))
			: this.getNodeParameter(name, itemIndex, fallback);
	const rulesOf = (itemIndex: number) =>
		isStatic('rules')
			? perRun('parsed rules', () => readRules(parameter('rules', 0, {}) as RulesParameter))
			: readRules(parameter('rules', itemIndex, {}) as RulesParameter);
	const policiesOf = (itemIndex: number) => {
		const read = () =>
			readPolicies(
				((parameter('slaPolicies', itemIndex, {}) as IDataObject).policy ??
					[]) as PolicyParameter[],
			);
		return isStatic('slaPolicies') ? perRun('parsed policies', read) : read();
	};
	const calendarOf = (itemIndex: number) =>
		names.calendar.every((name) => isStatic(name))
			? perRun('calendar', () => calendarFor(this, 0, calendars, names))
			: calendarFor(this, itemIndex, calendars, names);

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const item = items[itemIndex];
		try {
			const options = parameter('options', itemIndex, {}) as IDataObject;
			const calendar = calendarOf(itemIndex);
			const priority = prioritize((item.json.support ?? undefined) as unknown, {
				priority: {
					rules: rulesOf(itemIndex),
					defaultLevel: level(parameter('defaultLevel', itemIndex, 'normal'), 'normal'),
					autoSubmittedCap:
						options.autoSubmittedCap === 'none' ? 'none' : level(options.autoSubmittedCap, 'low'),
				},
				policies: policiesOf(itemIndex),
				calendar,
				customerTier: parameter(names.customerTier, itemIndex, '') as unknown,
				previousContacts: parameter(names.previousContacts, itemIndex, 0) as unknown,
				clockStart: options.clockStart,
			});
			outputs[outputOf(priority.level)].push({
				json: withSupport(item.json, { priority }),
				binary: item.binary,
				pairedItem: { item: itemIndex },
			});
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, itemIndex);
			if (!this.continueOnFail()) throw nodeError;
			const errorItem = continueOnFailItem(item, itemIndex, nodeError);
			// "Continue (using error output)": n8n moves items that carry `error` to the error output.
			if (this.getNode().onError === 'continueErrorOutput') errorItem.error = nodeError;
			outputs[single ? 0 : ERROR_OUTPUT].push(errorItem);
		}
	}
	return outputs;
}

/**
 * The weekly hours when none are set (version 2: the Business Hours collection left empty): the
 * Weekly Hours field's own default, so the canvas and the fallback cannot differ.
 */
const DEFAULT_WEEKLY_HOURS = BUSINESS_HOURS_FIELDS.find((field) => field.name === 'weeklyHours')!
	.default as IDataObject;

/**
 * Where each setting lives: version 1 has the business-hours settings, Customer Tier and Previous
 * Contacts at the top level; version 2 has them in the Business Hours collection and under Options.
 */
function parameterNames(version: number) {
	const v2 = version >= 2;
	const hours = (name: string) => (v2 ? `businessHours.${name}` : name);
	const calendar = {
		timeZone: hours('timeZone'),
		weeklyHours: hours('weeklyHours'),
		holidays: hours('holidays'),
		holidayTypes: hours('holidayTypes'),
		customHolidays: hours('customHolidays'),
	};
	return {
		version,
		calendarNames: calendar,
		calendar: Object.values(calendar),
		customerTier: v2 ? 'options.customerTier' : 'customerTier',
		previousContacts: v2 ? 'options.previousContacts' : 'previousContacts',
		/** Field names in error messages, as the canvas shows them. */
		label: v2 ? 'Business Hours > ' : 'Business Hours: ',
	};
}
type ParameterNames = ReturnType<typeof parameterNames>;

/** Values computed once per run, by name; a thrown error is thrown again for every item. */
function perRunCache() {
	const values = new Map<string, { value?: unknown; error?: unknown }>();
	return <T>(name: string, compute: () => T): T => {
		let entry = values.get(name);
		if (!entry) {
			try {
				entry = { value: compute() };
			} catch (error) {
				entry = { error };
			}
			values.set(name, entry);
		}
		if ('error' in entry) throw entry.error;
		return entry.value as T;
	};
}

function calendarFor(
	context: IExecuteFunctions,
	itemIndex: number,
	cache: Map<string, BusinessCalendar>,
	{ calendarNames: names, label, version }: ParameterNames,
): BusinessCalendar {
	const configured = String(context.getNodeParameter(names.timeZone, itemIndex, '') ?? '').trim();
	const weekly = context.getNodeParameter(
		names.weeklyHours,
		itemIndex,
		version >= 2 ? DEFAULT_WEEKLY_HOURS : {},
	) as IDataObject;
	const hours = (weekly.hours ?? []) as OpeningHours[];
	const holidays = String(context.getNodeParameter(names.holidays, itemIndex, '') ?? '');
	const holidayTypes = holidays.trim()
		? (context.getNodeParameter(names.holidayTypes, itemIndex, ['public']) as string[])
		: [];
	const customHolidays = ((
		context.getNodeParameter(names.customHolidays, itemIndex, {}) as IDataObject
	).day ?? []) as Array<{ date: string; name?: string }>;
	const config = {
		timeZone: configured || context.getTimezone(),
		hours,
		holidays,
		holidayTypes,
		customHolidays,
		fieldNames: configured
			? undefined
			: {
					timeZone: `${label}Time Zone (it is empty, so the workflow’s time zone was used: fix it in Workflow Settings or set the field)`,
				},
	};
	const key = JSON.stringify(config);
	let calendar = cache.get(key);
	if (!calendar) {
		calendar = new BusinessCalendar({
			...config,
			fieldNames: {
				timeZone: `${label}Time Zone`,
				hours: `${label}Weekly Hours`,
				holidays: `${label}Holidays (Country)`,
				customHolidays: `${label}Extra Closed Days`,
				...config.fieldNames,
			},
		});
		cache.set(key, calendar);
	}
	return calendar;
}

function level(value: unknown, fallback: Level): Level {
	return isLevel(value) ? value : fallback;
}

function readRules(parameter: RulesParameter): Rule[] {
	const rules: Rule[] = [];
	for (const r of parameter.urgency ?? []) {
		const mapping: Partial<Record<'critical' | 'high' | 'normal' | 'low', Level | 'none'>> = {};
		for (const urgency of ['critical', 'high', 'normal', 'low'] as const) {
			const value = r[urgency];
			mapping[urgency] = isLevel(value) ? value : 'none';
		}
		rules.push({ type: 'urgency', mapping });
	}
	for (const r of parameter.sender ?? []) {
		const senders = splitList(r.senders);
		if (senders.length) rules.push({ type: 'sender', senders, level: level(r.level, 'high') });
	}
	for (const r of parameter.keywords ?? []) {
		const keywords = splitList(r.keywords);
		const lookIn = r.lookIn === 'subject' || r.lookIn === 'text' ? r.lookIn : 'subjectAndText';
		if (keywords.length)
			rules.push({ type: 'keywords', keywords, lookIn, level: level(r.level, 'high') });
	}
	for (const r of parameter.category ?? []) {
		const categories = splitList(r.categories);
		if (categories.length)
			rules.push({ type: 'category', categories, level: level(r.level, 'normal') });
	}
	for (const r of parameter.sentiment ?? []) {
		rules.push({
			type: 'sentiment',
			threshold: typeof r.threshold === 'number' ? r.threshold : -0.6,
			level: level(r.level, 'high'),
		});
	}
	for (const r of parameter.tier ?? []) {
		const tiers = splitList(r.tiers);
		if (tiers.length) rules.push({ type: 'tier', tiers, level: level(r.level, 'high') });
	}
	for (const r of parameter.repeatContact ?? []) {
		rules.push({
			type: 'repeatContact',
			minContacts: typeof r.minContacts === 'number' ? r.minContacts : 3,
			countThreadReplies: r.countThreadReplies !== false,
			level: level(r.level, 'high'),
		});
	}
	return rules;
}

function readPolicies(parameters: PolicyParameter[]): SlaPolicy[] {
	// A target left out of the policy falls back to the library's default (DEFAULT_TARGETS, minutes).
	const minutes = (p: PolicyParameter, level: Level, kind: 'firstResponse' | 'resolution') => {
		const value = p[`${level}${kind === 'firstResponse' ? 'FirstResponse' : 'Resolution'}`];
		return typeof value === 'number' ? value * 60 : DEFAULT_TARGETS[level][kind];
	};
	return parameters.map((p, index) => ({
		name: String(p.name ?? '').trim() || `Policy ${index + 1}`,
		hours: p.hours === 'calendar' ? 'calendar' : 'business',
		categories: splitList(p.categories),
		customerTiers: splitList(p.customerTiers),
		senders: splitList(p.senders),
		levels: (Array.isArray(p.levels) ? p.levels : []).filter(isLevel),
		condition: p.condition === undefined ? undefined : p.condition !== false,
		targets: Object.fromEntries(
			LEVELS.map((level) => [
				level,
				{
					firstResponse: minutes(p, level, 'firstResponse'),
					resolution: minutes(p, level, 'resolution'),
				},
			]),
		) as SlaPolicy['targets'],
	}));
}
