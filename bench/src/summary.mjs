/** Medians over repetitions, per tool, store and case. */

export function median(values) {
  const sorted = values.filter((v) => v !== undefined && v !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const spread = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

export function summarise(records) {
  const groups = new Map();
  for (const r of records) {
    const key = `${r.tool}/${r.store}/${r.case}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((rs) => {
    const pick = (f) => rs.map(f);
    return {
      tool: rs[0].tool,
      store: rs[0].store,
      case: rs[0].case,
      reps: rs.length,
      wallSeconds: spread(pick((r) => r.wallSeconds)),
      cpuSeconds: median(pick((r) => r.cpuSeconds)),
      userSeconds: median(pick((r) => r.userSeconds)),
      sysSeconds: median(pick((r) => r.sysSeconds)),
      // The worst repetition: a memory bound has to hold every time.
      maxRssBytes: Math.max(...pick((r) => r.maxRssBytes)),
      storeBytesAdded: median(pick((r) => r.storeBytesAdded)),
      storeObjectsAdded: median(pick((r) => r.storeObjectsAdded)),
      requests: median(pick((r) => r.requests?.total)),
      wireBytesReceived: median(pick((r) => r.requests?.bytes?.received)),
      wireBytesSent: median(pick((r) => r.requests?.bytes?.sent)),
      storeBytes: median(pick((r) => r.storeBytes)),
      fsyncSeconds: median(pick((r) => r.fsyncSeconds)),
      durableSeconds: median(pick((r) => (r.fsyncSeconds === undefined ? undefined : r.wallSeconds + r.fsyncSeconds))),
      clientRequests: median(pick((r) => r.report?.storeRequests)),
      operationSeconds: median(pick((r) => r.report?.operationSeconds)),
      driverStartSeconds: median(pick((r) => r.report?.driverStartSeconds)),
      // The standby-sync cases (standby-sync.mjs): what a sync read and wrote, against the changed blocks.
      syncBytesRead: median(pick((r) => r.report?.bytesRead)),
      syncBytesWritten: median(pick((r) => r.report?.bytesWritten)),
      changedBytes: median(pick((r) => r.changedBytes)),
      loadavg1AtStart: { min: Math.min(...pick((r) => r.loadavg1AtStart)), max: Math.max(...pick((r) => r.loadavg1AtStart)) },
    };
  });
}

export function find(summary, tool, store, caseName) {
  return summary.find((s) => s.tool === tool && s.store === store && s.case === caseName);
}
