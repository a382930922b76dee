const MB = 1e6;

/** Prints what the bench is doing and how far it got, with the elapsed time. */
export class Progress {
  #started = performance.now();
  #done = 0;
  constructor(totalSteps) {
    this.totalSteps = totalSteps;
  }

  elapsed() {
    const s = Math.round((performance.now() - this.#started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }

  note(message) {
    console.log(`[${this.elapsed()}] ${message}`);
  }

  /** One measured step; `counted` ones advance the n/total counter. */
  step(label, record, counted = true) {
    if (counted) this.#done += 1;
    const width = String(this.totalSteps).length;
    const figures = [
      `${record.wallSeconds.toFixed(2)} s`,
      `cpu ${record.cpuSeconds.toFixed(2)} s`,
      `rss ${(record.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
      `store +${(record.storeBytesAdded / MB).toFixed(1)} MB in ${record.storeObjectsAdded} objects`,
      ...(record.requests
        ? [
            `${record.requests.total} requests, ${(record.requests.bytes.received / MB).toFixed(1)} MB up / ${(record.requests.bytes.sent / MB).toFixed(1)} MB down`,
          ]
        : []),
    ];
    const counter = counted ? `${String(this.#done).padStart(width)}/${this.totalSteps}` : ' '.repeat(2 * width + 1);
    console.log(`[${this.elapsed()}] ${counter} ${label}: ${figures.join(', ')}`);
  }
}
