// Event-loop probe for a server the live bench starts as a child process (the server code stays untouched):
//   NODE_OPTIONS="--import file:///…/bench/probes/loop-lag.mjs" HAVEN_BENCH_PROBE_FILE=/tmp/…/probe.jsonl haven start
// It samples the event-loop delay with perf_hooks.monitorEventLoopDelay. On every SIGUSR2 it appends one JSON line
// to HAVEN_BENCH_PROBE_FILE with the delay distribution since the previous SIGUSR2 (then starts a new window) and
// the process's memory. If the file `<HAVEN_BENCH_PROBE_FILE>.gc` exists at that moment, it first runs a full
// garbage collection (and deletes that file), so memory can be read without garbage.
// Without HAVEN_BENCH_PROBE_FILE it does nothing.
import { appendFileSync, existsSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const file = process.env.HAVEN_BENCH_PROBE_FILE;
if (file) {
  const resolution = Number(process.env.HAVEN_BENCH_PROBE_RESOLUTION_MS) || 10;
  const h = monitorEventLoopDelay({ resolution });
  h.enable();
  let since = Date.now();
  // The histogram holds each sampling interval, i.e. the resolution plus the delay: report only the delay.
  const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - resolution) * 1000) / 1000);
  const collect = () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    gc();
  };
  // Tells the bench the probe is loaded (a SIGUSR2 without this handler would end the process).
  appendFileSync(file, `${JSON.stringify({ probe: 'ready', pid: process.pid, at: Date.now() })}\n`);
  process.on('SIGUSR2', () => {
    let gcMs;
    if (existsSync(`${file}.gc`)) {
      rmSync(`${file}.gc`, { force: true });
      const t0 = performance.now();
      collect();
      gcMs = performance.now() - t0;
    }
    const m = process.memoryUsage();
    const line = {
      at: Date.now(),
      windowMs: Date.now() - since,
      resolutionMs: resolution,
      samples: h.count,
      // Delay beyond the timer's interval, in ms (0 = the loop was free whenever the timer was due).
      lag: { mean: ms(h.mean), p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max) },
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers },
      ...(gcMs !== undefined ? { gcMs } : {}),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    h.reset();
    since = Date.now();
  });
}
