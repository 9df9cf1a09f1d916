// The Gregorian calendar's one fact that date checks need: how many days a month has (leap years
// included), for text that has a date's shape but must name a real day before a Date or PostgreSQL is
// handed it (JavaScript's Date rolls February 31st into March; PostgreSQL's cast fails).

/** Days in `month` (1-12) of `year`; undefined for a month that does not exist. */
export function daysInMonth(year: number, month: number): number | undefined {
  if (!Number.isInteger(month) || month < 1 || month > 12) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}
