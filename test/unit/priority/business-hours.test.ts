import { DateTime } from 'luxon';
import { BusinessCalendar } from '../../../lib/priority';
import type { CalendarConfig } from '../../../lib/priority';
import { InputError } from '../../../lib/errors';

const OFFICE: CalendarConfig['hours'] = [{ day: 'weekdays', start: '09:00', end: '17:00' }];

function calendar(config: Partial<CalendarConfig> = {}): BusinessCalendar {
	return new BusinessCalendar({ timeZone: 'America/New_York', hours: OFFICE, ...config });
}

/** Adds business minutes to a local wall time in the calendar's zone; returns local ISO. */
function add(cal: BusinessCalendar, local: string, minutes: number): string {
	const start = DateTime.fromISO(local, { zone: cal.timeZone });
	return cal.addBusinessMinutes(start, minutes).toISO({ suppressMilliseconds: true })!;
}

function thrown(fn: () => unknown): InputError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return error as InputError;
	}
	throw new Error('expected an InputError');
}

describe('business hours: weekly hours', () => {
	it('counts within the same day', () => {
		expect(add(calendar(), '2026-11-24T10:00', 90)).toBe('2026-11-24T11:30:00-05:00');
	});

	it('carries over to the next morning at closing time', () => {
		expect(add(calendar(), '2026-11-24T16:30', 60)).toBe('2026-11-25T09:30:00-05:00');
		// exactly at closing: the due time is closing time, not the next morning
		expect(add(calendar(), '2026-11-24T16:00', 60)).toBe('2026-11-24T17:00:00-05:00');
	});

	it('a ticket arriving on a Friday evening is due on Monday', () => {
		const cal = calendar();
		expect(add(cal, '2026-11-20T18:30', 60)).toBe('2026-11-23T10:00:00-05:00');
		expect(add(cal, '2026-11-20T18:30', 8 * 60)).toBe('2026-11-23T17:00:00-05:00');
		expect(add(cal, '2026-11-20T18:30', 9 * 60)).toBe('2026-11-24T10:00:00-05:00');
		// Friday 16:00 + 4h: one hour on Friday, three on Monday
		expect(add(cal, '2026-11-20T16:00', 4 * 60)).toBe('2026-11-23T12:00:00-05:00');
	});

	it('zero minutes from a closed moment is the next opening', () => {
		expect(add(calendar(), '2026-11-21T12:00', 0)).toBe('2026-11-23T09:00:00-05:00');
		expect(add(calendar(), '2026-11-23T10:15', 0)).toBe('2026-11-23T10:15:00-05:00');
	});

	it('takes several intervals per day (lunch break) and per-day hours', () => {
		const cal = calendar({
			hours: [
				{ day: 'weekdays', start: '09:00', end: '12:00' },
				{ day: 'weekdays', start: '13:00', end: '17:00' },
				{ day: 'saturday', start: '10:00', end: '14:00' },
			],
		});
		expect(add(cal, '2026-11-24T11:30', 60)).toBe('2026-11-24T13:30:00-05:00');
		// Friday 16:00 + 3h: 1h on Friday, 2h on Saturday
		expect(add(cal, '2026-11-20T16:00', 3 * 60)).toBe('2026-11-21T12:00:00-05:00');
		// Saturday 13:00 + 2h: 1h Saturday, then Monday 09:00 + 1h
		expect(add(cal, '2026-11-21T13:00', 2 * 60)).toBe('2026-11-23T10:00:00-05:00');
	});

	it('takes overnight shifts (end before start) across midnight', () => {
		const cal = calendar({ hours: [{ day: 'everyDay', start: '22:00', end: '06:00' }] });
		expect(add(cal, '2026-11-24T23:00', 120)).toBe('2026-11-25T01:00:00-05:00');
		expect(add(cal, '2026-11-25T05:00', 120)).toBe('2026-11-25T23:00:00-05:00');
		// at 03:00 the shift that began yesterday evening is still open
		expect(cal.isOpen(DateTime.fromISO('2026-11-25T03:00', { zone: cal.timeZone }))).toBe(true);
		expect(cal.isOpen(DateTime.fromISO('2026-11-25T12:00', { zone: cal.timeZone }))).toBe(false);
	});

	it('counts business minutes between two instants', () => {
		const cal = calendar();
		const from = DateTime.fromISO('2026-11-20T15:00', { zone: cal.timeZone });
		const to = DateTime.fromISO('2026-11-23T10:30', { zone: cal.timeZone });
		expect(cal.businessMinutesBetween(from, to)).toBe(2 * 60 + 90);
		expect(cal.businessMinutesBetween(to, from)).toBe(0);
	});
});

describe('business hours: time zones', () => {
	it('works in the calendar zone whatever zone the start instant is given in', () => {
		const cal = calendar({ timeZone: 'Asia/Tokyo' });
		// 08:30 UTC on Friday = 17:30 in Tokyo: closed until Monday 09:00 JST
		const due = cal.addBusinessMinutes(new Date('2026-11-20T08:30:00Z'), 60);
		expect(due.toISO({ suppressMilliseconds: true })).toBe('2026-11-23T10:00:00+09:00');
		expect(due.toUTC().toISO()).toBe('2026-11-23T01:00:00.000Z');
	});

	it('the same instant gives different due times in different zones', () => {
		const instant = new Date('2026-11-24T16:30:00Z');
		const berlin = calendar({ timeZone: 'Europe/Berlin' }).addBusinessMinutes(instant, 60);
		const newYork = calendar({ timeZone: 'America/New_York' }).addBusinessMinutes(instant, 60);
		expect(berlin.toISO({ suppressMilliseconds: true })).toBe('2026-11-25T10:00:00+01:00'); // 17:30 there
		expect(newYork.toISO({ suppressMilliseconds: true })).toBe('2026-11-24T12:30:00-05:00'); // 11:30 there
	});

	it('an invalid IANA zone is an InputError that names the field to fix', () => {
		for (const zone of ['Europe/Berln', 'GMT+25', '', 'not a zone']) {
			const error = thrown(() => calendar({ timeZone: zone }));
			expect(error.message).toContain('is not a valid time zone');
			expect(error.hint).toContain('Business Hours → Time Zone');
			expect(error.hint).toContain('Europe/Berlin');
		}
		const custom = thrown(() =>
			calendar({ timeZone: 'Mars/Olympus', fieldNames: { timeZone: 'My Zone Field' } }),
		);
		expect(custom.hint).toContain('My Zone Field');
	});
});

describe('business hours: DST changes', () => {
	it('office hours across the spring-forward weekend keep the wall clock (America/New_York)', () => {
		// DST starts Sunday 2026-03-08; Friday 16:00 EST + 2h = Monday 10:00 EDT
		expect(add(calendar(), '2026-03-06T16:00', 120)).toBe('2026-03-09T10:00:00-04:00');
	});

	it('a night shift in the spring-forward night has one real hour less', () => {
		const cal = calendar({ hours: [{ day: 'everyDay', start: '00:00', end: '06:00' }] });
		// 00:00–06:00 on 2026-03-08 is 5 real hours: 6 business hours end on Monday at 01:00
		expect(add(cal, '2026-03-08T00:00', 6 * 60)).toBe('2026-03-09T01:00:00-04:00');
		expect(add(cal, '2026-03-08T00:00', 5 * 60)).toBe('2026-03-08T06:00:00-04:00');
		const from = DateTime.fromISO('2026-03-08T00:00', { zone: cal.timeZone });
		const to = DateTime.fromISO('2026-03-08T12:00', { zone: cal.timeZone });
		expect(cal.businessMinutesBetween(from, to)).toBe(5 * 60);
	});

	it('a night shift in the fall-back night has one real hour more', () => {
		const cal = calendar({ hours: [{ day: 'everyDay', start: '00:00', end: '06:00' }] });
		// DST ends Sunday 2026-11-01: 00:00–06:00 holds 7 real hours
		expect(add(cal, '2026-11-01T00:00', 7 * 60)).toBe('2026-11-01T06:00:00-05:00');
		expect(add(cal, '2026-11-01T00:00', 2 * 60)).toBe('2026-11-01T01:00:00-05:00');
		expect(add(cal, '2026-11-01T00:00', 60)).toBe('2026-11-01T01:00:00-04:00');
	});

	it('opening hours that start inside the DST gap open when the clock resumes (Europe/Berlin)', () => {
		const cal = calendar({
			timeZone: 'Europe/Berlin',
			hours: [{ day: 'everyDay', start: '02:30', end: '04:00' }],
		});
		// 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00): open 03:30–04:00 only
		expect(add(cal, '2026-03-29T00:00', 30)).toBe('2026-03-29T04:00:00+02:00');
		expect(add(cal, '2026-03-29T00:00', 31)).toBe('2026-03-30T02:31:00+02:00');
	});

	it('24/7 business hours over a DST change equal calendar hours', () => {
		const cal = calendar({ hours: [{ day: 'everyDay', start: '00:00', end: '24:00' }] });
		const start = DateTime.fromISO('2026-03-07T12:00', { zone: cal.timeZone });
		const due = cal.addBusinessMinutes(start, 24 * 60);
		expect(due.toMillis() - start.toMillis()).toBe(24 * 3_600_000);
		expect(due.toISO({ suppressMilliseconds: true })).toBe('2026-03-08T13:00:00-04:00');
	});
});

describe('business hours: holidays', () => {
	it('skips US federal holidays from date-holidays (Thanksgiving)', () => {
		// Thursday 2026-11-26 is Thanksgiving
		expect(add(calendar(), '2026-11-25T16:00', 120)).toBe('2026-11-26T10:00:00-05:00');
		const us = calendar({ holidays: 'US' });
		expect(add(us, '2026-11-25T16:00', 120)).toBe('2026-11-27T10:00:00-05:00');
		expect(us.holidaysOn('2026-11-26')).toEqual(['Thanksgiving Day']);
		// an observed (substitute) day counts: 2026-07-04 is a Saturday, observed on Friday 07-03
		expect(add(us, '2026-07-02T16:00', 120)).toBe('2026-07-06T10:00:00-04:00');
	});

	it('takes state codes: Epiphany is a holiday in Bavaria (DE-BY), not in Berlin (DE-BE)', () => {
		const by = calendar({ timeZone: 'Europe/Berlin', holidays: 'DE-BY' });
		const be = calendar({ timeZone: 'Europe/Berlin', holidays: 'de.be' });
		// Tuesday 2026-01-06
		expect(add(by, '2026-01-05T16:30', 60)).toBe('2026-01-07T09:30:00+01:00');
		expect(add(be, '2026-01-05T16:30', 60)).toBe('2026-01-06T09:30:00+01:00');
	});

	it('counts only the holiday types chosen (partial-day bank holidays)', () => {
		// In Germany, 24 December is a bank holiday from 14:00
		const publicOnly = calendar({ timeZone: 'Europe/Berlin', holidays: 'DE-BY' });
		const withBank = calendar({
			timeZone: 'Europe/Berlin',
			holidays: 'DE-BY',
			holidayTypes: ['public', 'bank'],
		});
		expect(add(publicOnly, '2026-12-24T13:00', 120)).toBe('2026-12-24T15:00:00+01:00');
		// 1h until 14:00, then 25/26 December and the weekend: Monday 28th 10:00
		expect(add(withBank, '2026-12-24T13:00', 120)).toBe('2026-12-28T10:00:00+01:00');
	});

	it('takes the team’s own closed days, once or every year', () => {
		const cal = calendar({
			customHolidays: [
				{ date: '2026-11-24', name: 'Company offsite' },
				{ date: '12-31', name: 'New Year’s Eve' },
			],
		});
		expect(add(cal, '2026-11-23T16:30', 60)).toBe('2026-11-25T09:30:00-05:00');
		expect(cal.holidaysOn('2026-11-24')).toEqual(['Company offsite']);
		// Thursday 2026-12-31 and Friday 2027-12-31 are closed
		expect(add(cal, '2026-12-30T16:30', 60)).toBe('2027-01-01T09:30:00-05:00');
		expect(cal.holidaysOn('2027-12-31')).toEqual(['New Year’s Eve']);
	});

	it('unknown country, state or region codes name the field and list what exists', () => {
		const country = thrown(() => calendar({ holidays: 'XX' }));
		expect(country.message).toContain('"XX" is not a country');
		expect(country.hint).toContain('Business Hours → Holidays (Country)');
		const state = thrown(() => calendar({ holidays: 'DE-XY' }));
		expect(state.message).toContain('"XY" is not a state');
		expect(state.hint).toContain('DE-BY');
	});

	it('bad custom dates and opening hours are InputErrors with the format to use', () => {
		const date = thrown(() => calendar({ customHolidays: [{ date: '24.12.2026' }] }));
		expect(date.hint).toContain('YYYY-MM-DD');
		const clock = thrown(() =>
			calendar({ hours: [{ day: 'monday', start: '9am', end: '17:00' }] }),
		);
		expect(clock.hint).toContain('HH:mm');
		const empty = thrown(() =>
			calendar({ hours: [{ day: 'monday', start: '09:00', end: '09:00' }] }),
		);
		expect(empty.hint).toContain('00:00–24:00');
	});

	it('a calendar that is never open is an error, not an endless loop', () => {
		const error = thrown(() =>
			calendar({ hours: [] }).addBusinessMinutes(new Date('2026-11-24T10:00:00Z'), 60),
		);
		expect(error.message).toContain('no open time');
		expect(error.hint).toContain('Weekly Hours');
	});
});

describe('business hours: one calendar reused for many emails (per-day cache)', () => {
	it('gives the same due times as a fresh calendar per email, across DST changes and holidays', () => {
		const config: Partial<CalendarConfig> = {
			timeZone: 'Europe/Berlin',
			holidays: 'DE-BE',
			hours: [
				{ day: 'weekdays', start: '08:00', end: '12:00' },
				{ day: 'weekdays', start: '13:00', end: '18:00' },
				{ day: 'saturday', start: '22:00', end: '02:00' },
			],
		};
		const shared = calendar(config);
		// Every 7 h 13 min from mid-March to mid-April 2026 (DST starts 29 March; Easter 3–6 April),
		// in random order so the cache is filled out of order.
		const starts: number[] = [];
		for (let t = Date.UTC(2026, 2, 14); t < Date.UTC(2026, 3, 14); t += 433 * 60_000)
			starts.push(t);
		starts.sort((a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009));
		for (const start of starts) {
			for (const minutes of [0, 60, 8 * 60, 48 * 60, 120 * 60]) {
				const expected = calendar(config).addBusinessMinutes(new Date(start), minutes).toISO();
				expect(shared.addBusinessMinutes(new Date(start), minutes).toISO()).toBe(expected);
			}
			const end = new Date(start + 3 * 86_400_000);
			expect(shared.businessMinutesBetween(new Date(start), end)).toBe(
				calendar(config).businessMinutesBetween(new Date(start), end),
			);
		}
		// Good Friday 2026 (3 April) is closed in Berlin: 1 h from Thursday 17:30 is 30 min on Thursday,
		// then the Saturday night shift from 22:00.
		expect(add(shared, '2026-04-02T17:30', 60)).toBe('2026-04-04T22:30:00+02:00');
	});
});
