// Drive the sandbox's Dataverse emulator with dynamics-web-api (npm), a popular Dataverse client
// that this repository did not write. The checks live in `checks/`, one file per area; each
// exports `checks(ctx)` and runs its operations through `ctx.check`.
//
// Environment: DATAVERSE_URL and DATAVERSE_TOKEN, as the `sandbox` binary prints them.
// Output: one line per check, then `CONFORMANCE {"passed":n,"total":m,"failures":[…]}`.
// Exit status: 0 when every check passed, 1 otherwise.

import assert from "node:assert/strict";
import { DynamicsWebApi } from "dynamics-web-api";

import * as actions from "./checks/actions.mjs";
import * as aggregates from "./checks/aggregates.mjs";
import * as core from "./checks/core.mjs";
import * as files from "./checks/files.mjs";
import * as metadata from "./checks/metadata.mjs";
import * as unsupported from "./checks/unsupported.mjs";
import * as views from "./checks/views.mjs";

const serverUrl = process.env.DATAVERSE_URL;
const token = process.env.DATAVERSE_TOKEN;
if (!serverUrl || !token) {
  console.error("DATAVERSE_URL and DATAVERSE_TOKEN must be set (source the sandbox's output)");
  process.exit(2);
}

const api = new DynamicsWebApi({
  serverUrl,
  onTokenRefresh: async () => token,
  // Errors of update/upsert/delete throw instead of returning false (the 2.5 behaviour to come).
  propagateErrors: true,
});

const results = [];

async function check(name, body) {
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name}`);
  } catch (error) {
    const message = error?.stack?.split("\n").slice(0, 3).join(" | ") ?? String(error);
    results.push({ name, ok: false, message });
    console.log(`FAIL ${name}: ${message}`);
  }
}

/** The error a call throws (fails the check when it does not throw). */
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** A request to the sandbox's control surface; answers the parsed JSON. */
async function control(path, body, method = "POST") {
  const response = await fetch(new URL(`_sandbox/${path}`, serverUrl), {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.ok, true, `control ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

const ctx = {
  api,
  check,
  failure,
  control,
  serverUrl,
  token,
  GUID: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  // Makes the names of this run's rows unique, so the script can run twice against one sandbox.
  run: Date.now().toString(36),
  // Ids later checks reuse (the account, the contact, …).
  ids: {},
};

for (const group of [core, files, metadata, aggregates, actions, views, unsupported]) {
  await group.checks(ctx);
}

const failures = results.filter((r) => !r.ok);
console.log(`CONFORMANCE ${JSON.stringify({ passed: results.length - failures.length, total: results.length, failures })}`);
process.exit(failures.length ? 1 : 0);
