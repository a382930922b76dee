import { createRequire } from 'node:module';

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

// CommonJS without types.
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** Scrapes a /metrics URL and parses it as Prometheus text (throws if it does not parse); `text` is the raw answer. */
export async function scrape(url: string): Promise<MetricFamily[] & { text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}: ${text}`);
  return Object.assign(parse(text), { text });
}

/**
 * A labelled histogram's sample count, read from the raw text: the parser keeps only one bucket
 * set per histogram family, so per-label counts are read from the `_count` lines themselves.
 */
export function histogramCount(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}_count{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** The value of the sample of `name` whose labels include `labels`; undefined when absent. */
export function sample(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const found = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!found) return undefined;
  return Number(found.value ?? found.count);
}
