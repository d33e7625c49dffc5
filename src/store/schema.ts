/**
 * The tables of the run store, version 1. Times are milliseconds since the
 * epoch; results are `node:v8` serializations; hashes are hex SHA-256.
 *
 * @module
 */

/** `PRAGMA user_version` of a store with these tables. */
export const SCHEMA_VERSION = 1;

/** Creates the tables (idempotent). */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow TEXT NOT NULL,
  workflow_hash TEXT,
  label TEXT NOT NULL,
  resumed_from INTEGER,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  state TEXT NOT NULL,
  why TEXT,
  error TEXT,
  listing TEXT,
  pid INTEGER,
  host TEXT,
  logs_incomplete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow, id);

CREATE TABLE IF NOT EXISTS jobs (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  kind TEXT NOT NULL,
  position INTEGER NOT NULL,
  depth INTEGER NOT NULL,
  parent TEXT,
  requires TEXT NOT NULL,
  critical INTEGER NOT NULL,
  forever INTEGER NOT NULL,
  cache INTEGER NOT NULL,
  definition_hash TEXT,
  inputs_hash TEXT,
  output_hash TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  ended_at INTEGER,
  result BLOB,
  result_summary TEXT,
  error TEXT,
  reused_from INTEGER,
  log_file TEXT,
  log_incomplete INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX IF NOT EXISTS jobs_by_hash ON jobs (definition_hash, inputs_hash, state);

CREATE TABLE IF NOT EXISTS events (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  time INTEGER NOT NULL,
  job TEXT,
  type TEXT NOT NULL,
  data TEXT,
  PRIMARY KEY (run_id, seq)
);
`;
