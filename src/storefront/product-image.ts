// Generated, deterministic placeholder pictures for products (the demo catalog's image URLs point here):
// the same slug always gives the same SVG, so it can be cached for a long time and needs no database.
import { escapeHtml } from '../platform/html/html-template.ts';

/** FNV-1a: a fast, well-spread 32-bit hash; only used to pick colours and shapes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** "alpine-scarf-00012" -> { words: ["Alpine", "Scarf"], number: "No. 12" }. */
function labelFromSlug(slug: string): { words: string[]; number: string | null } {
  const parts = slug.split('-').filter(Boolean);
  const last = parts.at(-1);
  const number = last && parts.length > 1 && /^\d+$/.test(last) ? `No. ${Number(last)}` : null;
  const words = (number ? parts.slice(0, -1) : parts).map((w) => w.charAt(0).toUpperCase() + w.slice(1, 24));
  return { words: words.length ? words : ['Product'], number };
}

/** Greedy word wrap into at most three lines of about 14 characters. */
function wrapWords(words: string[], lineLength = 14, maxLines = 3): string[] {
  const lines: string[] = [];
  for (const word of words) {
    const current = lines.at(-1);
    if (current !== undefined && current.length + 1 + word.length <= lineLength) lines[lines.length - 1] = `${current} ${word}`;
    else lines.push(word);
  }
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1]}…`;
  }
  return lines;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`;

export function productImageSvg(slug: string): string {
  const hash = fnv1a(slug);
  const hue = hash % 360;
  const accentHue = (hue + 40 + ((hash >>> 9) % 80)) % 360;
  const { words, number } = labelFromSlug(slug);
  const lines = wrapWords(words);
  const longest = Math.max(...lines.map((l) => l.length));
  // Sized so the longest line fits 400px of the 480px picture (bold system-ui glyphs average under 0.65em).
  const fontSize = Math.min(48, Math.floor(400 / (longest * 0.65)));
  const lineHeight = Math.round(fontSize * 1.2);
  const firstBaseline = Math.round(250 - (lines.length * lineHeight) / 2 + fontSize * 0.8);
  const ruleY = firstBaseline + (lines.length - 1) * lineHeight + 40;
  const cx = 80 + ((hash >>> 3) % 320);
  const cy = 60 + ((hash >>> 11) % 120);
  const r = 70 + ((hash >>> 17) % 70);
  const tspans = lines.map((line, i) => `<tspan x="240" y="${firstBaseline + i * lineHeight}">${escapeHtml(line)}</tspan>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480" viewBox="0 0 480 480" role="img" aria-label="${escapeHtml(words.join(' '))}">`
    + `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">`
    + `<stop offset="0" stop-color="hsl(${hue} 55% 90%)"/><stop offset="1" stop-color="hsl(${accentHue} 45% 76%)"/>`
    + `</linearGradient></defs>`
    + `<rect width="480" height="480" fill="url(#g)"/>`
    + `<circle cx="${cx}" cy="${cy}" r="${r}" fill="hsl(${accentHue} 50% 96%)" opacity="0.55"/>`
    + `<text text-anchor="middle" ${FONT} font-size="${fontSize}" font-weight="600" fill="hsl(${hue} 40% 20%)">${tspans}</text>`
    + `<rect x="120" y="${ruleY}" width="240" height="5" rx="2.5" fill="hsl(${hue} 35% 30%)" opacity="0.25"/>`
    + (number
      ? `<text x="240" y="${ruleY + 45}" text-anchor="middle" ${FONT} font-size="22" fill="hsl(${hue} 30% 30%)">${escapeHtml(number)}</text>`
      : '')
    + `</svg>`;
}
