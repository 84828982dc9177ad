/**
 * Counters, histograms and a gauge for the per-request series, registered on the shared
 * prom-client registry as plain metric objects (`name`, `help`, `type`, `get()`, `reset()`, the
 * shape prom-client's Registry reads), so /metrics, getMetricsAsJSON and getSingleMetric see them
 * like any other series.
 *
 * Why not prom-client's own classes here: they hash the label object on every update (~1 µs each,
 * and a request updates six series), a measurable share of the sidecar's per-request CPU. These
 * keep one Map entry per label set, keyed by the label values joined; an update is a string
 * concatenation and a Map lookup. Label values must come from closed sets (the caller's job, as
 * for any Prometheus series).
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
const SEP = '\u0001';

/** What prom-client's Registry reads from a metric (its typings declare `type` as a numeric enum; at run time it is this string). */
export interface SeriesSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Array<{ labels: Labels; value: number; metricName?: string }>;
}

interface SeriesBase {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: 'sum';
  reset(): void;
  get(): Promise<SeriesSnapshot>;
}

export interface CounterSeries extends SeriesBase {
  readonly type: 'counter';
  /** Add `n` to the series whose label values (in labelNames order) are `values`. */
  inc(values: readonly string[], n?: number): void;
}

export interface HistogramSeries extends SeriesBase {
  readonly type: 'histogram';
  observe(values: readonly string[], value: number): void;
}

export interface GaugeSeries extends SeriesBase {
  readonly type: 'gauge';
  add(n: number): void;
}

function labelsOf(labelNames: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
  return labels;
}

const keyOf = (values: readonly string[]): string => (values.length === 1 ? (values[0] as string) : values.join(SEP));

function register<T extends SeriesBase>(registry: Registry, metric: T): T {
  // prom-client's Registry only reads name/get/reset; its typings want its own classes.
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  return metric;
}

export function counterSeries(registry: Registry, spec: { name: string; help: string; labelNames: readonly string[] }): CounterSeries {
  const series = new Map<string, { labels: Labels; value: number }>();
  return register(registry, {
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    type: 'counter',
    aggregator: 'sum',
    inc(values, n = 1) {
      const key = keyOf(values);
      const s = series.get(key);
      if (s) s.value += n;
      else series.set(key, { labels: labelsOf(spec.labelNames, values), value: n });
    },
    reset: () => series.clear(),
    get: async () => ({ name: spec.name, help: spec.help, type: 'counter', aggregator: 'sum', values: [...series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value })) }),
  });
}

export function histogramSeries(registry: Registry, spec: { name: string; help: string; labelNames: readonly string[]; buckets: readonly number[] }): HistogramSeries {
  const bounds = [...spec.buckets].sort((a, b) => a - b);
  const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  return register(registry, {
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    type: 'histogram',
    aggregator: 'sum',
    observe(values, value) {
      const key = keyOf(values);
      let s = series.get(key);
      if (s === undefined) {
        s = { labels: labelsOf(spec.labelNames, values), counts: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 };
        series.set(key, s);
      }
      // Per-bucket counts (made cumulative when read); a value above every bound only counts in +Inf.
      let i = 0;
      while (i < bounds.length && value > (bounds[i] as number)) i++;
      if (i < bounds.length) s.counts[i] = (s.counts[i] as number) + 1;
      s.sum += value;
      s.count++;
    },
    reset: () => series.clear(),
    async get() {
      const values: SeriesSnapshot['values'] = [];
      for (const s of series.values()) {
        let cumulative = 0;
        bounds.forEach((le, i) => {
          cumulative += s.counts[i] as number;
          values.push({ metricName: `${spec.name}_bucket`, labels: { ...s.labels, le: String(le) }, value: cumulative });
        });
        values.push({ metricName: `${spec.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${spec.name}_sum`, labels: { ...s.labels }, value: s.sum });
        values.push({ metricName: `${spec.name}_count`, labels: { ...s.labels }, value: s.count });
      }
      return { name: spec.name, help: spec.help, type: 'histogram', aggregator: 'sum', values };
    },
  });
}

export function gaugeSeries(registry: Registry, spec: { name: string; help: string }): GaugeSeries {
  let value = 0;
  return register(registry, {
    name: spec.name,
    help: spec.help,
    labelNames: [],
    type: 'gauge',
    aggregator: 'sum',
    add(n) {
      value += n;
    },
    reset: () => {
      value = 0;
    },
    get: async () => ({ name: spec.name, help: spec.help, type: 'gauge', aggregator: 'sum', values: [{ labels: {}, value }] }),
  });
}
