// Money is stored as integer minor units; only here, for display, does it become a decimal.
import type { Money } from '../catalog/index.ts';

const formatters = new Map<string, { format: Intl.NumberFormat; minorUnitsPerMajor: number }>();

function formatterFor(currency: string) {
  let entry = formatters.get(currency);
  if (!entry) {
    // Intl construction is slow (~50µs); the product page is hot, so one formatter per currency is kept.
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    entry = { format, minorUnitsPerMajor: 10 ** digits };
    formatters.set(currency, entry);
  }
  return entry;
}

/** formatMoney({amount: 1999, currency: 'USD'}) === '$19.99'; JPY has no minor units, so 500 is '¥500'. */
export function formatMoney(money: Money): string {
  const { format, minorUnitsPerMajor } = formatterFor(money.currency);
  return format.format(money.amount / minorUnitsPerMajor);
}
