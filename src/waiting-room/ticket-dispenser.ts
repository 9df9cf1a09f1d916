// Tickets for the newcomers of a surge, taken together. While the room queues, nearly every request from
// a new shopper needs the next ticket, and a surge brings hundreds of them a second: one INSERT each made
// newcomers queue for the same connections as the admitted shoppers' carts and checkouts, and cost the
// shop more than the pages they were kept from (docs/surge-protection.md, "How the replicas share the room").
//
// So one insert is in flight at a time, and the newcomers who arrive meanwhile wait for it to return and
// then take their tickets in the next one, in the order they arrived (DataLoader keeps the order of its
// loads in a batch). Batches also start at most every BATCH_WINDOW_MS: an insert returns in about a
// millisecond, so "wait for the one in flight" alone still made 1,500 newcomers a second into 1,000
// statements (about 1.5 tickets each), and each statement costs both processes a wake-up. A lone
// newcomer waits at most the window; a thousand a second share about a hundred statements. The room's
// use of the pool is one connection, whatever the surge.
import DataLoader from 'dataloader';

export interface TicketDispenser {
  /** The visitor's ticket (resolves once the batch it joined is written). */
  take(visitorId: string): Promise<number>;
}

/** Shortest time between the starts of two batches: what a newcomer may wait to be told their place. */
export const BATCH_WINDOW_MS = 10;

/** `takeTickets` writes one batch and returns each visitor's ticket; the dispenser keeps one batch in flight. */
export function ticketDispenser(takeTickets: (visitorIds: readonly string[]) => Promise<Map<string, number>>): TicketDispenser {
  let inFlight: Promise<unknown> | null = null;
  let lastBatchAt = Number.NEGATIVE_INFINITY;
  const afterWindow = (dispatch: () => void) => {
    const wait = lastBatchAt + BATCH_WINDOW_MS - performance.now();
    if (wait > 0) setTimeout(dispatch, wait);
    else setImmediate(dispatch);
  };
  const loader = new DataLoader<string, number>((visitorIds) => {
    lastBatchAt = performance.now();
    const written = takeTickets(visitorIds).then((tickets) => visitorIds.map((id) => tickets.get(id) ?? new Error(`no ticket was written for visitor ${id}`)));
    const settled = written.then(() => {}, () => {});
    inFlight = settled;
    void settled.then(() => { if (inFlight === settled) inFlight = null; });
    return written;
  }, {
    // No size limit: a batch capped in size would start a second one beside it, two inserts in flight.
    cache: false,
    // The next batch is sent when the one in flight has returned and the window since the last one has
    // passed; with none in flight and the window passed, at the end of this turn.
    batchScheduleFn: (dispatch) => { if (inFlight) void inFlight.then(() => afterWindow(dispatch)); else afterWindow(dispatch); },
  });
  return { take: (visitorId) => loader.load(visitorId) };
}
