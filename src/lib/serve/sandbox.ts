/**
 * The service's store reads no files but its own stage files. DuckDB's file access is a setting
 * of the whole database, not of a connection: set here once, for the writer and for every read
 * (the CLI's `sql` through the service refuses `read_csv('/etc/passwd')`, COPY and ATTACH as
 * `kcloud-log sql` does on a store it opens). Once off, file access cannot be turned on again
 * while the store is open.
 */
import { pinStageRoots } from '../ingest/blocks.js';
import type { Store } from '../store/open.js';

const quoted = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Sandbox `store`; returns what removes the stage directories it allows (at shutdown). */
export async function sandbox(store: Store): Promise<() => void> {
  const stage = pinStageRoots();
  try {
    // directories, each ending in '/': DuckDB allows what lies under them
    const allowed = stage.dirs.map((d) => quoted(d.endsWith('/') ? d : `${d}/`)).join(', ');
    await store.conn.run(`SET allowed_directories = [${allowed}]`);
    await store.conn.run('SET enable_external_access = false');
  } catch (e) {
    stage.unpin();
    throw e;
  }
  return stage.unpin;
}
