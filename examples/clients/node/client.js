#!/usr/bin/env node
// Calls llmcouncil.router.v1.RouterService, loading the repository's .proto files
// at run time with @grpc/proto-loader (nothing is generated or edited).
//
//   node client.js ADDR route  [MODEL]   one RouteSeat call, prints the answer's fields
//   node client.js ADDR stream [MODEL]   one StreamSeat call, prints each delta then the summary
//   node client.js ADDR error            a request with an empty model, prints the rich error
//
// Output is one `key=value` line per field; text values are JSON strings. On an
// RPC error the command prints code, message and the google.rpc details and
// exits 2 (the `error` command exits 0 when the call failed, 1 when it did not).
// PROTO_DIR overrides where the router's protos are read from (default ../../../protos).
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const DEFAULT_MODEL = 'openrouter/pareto-code';
// Bounds each RPC, in milliseconds; the router's own upstream timeouts are shorter.
const CALL_TIMEOUT_MS = 60_000;
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

function loadRouterService(protoDir) {
  const definition = protoLoader.loadSync('llmcouncil/router/v1/router_service.proto', {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).llmcouncil.router.v1.RouterService;
}

// google.rpc.Status and its detail messages, from the protos the google-proto-files package ships.
function loadStatusTypes() {
  const googleProtos = path.dirname(require.resolve('google-proto-files/package.json'));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(googleProtos, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  return root;
}

function seatRequest(model) {
  return {
    model,
    tier: 'TIER_BALANCED',
    seat_id: 'example-node',
    session_id: 'example-session-node',
    messages: [{ role: 'user', content: 'Write a JavaScript function that reverses a string.' }],
  };
}

function deadline() {
  return new Date(Date.now() + CALL_TIMEOUT_MS);
}

function printResponse(print, prefix, r) {
  const line = (key, value) => print(`${prefix}${key}=${value}`);
  const pareto = r.pareto || {};
  const usage = r.usage || {};
  line('requested_model', r.requested_model);
  line('resolved_model', r.resolved_model);
  line('provider', r.provider);
  line('generation_id', r.generation_id);
  line('tier', r.tier);
  line('band', pareto.band || 'PARETO_BAND_UNSPECIFIED');
  // proto3 `optional` fields load as a synthetic oneof named after the field.
  if (pareto._min_coding_score === 'min_coding_score') {
    line('min_coding_score', String(pareto.min_coding_score));
  }
  line('finish_reason', r.finish_reason);
  line('input_tokens', usage.input_tokens || '0');
  line('output_tokens', usage.output_tokens || '0');
  if (usage._cost_usd === 'cost_usd') {
    line('cost_usd', String(usage.cost_usd));
  }
  line('attempts', String(r.attempts));
  line('content', JSON.stringify(r.content));
}

// Decodes the google.rpc.Status the server sent in grpc-status-details-bin and
// prints the details a caller acts on.
function printError(print, statusTypes, err) {
  print(`code=${grpc.status[err.code] || err.code}`);
  print(`message=${JSON.stringify(err.details || '')}`);
  const raw = err.metadata ? err.metadata.get(STATUS_DETAILS_KEY) : [];
  if (raw.length === 0) {
    return;
  }
  const Status = statusTypes.lookupType('google.rpc.Status');
  const status = Status.decode(raw[0]);
  for (const detail of status.details) {
    const typeName = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
    let type;
    try {
      type = statusTypes.lookupType(typeName);
    } catch (lookupError) {
      print(`detail=${detail.type_url}`);
      continue;
    }
    const message = type.toObject(type.decode(detail.value), { defaults: true, longs: Number });
    if (typeName === 'google.rpc.ErrorInfo') {
      print(`error_info.reason=${message.reason}`);
      print(`error_info.domain=${message.domain}`);
      for (const key of Object.keys(message.metadata || {}).sort()) {
        print(`error_info.metadata.${key}=${message.metadata[key]}`);
      }
    } else if (typeName === 'google.rpc.BadRequest') {
      for (const v of message.field_violations) {
        print(`field_violation=${v.field}: ${v.description}`);
      }
    } else if (typeName === 'google.rpc.RetryInfo') {
      const delay = message.retry_delay || { seconds: 0, nanos: 0 };
      print(`retry_delay_ms=${delay.seconds * 1000 + Math.floor(delay.nanos / 1e6)}`);
    } else {
      print(`detail=${detail.type_url}`);
    }
  }
}

function routeSeat(client, model) {
  return new Promise((resolve, reject) => {
    client.RouteSeat(seatRequest(model), { deadline: deadline() }, (err, resp) =>
      err ? reject(err) : resolve(resp),
    );
  });
}

function streamSeat(client, model, print) {
  return new Promise((resolve, reject) => {
    const call = client.StreamSeat({ seat: seatRequest(model) }, { deadline: deadline() });
    call.on('data', (event) => {
      if (event.event === 'delta') {
        print(`delta=${JSON.stringify(event.delta)}`);
      } else if (event.event === 'reasoning_delta') {
        print(`reasoning_delta=${JSON.stringify(event.reasoning_delta)}`);
      } else if (event.event === 'summary') {
        printResponse(print, 'summary.', event.summary);
      }
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
}

async function run(argv) {
  if (argv.length < 2 || argv.length > 3) {
    process.stderr.write('usage: router-client ADDR route|stream|error [MODEL]\n');
    return 64;
  }
  const [addr, command] = argv;
  const model = argv.length === 3 ? argv[2] : DEFAULT_MODEL;
  if (!['route', 'stream', 'error'].includes(command)) {
    process.stderr.write(`router-client: unknown command "${command}" (route, stream, error)\n`);
    return 64;
  }
  const protoDir = process.env.PROTO_DIR || path.join(__dirname, '..', '..', '..', 'protos');
  const RouterService = loadRouterService(protoDir);
  const statusTypes = loadStatusTypes();
  const client = new RouterService(addr, grpc.credentials.createInsecure());
  // Lines go out as they are produced, so stream deltas show up as they arrive.
  const print = (line) => process.stdout.write(`${line}\n`);
  try {
    if (command === 'route') {
      printResponse(print, '', await routeSeat(client, model));
      return 0;
    }
    if (command === 'stream') {
      await streamSeat(client, model, print);
      return 0;
    }
    try {
      await routeSeat(client, '');
    } catch (err) {
      printError(print, statusTypes, err);
      return 0;
    }
    process.stderr.write('router-client: the request with an empty model was accepted\n');
    return 1;
  } catch (err) {
    if (err.code === undefined) {
      throw err;
    }
    printError(print, statusTypes, err);
    return 2;
  } finally {
    client.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`router-client: ${err.stack || err}\n`);
    process.exitCode = 1;
  },
);
