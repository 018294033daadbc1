import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base.js';
import { sizeFlag } from '../cli/flags.js';
import { duckdbLimits, followFlags, ingestFlags } from '../cli/ingest-flags.js';
import { keepHeapSmall } from '../cli/heap.js';
import { resolveDbPath } from '../lib/store/open.js';
import type { ServeResult } from '../lib/serve/run.js';

export type ServeCommandResult = ServeResult;

export default class Serve extends BaseCommand {
  static override summary =
    'Run the logger service: the HTTP API, and the one process that writes the store.';
  static override description = `Opens the store read-write once and keeps it open: events POSTed to the API and the lines of the --follow paths are validated as ingest validates them and committed through one writer, and every query endpoint reads the store beside it. A POST is answered only once its events are committed.

Endpoints: POST /events (NDJSON or a JSON array, any types) and POST /events/scheduling|relocation|cluster|inefficiency|policy (one event or an array of that type); GET /events (the filters of events, limit, after=SEQ: pages by seq, the answer's next), /events/TYPE, /events/workload/ID (the trace); GET /analytics/scheduling-performance|cost-efficiency|sla-compliance (the analyze results, with their flags as parameters), /reports/audit?format=json|md|html, /alerts/active, /alerts/rules (also POST, and DELETE /alerts/rules/NAME); GET /health.

It listens on loopback (127.0.0.1:8007) unless --listen says otherwise; any other address needs --token-file, and then every request needs Authorization: Bearer TOKEN. While it runs, <db>.serve.json holds its pid and address; a second serve of the same store is refused. SIGINT/SIGTERM: it stops accepting requests, answers those in flight, commits what the follower has read, closes the store and exits 0.`;

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --db /data/kcloud.duckdb --follow /var/log/kcloud',
    '<%= config.bin %> serve --listen 0.0.0.0:8007 --token-file /etc/kcloud-log/token',
  ];

  static override flags = {
    listen: Flags.string({
      description: 'HOST:PORT to listen on (port 0: any free port); other than loopback needs --token-file',
      default: '127.0.0.1:8007',
      helpValue: 'HOST:PORT',
    }),
    'token-file': Flags.string({
      description: 'every request must carry Authorization: Bearer <the token in this file> (16+ characters)',
      helpValue: 'FILE',
    }),
    follow: Flags.string({
      char: 'f',
      description: 'also follow these files, directories or globs, as ingest --follow does (repeatable)',
      multiple: true,
      helpValue: 'PATH',
    }),
    ...ingestFlags,
    // one DuckDB instance for the writes and every query (a query command alone would have most of the memory)
    'memory-limit': sizeFlag({
      description:
        "DuckDB's buffer memory for everything the service does, its queries included: 16MB to 1TB",
      default: 1e9,
      defaultHelp: async () => '1GB',
      min: 16e6,
      max: 1e12,
    }),
    ...followFlags,
    'body-limit': sizeFlag({
      description: 'the largest request body (bytes, or a size like 16MiB); larger ones get 413',
      default: 16 * 2 ** 20,
      defaultHelp: async () => '16MiB',
      min: 1024,
      max: 2 ** 30,
      bare: true,
    }),
    slo: Flags.string({
      description: 'SLO file of the analyses, alerts and report (default: the built-in SLOs)',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<ServeCommandResult> {
    const { flags } = await this.parse(Serve);
    // the service's own modules (fastify, the follower) only for this command
    const { parseListen, runServer } = await import('../lib/serve/run.js');
    const { loadToken } = await import('../lib/serve/server.js');
    const { loadSlos } = await import('../lib/analyze/sla.js');
    const listen = parseListen(flags.listen);
    const token = flags['token-file'] ? loadToken(flags['token-file']) : undefined;
    const slos = loadSlos(flags.slo);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const stopHeapKeeper = keepHeapSmall();
    try {
      const result = await runServer({
        dbPath: resolveDbPath(flags.db),
        listen,
        token,
        open: { lockTimeoutMs: flags['lock-timeout'] * 1000, config: duckdbLimits(flags) },
        command: this.commandLine(),
        bodyLimit: flags['body-limit'],
        strict: flags.strict,
        maxLineBytes: flags['max-line-bytes'],
        slos,
        version: this.config.version,
        follow: flags.follow ?? [],
        followOptions: {
          strict: flags.strict,
          batchSize: flags['batch-size'],
          maxLineBytes: flags['max-line-bytes'],
          exclude: flags.exclude,
          flushIntervalMs: flags['flush-interval'],
          drainGraceMs: flags['drain-grace'],
          from: flags.from as 'beginning' | 'end',
          poll: flags.poll,
          command: this.commandLine(),
        },
        signal: ac.signal,
        onListening: (url) => {
          if (!this.jsonEnabled()) this.log(`listening on ${url} (database ${resolveDbPath(flags.db)})`);
        },
        onWarning: (e) => this.warn(`${e.path}: ${e.reason}`),
      });
      if (!this.jsonEnabled()) this.log(`stopped after ${result.elapsed_s} s; the store is closed`);
      return result;
    } finally {
      stopHeapKeeper();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  }
}
