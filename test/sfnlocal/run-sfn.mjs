// run-sfn.mjs runs one Step Functions execution under aws-local-stepfunctions
// (library API, not its CLI) with every Task state overridden to POST its
// input to a local HTTP endpoint, and prints exactly one JSON line on stdout.
//
// Spec (JSON on stdin, or in the file named by the first argument):
//
//   {
//     "definition": "<ASL JSON string>" | {ASL object},
//     "input": <any JSON>,
//     "taskEndpoints": {"<function name, ARN or Resource>": "http://127.0.0.1:PORT/invoke/NAME"},
//     "waitTimeOverride": <ms for every Wait state> | {"<state>": ms},     (optional)
//     "retryIntervalOverride": <ms for every Retry> | {"<state>": ms|[ms]}, (optional)
//     "context": {<Context Object, e.g. Execution.Name>},                  (optional)
//     "validationOptions": {"checkPaths": false, ...}                       (optional)
//   }
//
// Result line:
//
//   {"status": "SUCCEEDED"|"FAILED"|"TIMED_OUT"|"ABORTED"|"HARNESS_ERROR",
//    "output": ..., "error": "...", "cause": "...",
//    "transitions": N, "states": {"<state>": {"entered", "retried", "failed", "caught"}},
//    "problems": ["..."]}
//
// transitions = every state entered (in the root machine and in every Map
// iteration / Parallel branch) plus every retry attempt, which is how Step
// Functions Standard bills state transitions.

// aws-local-stepfunctions 3 needs Promise.withResolvers (Node >= 22); define
// it before the library is loaded (hence the dynamic import below).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

import { readFileSync } from 'node:fs';

// stdout carries exactly one JSON line: anything else logging goes to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);

function emit(result) {
  writeStdout(JSON.stringify(result) + '\n', () => process.exit(0));
}

function harnessError(message) {
  emit({ status: 'HARNESS_ERROR', error: 'HarnessError', cause: message, transitions: 0, states: {}, problems: [message] });
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_ARN = /^arn:aws[a-zA-Z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::([^:]+))?$/;

// A Task error as the library matches it against Retry/Catch: `name` is the
// Step Functions error name; `message` becomes the Cause (for function
// errors, the JSON error payload, as Step Functions reports it).
class TaskError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

// Candidate endpoint keys for a function reference, most specific first:
// the exact string, then the function name inside a function ARN (with and
// without its qualifier).
function endpointFor(endpoints, ref) {
  if (typeof ref !== 'string' || ref === '') return undefined;
  if (Object.hasOwn(endpoints, ref)) return endpoints[ref];
  const m = LAMBDA_ARN.exec(ref);
  if (m) {
    if (m[2] && Object.hasOwn(endpoints, `${m[1]}:${m[2]}`)) return endpoints[`${m[1]}:${m[2]}`];
    if (Object.hasOwn(endpoints, m[1])) return endpoints[m[1]];
  }
  const short = /^([^:]+):([^:]+)$/.exec(ref); // NAME:QUALIFIER
  if (short && Object.hasOwn(endpoints, short[1])) return endpoints[short[1]];
  return undefined;
}

// Walks every state of the definition, including Map item processors and
// Parallel branches, calling visit(name, state).
function walk(definition, visit) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    visit(name, state);
    if (state.Type === 'Map') {
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) walk(inner, visit);
    }
    if (state.Type === 'Parallel') {
      for (const branch of state.Branches ?? []) walk(branch, visit);
    }
  }
}

async function post(url, stateName, payload, problems) {
  let res;
  let text;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sfnlocal-state': stateName },
      body: JSON.stringify(payload === undefined ? null : payload),
    });
    text = await res.text();
  } catch (err) {
    problems.push(`state ${stateName}: POST ${url}: ${err.message}`);
    throw new TaskError('Lambda.ServiceException', `local endpoint unreachable: ${err.message}`);
  }
  if (res.ok) {
    try {
      return text === '' ? null : JSON.parse(text);
    } catch (err) {
      problems.push(`state ${stateName}: response is not JSON: ${err.message}`);
      throw new TaskError('Lambda.ServiceException', `function response is not JSON: ${text.slice(0, 200)}`);
    }
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!body || typeof body.errorType !== 'string' || body.errorType === '') {
    // Lambda reports a function error without a type as Lambda.Unknown.
    throw new TaskError('Lambda.Unknown', text);
  }
  throw new TaskError(body.errorType, text);
}

// Builds the override of one Task state, or returns a problem string.
function overrideFor(name, state, endpoints, problems) {
  const resource = state.Resource;
  if (resource === LAMBDA_INVOKE) {
    // Optimised integration: the override receives the evaluated Parameters
    // ({FunctionName, Payload, ...}); mimic Step Functions by invoking
    // FunctionName with Payload and wrapping the result like Lambda Invoke.
    const params = state.Parameters ?? {};
    if (typeof params.FunctionName === 'string' && !endpointFor(endpoints, params.FunctionName)) {
      return { problem: `state ${name}: no endpoint for FunctionName ${params.FunctionName}` };
    }
    if (!('FunctionName' in params) && !('FunctionName.$' in params)) {
      return { problem: `state ${name}: ${LAMBDA_INVOKE} without Parameters.FunctionName` };
    }
    return {
      fn: async (input) => {
        const url = endpointFor(endpoints, input?.FunctionName);
        if (!url) {
          problems.push(`state ${name}: no endpoint for FunctionName ${JSON.stringify(input?.FunctionName)}`);
          throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${input?.FunctionName}`);
        }
        const payload = input && 'Payload' in input ? input.Payload : {};
        const result = await post(url, name, payload, problems);
        return {
          ExecutedVersion: '$LATEST',
          Payload: result,
          SdkHttpMetadata: { HttpHeaders: { 'Content-Type': 'application/json' }, HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: crypto.randomUUID() },
          StatusCode: 200,
        };
      },
    };
  }
  if (typeof resource === 'string' && resource.startsWith('arn:aws:states:::lambda:invoke')) {
    return { problem: `state ${name}: ${resource} is not supported (only ${LAMBDA_INVOKE} and function ARNs)` };
  }
  // Direct function ARN (or any Resource mapped verbatim): the override
  // receives the state's effective input and returns the function's result.
  const url = endpointFor(endpoints, resource);
  if (!url) {
    return { problem: `state ${name}: no endpoint for Resource ${resource}` };
  }
  return { fn: async (input) => post(url, name, input, problems) };
}

function perState(overrideValue, names) {
  if (overrideValue === undefined || overrideValue === null) return undefined;
  if (typeof overrideValue === 'object' && !Array.isArray(overrideValue)) return overrideValue;
  return Object.fromEntries(names.map((n) => [n, overrideValue]));
}

async function main() {
  const raw = process.argv[2] ? readFileSync(process.argv[2], 'utf8') : readFileSync(0, 'utf8');
  let spec;
  try {
    spec = JSON.parse(raw);
  } catch (err) {
    return harnessError(`spec is not JSON: ${err.message}`);
  }
  let definition = spec.definition;
  if (typeof definition === 'string') {
    try {
      definition = JSON.parse(definition);
    } catch (err) {
      return harnessError(`definition is not JSON: ${err.message}`);
    }
  }
  if (!definition || typeof definition !== 'object') return harnessError('spec.definition is missing');
  const endpoints = spec.taskEndpoints ?? {};

  const problems = [];
  const handlers = {};
  const seen = new Map();
  const waitStates = [];
  const retryStates = [];
  walk(definition, (name, state) => {
    if (seen.has(name)) problems.push(`state name ${name} is used twice (overrides are keyed by state name)`);
    seen.set(name, state);
    if (state.Type === 'Wait') waitStates.push(name);
    if (Array.isArray(state.Retry)) retryStates.push(name);
    if (state.Type !== 'Task') return;
    const { fn, problem } = overrideFor(name, state, endpoints, problems);
    if (problem) problems.push(problem);
    else handlers[name] = fn;
  });
  if (problems.length > 0) {
    // Never let a Task fall through to the real AWS Lambda client.
    return harnessError(problems.join('; '));
  }

  const { StateMachine, ExecutionError, ExecutionTimeoutError, ExecutionAbortedError } = await import(
    'aws-local-stepfunctions'
  );

  // Count transitions synchronously on every (nested) execution's own event
  // logger: the library forwards nested Map/Parallel events to the root log
  // asynchronously, so the tail of the last iteration can miss a root log
  // that has already closed.
  const states = {};
  let transitions = 0;
  const stat = (name) => (states[name] ??= { entered: 0, retried: 0, failed: 0, caught: 0 });
  const execute = StateMachine.prototype.execute;
  if (typeof execute !== 'function') return harnessError('aws-local-stepfunctions internals changed: no StateMachine.execute');
  StateMachine.prototype.execute = function countingExecute(input, options, cleanupFn) {
    const log = options.eventLogger;
    const wrap = (method, count) => {
      const orig = log[method].bind(log);
      log[method] = (stateName, ...rest) => {
        count(stateName);
        return orig(stateName, ...rest);
      };
    };
    wrap('dispatchStateEnteredEvent', (n) => {
      transitions++;
      stat(n).entered++;
    });
    wrap('dispatchStateRetriedEvent', (n) => {
      transitions++;
      stat(n).retried++;
    });
    wrap('dispatchStateFailedEvent', (n) => stat(n).failed++);
    wrap('dispatchStateCaughtEvent', (n) => stat(n).caught++);
    return execute.call(this, input, options, cleanupFn);
  };

  let machine;
  try {
    machine = new StateMachine(definition, spec.validationOptions ? { validationOptions: spec.validationOptions } : undefined);
  } catch (err) {
    return harnessError(err.message);
  }

  const overrides = { taskResourceLocalHandlers: handlers };
  const waits = perState(spec.waitTimeOverride, waitStates);
  if (waits) overrides.waitTimeOverrides = waits;
  const retries = perState(spec.retryIntervalOverride, retryStates);
  if (retries) overrides.retryIntervalOverrides = retries;

  const runOptions = { overrides };
  if (spec.context) runOptions.context = spec.context;

  const out = { status: 'SUCCEEDED', transitions: 0, states };
  try {
    const execution = machine.run(spec.input ?? {}, runOptions);
    out.output = await execution.result;
  } catch (err) {
    if (err instanceof ExecutionTimeoutError) {
      out.status = 'TIMED_OUT';
      out.error = 'States.Timeout';
      out.cause = 'The execution timed out (TimeoutSeconds)';
    } else if (err instanceof ExecutionAbortedError) {
      out.status = 'ABORTED';
    } else if (err instanceof ExecutionError && err.cause) {
      out.status = 'FAILED';
      out.error = err.cause.name;
      out.cause = typeof err.cause.cause === 'string' ? err.cause.cause : err.cause.message;
    } else {
      out.status = 'FAILED';
      out.error = err?.name ?? 'Error';
      out.cause = err?.message ?? String(err);
      problems.push(`unexpected error from the library: ${err?.stack ?? err}`);
    }
  }
  out.transitions = transitions;
  if (problems.length > 0) out.problems = problems;
  emit(out);
}

main().catch((err) => harnessError(`run-sfn: ${err?.stack ?? err}`));
