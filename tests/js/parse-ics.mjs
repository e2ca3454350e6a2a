#!/usr/bin/env node
// Parse an iCalendar file with Mozilla's ical.js and print a JSON summary.
//
// Usage: node parse-ics.mjs FILE.ics   (or "-" to read stdin)
//
// This is the independent parser behind tests/icaljs.py: feed tests compare what our
// generator meant to write with what a real-world client library reads back.
//
// Output semantics (see tests/icaljs.py for the Python side):
// - "start"/"end"/occurrences of all-day events are "YYYY-MM-DD" (DTEND is exclusive);
//   timed values are UTC ISO strings ("2026-01-04T01:00:00Z") computed with
//   ICAL.Time#convertToZone(ICAL.Timezone.utcTimezone), i.e. through the zone ical.js
//   resolved for the value (a VTIMEZONE of the file, registered with TimezoneService).
// - A floating time (no zone, or a TZID that neither the file's VTIMEZONEs nor the
//   TimezoneService knows) has "floating": true and "start_tzid": "floating"; its UTC string
//   is then just its wall-clock time read as UTC. "start_tzid_param" keeps the raw TZID
//   parameter so a missing VTIMEZONE shows up as start_tzid_param set but floating true.
// - The input must be valid UTF-8 (decoded strictly): a folded line that splits a
//   multi-byte character is reported as an error rather than silently repaired.
// Any parse error: message on stderr, exit status 1 (2 for bad usage).

import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const MAX_OCCURRENCES = 50;

// ical.js treats unknown X- properties as raw ("unknown" type, escapes kept). The
// de-facto Apple/Google calendar-name properties are TEXT, so decode them as such.
for (const name of ['x-wr-calname', 'x-wr-caldesc', 'x-wr-timezone']) {
  ICAL.design.icalendar.property[name] ??= { defaultType: 'text' };
}

function readInput(arg) {
  const bytes = readFileSync(arg === '-' ? 0 : arg);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(
      `${arg === '-' ? 'stdin' : arg} is not valid UTF-8 ` +
        '(a line folded inside a multi-byte character also causes this)',
    );
  }
}

function parseCalendar(text) {
  const jcal = ICAL.parse(text);
  if (!Array.isArray(jcal) || typeof jcal[0] !== 'string') {
    const count = Array.isArray(jcal) ? jcal.length : 0;
    throw new Error(`expected exactly one top-level component, found ${count}`);
  }
  const root = new ICAL.Component(jcal);
  if (root.name !== 'vcalendar') {
    throw new Error(`top-level component is ${root.name.toUpperCase()}, not VCALENDAR`);
  }
  return root;
}

function isFloating(time) {
  return time.zone === ICAL.Timezone.localTimezone || time.zone?.tzid === 'floating';
}

/** ICAL.Time -> "YYYY-MM-DD" for DATE values, UTC ISO "...Z" for DATE-TIME values. */
function timeOut(time) {
  if (time === null || time === undefined) return null;
  if (time.isDate) return time.toString();
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(utc.year, 4)}-${pad(utc.month)}-${pad(utc.day)}` +
    `T${pad(utc.hour)}:${pad(utc.minute)}:${pad(utc.second)}Z`
  );
}

function textOrNull(value) {
  return value === null || value === undefined ? null : String(value);
}

function calendarInfo(root) {
  const refresh = root.getFirstProperty('refresh-interval');
  // ical.js consumes the VALUE parameter while parsing and records it as the property's
  // value type. REFRESH-INTERVAL is not in ical.js's design set, so its type is "unknown"
  // exactly when no VALUE parameter was given.
  let refreshValueParam = null;
  if (refresh && refresh.type !== 'unknown') refreshValueParam = refresh.type.toUpperCase();
  return {
    name: textOrNull(root.getFirstPropertyValue('x-wr-calname')),
    refresh_interval: refresh ? textOrNull(refresh.getFirstValue()) : null,
    refresh_interval_value_param: refreshValueParam,
    published_ttl: textOrNull(root.getFirstPropertyValue('x-published-ttl')),
    timezones: root
      .getAllSubcomponents('vtimezone')
      .map((tz) => textOrNull(tz.getFirstPropertyValue('tzid'))),
  };
}

function alarmInfo(valarm) {
  const trigger = valarm.getFirstPropertyValue('trigger');
  let triggerOut = null;
  if (trigger instanceof ICAL.Time) triggerOut = timeOut(trigger);
  else if (trigger !== null && trigger !== undefined) triggerOut = trigger.toString();
  return {
    action: textOrNull(valarm.getFirstPropertyValue('action')),
    trigger: triggerOut,
    description: textOrNull(valarm.getFirstPropertyValue('description')),
  };
}

function occurrences(event) {
  if (!event.isRecurring()) return [];
  const out = [];
  const iterator = event.iterator();
  for (let next = iterator.next(); next && out.length < MAX_OCCURRENCES; next = iterator.next()) {
    // getOccurrenceDetails applies RECURRENCE-ID overrides related to this event.
    out.push(timeOut(event.getOccurrenceDetails(next).startDate));
  }
  return out;
}

function eventInfo(comp, allEvents) {
  const uid = comp.getFirstPropertyValue('uid');
  // Relate only overrides with the same UID (ical.js's default relates every VEVENT in the
  // calendar that has a RECURRENCE-ID, whatever its UID).
  const exceptions = comp.hasProperty('recurrence-id')
    ? undefined
    : allEvents.filter(
        (other) =>
          other !== comp &&
          other.hasProperty('recurrence-id') &&
          other.getFirstPropertyValue('uid') === uid,
      );
  const event = new ICAL.Event(comp, exceptions ? { exceptions } : undefined);
  const start = event.startDate;
  const sequence = event.sequence;
  return {
    uid: textOrNull(event.uid),
    summary: textOrNull(event.summary),
    description: textOrNull(event.description),
    sequence: sequence === null || sequence === undefined ? null : Number(sequence),
    status: textOrNull(comp.getFirstPropertyValue('status')),
    categories: comp
      .getAllProperties('categories')
      .flatMap((prop) => prop.getValues().map(String)),
    dtstamp_utc: timeOut(comp.getFirstPropertyValue('dtstamp')),
    last_modified_utc: timeOut(comp.getFirstPropertyValue('last-modified')),
    recurrence_id: timeOut(event.recurrenceId),
    all_day: start ? start.isDate : false,
    start: timeOut(start),
    end: start ? timeOut(event.endDate) : null,
    start_tzid: start ? (isFloating(start) ? 'floating' : start.zone.tzid) : null,
    start_tzid_param: textOrNull(comp.getFirstProperty('dtstart')?.getParameter('tzid')),
    floating: start ? !start.isDate && isFloating(start) : false,
    alarms: comp.getAllSubcomponents('valarm').map(alarmInfo),
    is_recurring: event.isRecurring(),
    occurrences: start ? occurrences(event) : [],
  };
}

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node parse-ics.mjs FILE.ics|-\n');
    return 2;
  }
  const root = parseCalendar(readInput(argv[0]));
  for (const vtimezone of root.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const vevents = root.getAllSubcomponents('vevent');
  const result = {
    calendar: calendarInfo(root),
    events: vevents.map((comp) => eventInfo(comp, vevents)),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  const name = err?.name ?? 'Error';
  process.stderr.write(`parse-ics: ${name}: ${err?.message ?? String(err)}\n`);
  if (process.env.PARSE_ICS_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  process.exitCode = 1;
}
