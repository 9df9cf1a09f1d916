// The scenarios that ship with Holdfast: shopper journeys against a Holdfast shop (its public JSON API
// and storefront pages), the surge profiles the postmortem asked for, and a plain `http` scenario for
// any URL. All of them are declarative, so they also export to k6 unchanged.
import type { BuiltinParams, JourneySpec, ScenarioSpec, StepSpec } from './scenario-types.ts';

const SEARCH_TERMS = ['wool', 'candle', 'scarf', 'lantern', 'sweater', 'puzzle', 'mug', 'oak', 'winter', 'gift', 'blanket', 'thermos'];
/** Stripe test payment methods, weighted like real traffic: mostly cards that pay, one in ten declined. */
const PAYMENT_METHODS = [
  'pm_card_visa', 'pm_card_visa', 'pm_card_visa', 'pm_card_visa', 'pm_card_visa', 'pm_card_visa',
  'pm_card_mastercard', 'pm_card_mastercard', 'pm_card_amex', 'pm_card_chargeDeclined',
];
const SHIPPING = { name: 'Load Test Shopper', line1: '1 Surge Street', city: 'London', postalCode: 'N1 7AA', country: 'GB' };
const SHOP_DATA = { searchTerms: SEARCH_TERMS, paymentMethods: PAYMENT_METHODS, shippingAddress: SHIPPING };

/** One catalog page, fetched once before the load: the products journeys pick from. */
const SHOP_SETUP: StepSpec[] = [{
  name: 'catalog', url: '/api/products?limit=100', extract: { products: '$.items' },
  checks: [{ name: 'the shop has products', jsonPath: '$.items[0].id' }],
}];

const SHOP_THRESHOLDS = ['error_rate<0.01', 'checks>0.99'];
const SHOPPER = { cookies: true, waitingRoom: true } as const;
const think = (min: number, max: number) => ({ min, max });

function productPage(name = 'product-page'): StepSpec {
  return {
    name, pick: { product: 'products' }, url: '/products/{{product.slug}}',
    checks: [{ name: 'product page shown', status: 200 }], think: think(0.2, 1),
  };
}

function browseJourney(weight = 1): JourneySpec {
  return {
    name: 'browse', weight,
    steps: [
      { name: 'home', url: '/', checks: [{ name: 'home page shown', status: 200 }], think: think(0.2, 1) },
      { name: 'listing', url: '/api/products?limit=24', checks: [{ name: 'listing has products', jsonPath: '$.items[0].slug' }], think: think(0.2, 1) },
      productPage(),
      { name: 'product-api', url: '/api/products/{{product.slug}}', checks: [{ name: 'product has a price', jsonPath: '$.price.amount' }] },
    ],
  };
}

function searchJourney(weight = 1): JourneySpec {
  return {
    name: 'search', weight,
    steps: [
      {
        name: 'search', pick: { term: 'searchTerms' }, url: '/api/products?q={{term}}&limit=24',
        extract: { firstSlug: '$.items[0].slug' },
        checks: [{ name: 'search answered', status: 200 }], think: think(0.2, 1),
      },
      { name: 'result', url: '/api/products/{{firstSlug}}', checks: [{ name: 'result opens', status: 200 }] },
    ],
  };
}

/** View a product, create a cart, add it. A sold-out product (409) ends the journey: the shopper leaves. */
function cartSteps(listVar = 'products'): StepSpec[] {
  return [
    {
      name: 'product', pick: { product: listVar }, url: '/api/products/{{product.slug}}',
      checks: [{ name: 'product opens', status: 200 }], think: think(0.2, 0.8),
    },
    {
      name: 'create-cart', method: 'POST', url: '/api/carts', json: {}, extract: { cartId: '$.id' },
      checks: [{ name: 'cart created', status: 201 }],
    },
    {
      name: 'add-item', method: 'POST', url: '/api/carts/{{cartId}}/items', json: { productId: '{{product.id}}', quantity: 1 },
      expect: [200, 409], stopOn: [409],
      checks: [{ name: 'added, or sold out', status: [200, 409] }], think: think(0.2, 0.8),
    },
  ];
}

function addToCartJourney(weight = 1): JourneySpec {
  return {
    name: 'add-to-cart', weight,
    steps: [
      ...cartSteps(),
      { name: 'view-cart', url: '/api/carts/{{cartId}}', checks: [{ name: 'cart holds the item', jsonPath: '$.lines[0].productId' }] },
    ],
  };
}

function placeOrderStep(opts: { soldOutIsExpected?: boolean } = {}): StepSpec {
  return {
    name: 'place-order', method: 'POST', url: '/api/checkout', pick: { paymentMethod: 'paymentMethods' },
    headers: { 'idempotency-key': '{{$uuid}}' },
    json: {
      cartId: '{{cartId}}', email: 'shopper-{{$vu}}-{{$iteration}}@example.com',
      shippingAddress: '{{shippingAddress}}', paymentMethod: '{{paymentMethod}}',
    },
    extract: { orderId: '$.orderId', accessToken: '$.accessToken' },
    ...(opts.soldOutIsExpected ? { expect: [202, 409], stopOn: [409] } : {}),
    checks: [{ name: opts.soldOutIsExpected ? 'order accepted, or sold out' : 'order accepted', status: opts.soldOutIsExpected ? [202, 409] : 202 }],
    thresholds: ['p(99)<1500ms'],
    think: think(0.5, 1.5),
  };
}

/**
 * The order page, polled as the shopper's page polls it until the order is paid or declined: the step's
 * latency is the time to paid (or declined) after the order was accepted. Payment is asynchronous, so a
 * slow provider shows here and not in the checkout's own latency.
 */
function orderStatusStep(): StepSpec {
  return {
    name: 'order-status', url: '/api/orders/{{orderId}}', headers: { authorization: 'Bearer {{accessToken}}' },
    until: { jsonPath: '$.status', in: ['paid', 'payment_failed'], interval: 1, timeout: 120 },
    checks: [{ name: 'order status shown', jsonPath: '$.status' }],
  };
}

/** A product can sell out between the cart and the checkout (409 OUT_OF_STOCK): a shop's answer, not a failure. */
function checkoutJourney(weight = 1, listVar = 'products', soldOutIsExpected = true): JourneySpec {
  return { name: 'checkout', weight, steps: [...cartSteps(listVar), placeOrderStep({ soldOutIsExpected }), orderStatusStep()] };
}

/** A day's shopper mix: most browse, some search, a few add to cart, fewer buy. */
function mixedJourneys(): JourneySpec[] {
  return [browseJourney(55), searchJourney(25), addToCartJourney(12), checkoutJourney(8)];
}

function shop(name: string, description: string, load: ScenarioSpec['load'], journeys: JourneySpec[], extra: Partial<ScenarioSpec> = {}): ScenarioSpec {
  // Each iteration is a new shopper with its own cookies, who waits in the shop's waiting room if it has one.
  return { name, description, load, journeys, setup: SHOP_SETUP, data: SHOP_DATA, thresholds: SHOP_THRESHOLDS, shopper: SHOPPER, ...extra };
}

const constant = (rate: number, duration: number): ScenarioSpec['load'] => ({ executor: 'constant-arrival-rate', rate, duration });

const BUILTINS: Record<string, { description: string; build: (params: BuiltinParams) => ScenarioSpec }> = {
  browse: {
    description: 'Shoppers browse: home page, product listing, a product page and its API (10 iterations/s for 30 s).',
    build: () => shop('browse', 'Shoppers browse the catalog.', constant(10, 30), [browseJourney()]),
  },
  search: {
    description: 'Shoppers search for a term and open the first result (10/s for 30 s).',
    build: () => shop('search', 'Shoppers search and open a result.', constant(10, 30), [searchJourney()]),
  },
  'add-to-cart': {
    description: 'View a product, create a cart, add the product, view the cart (5/s for 30 s).',
    build: () => shop('add-to-cart', 'Shoppers fill carts.', constant(5, 30), [addToCartJourney()]),
  },
  checkout: {
    description: 'The buying journey: product, cart, add, checkout with Stripe test cards (pm_card_visa, ..., 10% declined), order status (3/s for 30 s).',
    build: () => shop('checkout', 'Shoppers buy (Stripe test payment methods).', constant(3, 30), [checkoutJourney()]),
  },
  mixed: {
    description: 'A shopper mix: 55% browse, 25% search, 12% add to cart, 8% checkout (10/s for 60 s).',
    build: () => shop('mixed', 'The shopper mix of a normal day.', constant(10, 60), mixedJourneys()),
  },
  'holiday-surge': {
    description: 'The incident\'s traffic: baseline, a ramp to 5x over a minute, hold, decay (6 min at 5/s baseline; --duration scales it).',
    build: () => shop('holiday-surge', 'Holiday surge: baseline, ramp to 5x over a minute, hold, decay back to baseline.', {
      executor: 'ramping-arrival-rate', startRate: 5,
      stages: [
        { duration: 60, target: 5 }, { duration: 60, target: 25 }, { duration: 120, target: 25 },
        { duration: 60, target: 5 }, { duration: 60, target: 5 },
      ],
    }, mixedJourneys()),
  },
  spike: {
    description: 'A sudden 10x spike within seconds, held briefly, then back to baseline (2 min at 5/s baseline).',
    build: () => shop('spike', 'Spike: 10x the baseline within 5 seconds.', {
      executor: 'ramping-arrival-rate', startRate: 5,
      stages: [
        { duration: 30, target: 5 }, { duration: 5, target: 50 }, { duration: 25, target: 50 },
        { duration: 5, target: 5 }, { duration: 55, target: 5 },
      ],
    }, mixedJourneys()),
  },
  soak: {
    description: 'A long steady shopper mix to surface leaks and slow drift (10/s for 30 min).',
    build: () => shop('soak', 'Soak: a steady mix for a long time.', constant(10, 1800), mixedJourneys()),
  },
  'flash-sale': {
    description: 'Many buyers for a few items: three products, buyers rush in, most find them sold out (2 min, peak 40/s).',
    build: () => shop('flash-sale', 'Flash sale: many buyers for three products; a sold-out answer (409) is expected.', {
      executor: 'ramping-arrival-rate', startRate: 2,
      stages: [{ duration: 20, target: 2 }, { duration: 5, target: 40 }, { duration: 60, target: 40 }, { duration: 35, target: 2 }],
    }, [
      { name: 'product-page', weight: 15, steps: [{ ...productPage(), pick: { product: 'limited' } }] },
      checkoutJourney(85, 'limited', true),
    ], {
      setup: [{
        name: 'limited-items', url: '/api/products?limit=3&category=toys', extract: { limited: '$.items' },
        checks: [{ name: 'three products for the sale', jsonPath: '$.items[2].id' }],
      }],
    }),
  },
  http: {
    description: 'One request to any URL (--url, --method, --header, --body), 10/s for 10 s by default.',
    build: (params) => {
      if (!params.url) throw new Error('the http scenario needs --url <url>');
      const url = new URL(params.url);
      return {
        name: 'http', description: `${params.method ?? 'GET'} ${params.url}`,
        load: constant(10, 10),
        journeys: [{
          name: 'http',
          steps: [{
            name: 'request', method: params.method ?? 'GET', url: url.href,
            ...(params.headers ? { headers: params.headers } : {}),
            ...(params.body !== undefined ? { body: params.body } : {}),
            ...(params.expect ? { expect: params.expect } : {}),
          }],
        }],
      };
    },
  },
};

export function builtinNames(): string[] {
  return Object.keys(BUILTINS);
}

export function builtinDescriptions(): { name: string; description: string }[] {
  return Object.entries(BUILTINS).map(([name, b]) => ({ name, description: b.description }));
}

export function isBuiltin(name: string): boolean {
  return Object.hasOwn(BUILTINS, name);
}

export function builtinScenario(name: string, params: BuiltinParams = {}): ScenarioSpec {
  const b = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  if (!b) throw new Error(`unknown scenario "${name}" (built in: ${builtinNames().join(', ')}; or a .ts, .yaml or .json file)`);
  return b.build(params);
}
