// Shared by the scripts here: run named steps in order and print what each returned or threw,
// as one JSON object (tests/support/clients.py reads it). A step that throws is recorded and the
// next one runs, so each test in tests/compat fails only for its own method.
"use strict";

/** A Blob as JSON can carry it: its type, size and base64 bytes. */
async function blobInfo(blob) {
  const bytes = Buffer.from(await blob.arrayBuffer());
  return { type: blob.type, size: bytes.length, base64: bytes.toString("base64") };
}

/** Run `steps` ([name, async () => value] pairs) and print {name: {ok} | {error}}. */
async function run(steps) {
  const out = {};
  for (const [name, step] of steps) {
    try {
      const value = await step();
      out[name] = { ok: value === undefined ? null : value };
    } catch (error) {
      out[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

module.exports = { blobInfo, run };
