/**
 * The page language: a `lang` cookie when the user chose one, else the browser's Accept-Language
 * (Korean when it prefers Korean over English), else English.
 */
import { en, type MessageKey } from './en.js';
import { ko } from './ko.js';

export const LANGUAGES = ['en', 'ko'] as const;
export type Lang = (typeof LANGUAGES)[number];
export type { MessageKey };

const CATALOGS: Record<Lang, Record<MessageKey, string>> = { en, ko };

export function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'ko';
}

/** The best supported language of an Accept-Language header (q-values honoured). */
export function languageFromHeader(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { base: tag.toLowerCase().split('-')[0]!, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.find((l) => isLang(l.base))?.base as Lang | undefined;
}

export function pickLanguage(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(cookie)) return cookie;
  return languageFromHeader(acceptLanguage) ?? 'en';
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const catalog = CATALOGS[lang];
  return (key, params) => {
    const text = catalog[key] ?? en[key] ?? key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}

/** The texts the browser scripts need, by key prefix, in one language. */
export function clientMessages(lang: Lang, prefixes: readonly string[]): Record<string, string> {
  const catalog = CATALOGS[lang];
  const out: Record<string, string> = {};
  for (const key of Object.keys(catalog) as MessageKey[]) {
    if (prefixes.some((p) => key.startsWith(p))) out[key] = catalog[key];
  }
  return out;
}
