// The demo catalog: a deterministic, generated set of products (same input, same catalog, every time),
// seeded on first start so a fresh install has a shop to browse and load-test.
import { query, type NamedQuery, type Queryable } from '../platform/db/database.ts';

const ADJECTIVES = ['Alpine', 'Brisk', 'Cedar', 'Coastal', 'Cosy', 'Crimson', 'Dawn', 'Ember', 'Fjord', 'Frost',
  'Golden', 'Harbour', 'Highland', 'Indigo', 'Juniper', 'Lantern', 'Maple', 'Meadow', 'Midnight', 'Moss',
  'Nordic', 'Oak', 'Pine', 'Quartz', 'Rustic', 'Saffron', 'Slate', 'Solstice', 'Spruce', 'Storm', 'Timber',
  'Velvet', 'Willow', 'Winter', 'Wool', 'Yuletide'];
const NOUNS: Record<string, string[]> = {
  apparel: ['Scarf', 'Beanie', 'Sweater', 'Gloves', 'Socks', 'Parka', 'Cardigan', 'Mittens'],
  home: ['Candle', 'Blanket', 'Mug', 'Lantern', 'Cushion', 'Wreath', 'Teapot', 'Throw'],
  kitchen: ['Skillet', 'Cookie Tin', 'Spice Set', 'Cutting Board', 'Apron', 'Baking Tray'],
  toys: ['Puzzle', 'Train Set', 'Plush Bear', 'Kite', 'Board Game', 'Building Blocks'],
  outdoor: ['Thermos', 'Backpack', 'Sled', 'Headlamp', 'Hiking Poles', 'Camp Stool'],
  gifts: ['Gift Box', 'Journal', 'Ornament', 'Snow Globe', 'Card Set', 'Music Box'],
};
const MATERIALS = ['merino wool', 'recycled cotton', 'oak', 'stoneware', 'brushed steel', 'beeswax', 'linen', 'birch'];
const FEATURES = ['hand-finished', 'made to last a lifetime', 'gift-wrapped on request', 'machine washable',
  'limited holiday edition', 'sustainably sourced', 'bestseller last season', 'ships the same day'];

/** mulberry32: a tiny deterministic PRNG, so the catalog is identical on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoProduct {
  slug: string; sku: string; title: string; description: string; priceAmount: number; currency: string;
  images: string[]; categories: string[]; stock: number;
}

export function generateDemoCatalog(count: number, seed = 2026): DemoProduct[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const categories = Object.keys(NOUNS);
  const out: DemoProduct[] = [];
  for (let i = 0; i < count; i++) {
    const category = categories[i % categories.length]!;
    const noun = pick(NOUNS[category]!);
    const adjective = pick(ADJECTIVES);
    const material = pick(MATERIALS);
    const n = String(i + 1).padStart(5, '0');
    const title = `${adjective} ${noun} No. ${i + 1}`;
    const slug = `${adjective}-${noun}-${n}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    // Prices end in 99 or 49, from 4.99 to ~249.99.
    const priceAmount = (Math.floor(rand() * 245) + 4) * 100 + (rand() < 0.5 ? 99 : 49);
    const extra = rand() < 0.3 ? ['gifts'] : [];
    out.push({
      slug, sku: `HF-${category.slice(0, 3).toUpperCase()}-${n}`, title,
      description: `A ${material} ${noun.toLowerCase()} from the ${adjective} collection, ${pick(FEATURES)}. `
        + `Perfect for the holiday season and ${pick(FEATURES)}.`,
      priceAmount, currency: 'USD', images: [`/images/products/${slug}.svg`],
      categories: [...new Set([category, ...extra])],
      stock: rand() < 0.05 ? 0 : Math.floor(rand() * 200) + 5,
    });
  }
  return out;
}

const SEED_DEMO_CATALOG: NamedQuery = {
  name: 'catalog.seed_demo',
  text: `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[])
         AS t(slug, sku, title, description, price, currency, images, categories, stock)
     ), inserted AS (
       INSERT INTO products (slug, sku, title, description, price_amount, currency, images, categories)
       SELECT slug, sku, title, description, price, currency,
              ARRAY(SELECT jsonb_array_elements_text(images::jsonb)), ARRAY(SELECT jsonb_array_elements_text(categories::jsonb))
       FROM input ON CONFLICT DO NOTHING RETURNING id, sku
     )
     INSERT INTO stock_levels (product_id, on_hand)
     SELECT inserted.id, input.stock FROM inserted JOIN input USING (sku)`,
};

/** Inserts the demo catalog and its stock in one statement each; existing SKUs are left alone. */
export async function seedDemoCatalog(db: Queryable, count: number): Promise<number> {
  const products = generateDemoCatalog(count);
  const cols = {
    slug: products.map((p) => p.slug), sku: products.map((p) => p.sku), title: products.map((p) => p.title),
    description: products.map((p) => p.description), price: products.map((p) => p.priceAmount),
    currency: products.map((p) => p.currency), images: products.map((p) => JSON.stringify(p.images)),
    categories: products.map((p) => JSON.stringify(p.categories)), stock: products.map((p) => p.stock),
  };
  const { rowCount } = await query(db, SEED_DEMO_CATALOG,
    [cols.slug, cols.sku, cols.title, cols.description, cols.price, cols.currency, cols.images, cols.categories, cols.stock]);
  return rowCount ?? 0;
}
