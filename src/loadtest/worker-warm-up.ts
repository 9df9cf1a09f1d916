// Before the run starts, each worker sends a burst of requests through the very code paths the run
// uses (journey runner, undici dispatch, recorder, histograms) to a throwaway HTTP server inside the
// worker, on loopback. Without it, the first seconds of a run measure V8 compiling the generator and
// undici compiling its HTTP parser (WebAssembly): late starts and inflated latencies that belong to
// the tool, not the target. The target sees none of these requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileScenario } from './compiled-scenario.ts';
import type { HttpClient } from './http-dispatch.ts';
import { runIteration, type RunnerContext } from './journey-runner.ts';
import { WorkerRecorder } from './worker-recorder.ts';

export async function warmUp(client: HttpClient, iterations: number, concurrency = 16): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"id":"w","items":[{"slug":"s"}]}'); });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const scenario = compileScenario({
      name: 'warm-up', load: { executor: 'constant-arrival-rate', rate: 1, duration: 1 },
      journeys: [{
        name: 'warm-up',
        steps: [
          { name: 'get', url: `${origin}/` },
          { name: 'post', method: 'POST', url: `${origin}/items/{{$iteration}}`, json: { n: '{{$iteration}}' }, extract: { id: '$.id' }, checks: [{ name: 'ok', status: 200 }] },
        ],
      }],
    });
    const journey = scenario.journeys[0]!;
    const ctx: RunnerContext = {
      client, recorder: new WorkerRecorder(scenario.steps.map((s) => s.key)), t0: performance.now(), targetOrigin: origin, basePath: '',
      timeoutMs: 5000, originAllowed: () => true, shared: {}, budget: { remaining: Number.POSITIVE_INFINITY },
      halted: { value: false }, active: { requests: 0, iterations: 0 },
    };
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < iterations) await runIteration(ctx, journey, performance.now(), 0, next++);
    }));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
