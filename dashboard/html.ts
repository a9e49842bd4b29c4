/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function formatValue(value: unknown, unit: string | null): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') {
    const text = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
    return unit ? `${text} ${unit}` : text;
  }
  return unit ? `${String(value)} ${unit}` : String(value);
}
