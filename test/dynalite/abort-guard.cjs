// Preloaded into dynalite (node -r) by Start.
//
// dynalite 4.0.0 rethrows request errors from an 'error' listener
// (index.js: req.on('error', function (err) { throw err })). A client that
// closes its connection while dynalite still reads the request body, as a
// Go client does when its context ends mid-request, makes that listener
// throw Error('aborted') with code ECONNRESET, and the uncaught exception
// ends the whole process: every later request of the test is refused.
// That request is over for both sides, so it is ignored here; any other
// uncaught exception still ends the process as Node would.
'use strict';

process.on('uncaughtException', (err) => {
  if (err && err.code === 'ECONNRESET' && err.message === 'aborted') {
    console.error('[dynalite guard] a client aborted its request; ignored');
    return;
  }
  console.error(err);
  process.exit(1);
});
