import Holidays from 'date-holidays';
import type { HolidaysTypes } from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import { InputError } from '../errors';

/**
 * Business-hours arithmetic on luxon: "add N business minutes to an instant" for a calendar with a
 * time zone, weekly opening hours (several intervals per day, overnight shifts) and holidays (from
 * date-holidays by country / state / region, plus the team's own dates).
 *
 * Opening hours are wall-clock times in the calendar's zone; the minutes counted are real elapsed
 * minutes. So an 00:00–06:00 shift on the night clocks go forward holds 5 hours, not 6. A wall time
 * that does not exist (inside a DST gap) moves forward by the gap, as luxon does; a wall time that
 * exists twice (DST overlap) is the later of the two (luxon's choice).
 */

export const WEEKDAYS = [
	'monday',
	'tuesday',
	'wednesday',
	'thursday',
	'friday',
	'saturday',
	'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningHours {
	/** monday … sunday, or weekdays (Mon–Fri), weekend (Sat–Sun), everyDay. */
	day: Weekday | 'weekdays' | 'weekend' | 'everyDay';
	/** HH:mm, 00:00–23:59. */
	start: string;
	/** HH:mm, 00:01–24:00; earlier than start means the interval ends on the next day. */
	end: string;
}

export interface CustomHoliday {
	/** YYYY-MM-DD (that day) or MM-DD (that day every year). */
	date: string;
	name?: string;
}

export interface CalendarConfig {
	timeZone: string;
	hours: OpeningHours[];
	/** date-holidays code: "US", "DE-BY", "GB-SCT", "CH-ZH"; empty for none. */
	holidays?: string;
	/** date-holidays types counted as closed days; default public only. */
	holidayTypes?: string[];
	customHolidays?: CustomHoliday[];
	/** Which node field each setting comes from, for error hints. */
	fieldNames?: Partial<Record<'timeZone' | 'hours' | 'holidays' | 'customHolidays', string>>;
}

interface Interval {
	/** minutes after local midnight */
	start: number;
	/** minutes after local midnight, up to 1440 */
	end: number;
}

interface Closure {
	start: number;
	end: number;
	name: string;
}

/** The largest search window: a calendar that opens less often than this is treated as never open. */
const MAX_DAYS = 3 * 366;

export class BusinessCalendar {
	readonly timeZone: string;
	/** Intervals per luxon weekday (1 = Monday … 7 = Sunday). */
	private readonly weekly: Interval[][];
	private readonly holidays?: Holidays;
	private readonly holidayCode?: string;
	private readonly customHolidays: Array<{
		year?: number;
		month: number;
		day: number;
		name: string;
	}>;
	private readonly closuresByYear = new Map<number, Closure[]>();
	/**
	 * Per local day (keyed by its start, epoch ms): its open spans and the next day. The node keeps one
	 * calendar per execution, so a 1,000-email run computes each day once instead of per email (luxon's
	 * zone arithmetic is the costly part). Bounded; the calendar is immutable, so entries never go stale.
	 */
	/** Starts (epoch ms, sorted) of the local days seen, and each day with the day before it. */
	private readonly dayStarts: number[] = [];
	private readonly localDays = new Map<number, { day: DateTime; before: DateTime }>();
	private readonly days = new Map<number, { spans: Array<[number, number]>; next: DateTime }>();
	private readonly hoursField: string;

	constructor(config: CalendarConfig) {
		const fields = {
			timeZone: 'Business Hours → Time Zone',
			hours: 'Business Hours → Weekly Hours',
			holidays: 'Business Hours → Holidays (Country)',
			customHolidays: 'Business Hours → Extra Closed Days',
			...config.fieldNames,
		};
		this.hoursField = fields.hours;
		this.timeZone = validateTimeZone(config.timeZone, fields.timeZone);
		this.weekly = weeklyIntervals(config.hours, fields.hours);
		if (config.holidays?.trim()) {
			this.holidayCode = config.holidays.trim();
			this.holidays = holidayCalendar(
				this.holidayCode,
				this.timeZone,
				config.holidayTypes?.length ? config.holidayTypes : ['public'],
				fields.holidays,
			);
		}
		this.customHolidays = (config.customHolidays ?? []).map((h) =>
			customHoliday(h, fields.customHolidays),
		);
	}

	/** Whether the calendar is open at this instant. */
	isOpen(instant: Date | DateTime): boolean {
		const at = toDateTime(instant).toMillis();
		return this.openSpans(at, at + 1).some(([s, e]) => s <= at && at < e);
	}

	/**
	 * The instant `minutes` business minutes after `start`. Zero minutes from a closed moment gives the
	 * next opening.
	 */
	addBusinessMinutes(start: Date | DateTime, minutes: number): DateTime {
		if (!Number.isFinite(minutes) || minutes < 0) {
			throw new InputError(
				`A target of ${minutes} minutes cannot be added`,
				'SLA targets must be zero or more hours.',
			);
		}
		let remaining = Math.round(minutes * 60_000);
		const from = toDateTime(start).toMillis();
		// The day before too: an overnight interval that began yesterday may still be open.
		let day = this.dayBefore(from);
		for (let i = 0; i <= MAX_DAYS; i++) {
			const { spans, next } = this.day(day);
			day = next;
			for (const [spanStart, spanEnd] of spans) {
				const s = Math.max(spanStart, from);
				if (spanEnd <= s) continue;
				if (spanEnd - s >= remaining) {
					return DateTime.fromMillis(s + remaining, { zone: this.timeZone });
				}
				remaining -= spanEnd - s;
			}
		}
		throw new InputError(
			`The business-hours calendar has no open time within ${MAX_DAYS} days of ${DateTime.fromMillis(from, { zone: this.timeZone }).toISO()}`,
			`Check ${this.hoursField} and the holidays: the calendar must be open some time, or use calendar hours in the SLA policy.`,
		);
	}

	/** Business minutes between two instants (0 when `to` is not after `from`). */
	businessMinutesBetween(from: Date | DateTime, to: Date | DateTime): number {
		const a = toDateTime(from).toMillis();
		const b = toDateTime(to).toMillis();
		if (b <= a) return 0;
		let total = 0;
		for (const [s, e] of this.openSpans(a, b))
			total += Math.max(0, Math.min(e, b) - Math.max(s, a));
		return total / 60_000;
	}

	/** Holidays (library and custom) that close the calendar on this local date, by name. */
	holidaysOn(date: string): string[] {
		const day = DateTime.fromISO(date, { zone: this.timeZone });
		const start = day.toMillis();
		const end = day.plus({ days: 1 }).toMillis();
		return this.closures(day.year)
			.filter((c) => c.start < end && c.end > start)
			.map((c) => c.name);
	}

	describe(): string {
		const parts = [this.timeZone];
		if (this.holidayCode) parts.push(`holidays ${this.holidayCode}`);
		if (this.customHolidays.length) parts.push(`${this.customHolidays.length} extra closed day(s)`);
		return parts.join(', ');
	}

	/** Open spans (epoch ms) of every local day touching [from, to). */
	private openSpans(from: number, to: number): Array<[number, number]> {
		const spans: Array<[number, number]> = [];
		let day = this.dayBefore(from);
		for (let i = 0; day.toMillis() < to && i <= MAX_DAYS * 10; i++) {
			const info = this.day(day);
			spans.push(...info.spans);
			day = info.next;
		}
		return spans;
	}

	/**
	 * The start of the local day before the one `instant` falls on. Days already seen are found by a
	 * binary search over their starts (no time-zone arithmetic); a new day costs one luxon lookup.
	 */
	private dayBefore(instant: number): DateTime {
		const starts = this.dayStarts;
		let lo = 0;
		let hi = starts.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (starts[mid] <= instant) lo = mid + 1;
			else hi = mid - 1;
		}
		if (hi >= 0) {
			const known = this.localDays.get(starts[hi])!;
			if (instant < this.day(known.day).next.toMillis()) return known.before;
		}
		const day = DateTime.fromMillis(instant, { zone: this.timeZone }).startOf('day');
		if (starts.length >= 50_000) {
			starts.length = 0;
			this.localDays.clear();
		}
		const start = day.toMillis();
		const known = { day, before: day.minus({ days: 1 }) };
		if (!this.localDays.has(start)) {
			this.localDays.set(start, known);
			starts.splice(hi + 1, 0, start);
		}
		return known.before;
	}

	/** A local day's open spans and the day after it, computed once per day (see `days`). */
	private day(day: DateTime): { spans: Array<[number, number]>; next: DateTime } {
		const key = day.toMillis();
		let info = this.days.get(key);
		if (!info) {
			if (this.days.size >= 50_000) this.days.clear();
			info = { spans: this.daySpans(day), next: day.plus({ days: 1 }) };
			this.days.set(key, info);
		}
		return info;
	}

	/** Open spans (epoch ms) of one local day's intervals, minus holidays. */
	private daySpans(day: DateTime): Array<[number, number]> {
		const spans: Array<[number, number]> = [];
		for (const interval of this.weekly[day.weekday]) {
			const start = wallTime(day, interval.start).toMillis();
			const end = wallTime(day, interval.end).toMillis();
			if (end > start) spans.push(...this.subtractClosures(start, end, day.year));
		}
		return spans;
	}

	private subtractClosures(start: number, end: number, year: number): Array<[number, number]> {
		let pieces: Array<[number, number]> = [[start, end]];
		const closures = [
			...this.closures(year - 1),
			...this.closures(year),
			...this.closures(year + 1),
		];
		for (const c of closures) {
			if (c.end <= start || c.start >= end) continue;
			pieces = pieces.flatMap(([s, e]): Array<[number, number]> => {
				if (c.end <= s || c.start >= e) return [[s, e]];
				const out: Array<[number, number]> = [];
				if (c.start > s) out.push([s, c.start]);
				if (c.end < e) out.push([c.end, e]);
				return out;
			});
		}
		return pieces;
	}

	private closures(year: number): Closure[] {
		let list = this.closuresByYear.get(year);
		if (list) return list;
		list = [];
		if (this.holidays) {
			for (const h of this.holidays.getHolidays(year)) {
				list.push({ start: h.start.getTime(), end: h.end.getTime(), name: h.name });
			}
		}
		for (const h of this.customHolidays) {
			if (h.year !== undefined && h.year !== year) continue;
			const day = DateTime.fromObject(
				{ year, month: h.month, day: h.day },
				{ zone: this.timeZone },
			);
			if (!day.isValid) continue; // 02-29 in a common year
			list.push({ start: day.toMillis(), end: day.plus({ days: 1 }).toMillis(), name: h.name });
		}
		this.closuresByYear.set(year, list);
		return list;
	}
}

function toDateTime(value: Date | DateTime): DateTime {
	return value instanceof Date ? DateTime.fromJSDate(value) : value;
}

/** The instant of a wall-clock time (minutes after midnight, up to 1440) on a local day. */
function wallTime(day: DateTime, minutes: number): DateTime {
	if (minutes >= 1440) return wallTime(day.plus({ days: 1 }), minutes - 1440);
	return DateTime.fromObject(
		{
			year: day.year,
			month: day.month,
			day: day.day,
			hour: Math.floor(minutes / 60),
			minute: minutes % 60,
		},
		{ zone: day.zone },
	);
}

export function validateTimeZone(zone: string, field = 'Business Hours → Time Zone'): string {
	const name = String(zone ?? '').trim();
	if (!name || !IANAZone.isValidZone(name)) {
		throw new InputError(
			`"${name}" is not a valid time zone`,
			`Set ${field} to an IANA time zone name such as Europe/Berlin, America/New_York or UTC (not an abbreviation like CET or EST, nor an offset).`,
		);
	}
	return name;
}

function parseClock(value: string, allow24: boolean, field: string): number {
	const match = /^(\d{1,2}):(\d{2})$/.exec(String(value ?? '').trim());
	const hours = match ? Number(match[1]) : NaN;
	const minutes = match ? Number(match[2]) : NaN;
	const total = hours * 60 + minutes;
	if (!match || minutes > 59 || total > (allow24 ? 1440 : 1439)) {
		throw new InputError(
			`"${value}" is not a time of day`,
			`Write times in ${field} as HH:mm, 24-hour clock, e.g. 09:00 or 17:30${allow24 ? ' (24:00 for midnight at the end of a day)' : ''}.`,
		);
	}
	return total;
}

function weeklyIntervals(hours: OpeningHours[], field: string): Interval[][] {
	const weekly: Interval[][] = Array.from({ length: 8 }, () => []);
	for (const entry of hours) {
		const days = expandDay(entry.day, field);
		const start = parseClock(entry.start, false, field);
		const end = parseClock(entry.end, true, field);
		if (end === start) {
			throw new InputError(
				`Opening hours ${entry.start}–${entry.end} are empty`,
				`In ${field}, the end must differ from the start (for a whole day use 00:00–24:00).`,
			);
		}
		for (const weekday of days) {
			if (end > start) weekly[weekday].push({ start, end });
			else {
				// Overnight: from start to midnight, and on the next day from midnight to end.
				weekly[weekday].push({ start, end: 1440 });
				if (end > 0) weekly[(weekday % 7) + 1].push({ start: 0, end });
			}
		}
	}
	for (const day of weekly) day.sort((a, b) => a.start - b.start);
	return weekly.map(mergeIntervals);
}

function mergeIntervals(intervals: Interval[]): Interval[] {
	const merged: Interval[] = [];
	for (const interval of intervals) {
		const last = merged[merged.length - 1];
		if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
		else merged.push({ ...interval });
	}
	return merged;
}

function expandDay(day: OpeningHours['day'], field: string): number[] {
	if (day === 'weekdays') return [1, 2, 3, 4, 5];
	if (day === 'weekend') return [6, 7];
	if (day === 'everyDay') return [1, 2, 3, 4, 5, 6, 7];
	const index = WEEKDAYS.indexOf(day);
	if (index < 0) {
		throw new InputError(
			`"${day}" is not a day of the week`,
			`Pick a day in ${field} (Monday … Sunday, Weekdays, Weekend or Every Day).`,
		);
	}
	return [index + 1];
}

const HOLIDAY_TYPES = ['public', 'bank', 'school', 'optional', 'observance'];

function holidayCalendar(code: string, timeZone: string, types: string[], field: string): Holidays {
	const [country, state, region] = code
		.toUpperCase()
		.split(/[-.\s/_]+/)
		.filter(Boolean);
	const lookup = new Holidays();
	const countries = lookup.getCountries('en') ?? {};
	if (!country || !countries[country]) {
		throw new InputError(
			`"${code}" is not a country known to the holiday calendar`,
			`Set ${field} to an ISO 3166 country code, optionally with a state and region: e.g. US, GB-ENG, DE-BY, CH-ZH (${Object.keys(countries).length} countries are available).`,
		);
	}
	if (state) {
		const states = lookup.getStates(country, 'en') ?? {};
		if (!states[state]) {
			const known = Object.keys(states);
			throw new InputError(
				`"${state}" is not a state or province of ${countries[country]} in the holiday calendar`,
				known.length
					? `Use one of ${known.map((s) => `${country}-${s}`).join(', ')} in ${field}, or just ${country}.`
					: `${countries[country]} has no states in the holiday calendar: set ${field} to ${country}.`,
			);
		}
		if (region) {
			const regions = lookup.getRegions(country, state, 'en') ?? {};
			if (!regions[region]) {
				const known = Object.keys(regions);
				throw new InputError(
					`"${region}" is not a region of ${country}-${state} in the holiday calendar`,
					known.length
						? `Use one of ${known.map((r) => `${country}-${state}-${r}`).join(', ')} in ${field}, or ${country}-${state}.`
						: `Set ${field} to ${country}-${state}.`,
				);
			}
		}
	}
	const bad = types.filter((t) => !HOLIDAY_TYPES.includes(t));
	if (bad.length) {
		throw new InputError(
			`Unknown holiday type ${bad.join(', ')}`,
			`Holiday types are ${HOLIDAY_TYPES.join(', ')}.`,
		);
	}
	const options = { types: types as HolidaysTypes.HolidayType[], timezone: timeZone };
	if (region) return new Holidays(country, state, region, options);
	if (state) return new Holidays(country, state, options);
	return new Holidays(country, options);
}

function customHoliday(
	holiday: CustomHoliday,
	field: string,
): { year?: number; month: number; day: number; name: string } {
	const text = String(holiday.date ?? '').trim();
	const full = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
	const yearly = /^(\d{2})-(\d{2})$/.exec(text);
	const name = holiday.name?.trim() || `closed (${text})`;
	if (full) {
		const [year, month, day] = full.slice(1).map(Number);
		if (DateTime.fromObject({ year, month, day }).isValid) return { year, month, day, name };
	} else if (yearly) {
		const [month, day] = yearly.slice(1).map(Number);
		if (DateTime.fromObject({ year: 2024, month, day }).isValid) return { month, day, name };
	}
	throw new InputError(
		`"${text}" is not a date`,
		`Write each date in ${field} as YYYY-MM-DD (one day) or MM-DD (that day every year), e.g. 2026-12-24 or 12-31.`,
	);
}
