#!/bin/sh
# Regenerate examples/logs/ and examples/logs.expected.json with examples/generate.mjs.
# Deterministic: running it again gives byte-identical files (same Node major version;
# the .gz archive also depends on the zlib build).
set -eu
cd "$(dirname "$0")/.."

G="node examples/generate.mjs --quiet"
L=examples/logs
X=$(mktemp -d)
trap 'rm -rf "$X"' EXIT
mkdir -p $L/fluent-bit $L/docker $L/cri $L/archive

# The meta-scheduler's own file, rotated an hour earlier (read whole, as .gz).
$G --format jsonl --seed 100 --events 300 --start 2025-01-15T06:00:00Z --rate 0.1 \
  --types scheduling_decision,workload_relocation --flat 0.05 --bad 2 --dup 2 --skip 5 --unknown 0 \
  --out $L/archive/scheduler.jsonl.1.gz --expected "$X/archive__scheduler.jsonl.1.gz"

# The meta-scheduler's own file: plain JSONL, a few flat-shape events, module log lines,
# 3 bad lines and 2 duplicates.
$G --format jsonl --seed 101 --events 200 --start 2025-01-15T07:00:00Z --rate 0.05 \
  --types scheduling_decision,workload_relocation --flat 0.04 --bad 3 --dup 2 --skip 4 --unknown 0 \
  --out $L/scheduler.jsonl --expected "$X/scheduler.jsonl"

# Fluent Bit file output, default format (TAG: [EPOCH.NANOS, {record}], non-ASCII as \uXXXX).
$G --format fluentbit --tag kcloud.events --seed 102 --events 120 --start 2025-01-15T07:00:00Z --rate 0.04 \
  --bad 4 --dup 2 --skip 3 --unknown 2 \
  --out $L/fluent-bit/out_default.log --expected "$X/fluent-bit__out_default.log"

# Fluent Bit file output, Format plain.
$G --format jsonl --ascii --seed 103 --events 120 --start 2025-01-15T07:05:00Z --rate 0.04 \
  --bad 2 --dup 2 --skip 2 --unknown 1 \
  --out $L/fluent-bit/out_plain.jsonl --expected "$X/fluent-bit__out_plain.jsonl"

# Fluent Bit stdout output, Format json_lines (json_date_key date, json_date_format double).
$G --format fluentbit-json --seed 104 --events 80 --start 2025-01-15T07:10:00Z --rate 0.03 \
  --bad 1 --dup 1 --skip 2 --unknown 1 \
  --out $L/fluent-bit/stdout_json_lines.log --expected "$X/fluent-bit__stdout_json_lines.log"

# Docker json-file of the meta-scheduler container (stderr: zap and klog lines).
$G --format docker --seed 105 --events 120 --start 2025-01-15T07:00:00Z --rate 0.04 \
  --types scheduling_decision,workload_relocation --flat 0 --bad 2 --dup 1 --skip 6 --unknown 0 \
  --out $L/docker/meta-scheduler-json.log --expected "$X/docker__meta-scheduler-json.log"

# CRI log of the optimizer container, some lines split into P + F parts.
$G --format cri --seed 106 --events 120 --start 2025-01-15T07:00:00Z --rate 0.03 \
  --types inefficiency_detected,workload_relocation,cluster_reconfiguration --split 0.04 \
  --bad 2 --dup 1 --skip 5 --unknown 1 \
  --out $L/cri/optimizer.log --expected "$X/cri__optimizer.log"

# Expected counts per file and in total.
node -e '
const fs = require("fs");
const dir = process.argv[1];
const files = {};
const total = { lines: 0, stored: 0, rejected: 0, duplicates: 0, skipped: 0, by_type: {} };
for (const f of fs.readdirSync(dir).sort()) {
  const e = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
  files[f.replace("__", "/")] = e;
  for (const k of ["lines", "stored", "rejected", "duplicates", "skipped"]) total[k] += e[k];
  for (const [t, n] of Object.entries(e.by_type)) total.by_type[t] = (total.by_type[t] ?? 0) + n;
}
const doc = { note: "written by examples/make-logs.sh: what `kcloud-log ingest examples/logs` must report", total, files };
fs.writeFileSync("examples/logs.expected.json", JSON.stringify(doc, null, 2) + "\n");
' "$X"
echo "examples/logs regenerated; expected counts in examples/logs.expected.json"
