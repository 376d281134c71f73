// Reads `go test -json` output of franz-go's pkg/kgo suite and prints one line per top-level test
// (PASS/FAIL/SKIP, seconds, and the first failure lines), then "N passed, N failed, N skipped".
// A test that never reported (the run timed out or panicked) counts as failed.
import fs from 'node:fs';

const file = process.argv[2];
const results = new Map(); // test -> { action, elapsed }
const output = new Map(); // test -> lines
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  if (!line.startsWith('{')) continue;
  let e;
  try {
    e = JSON.parse(line);
  } catch {
    continue;
  }
  if (!e.Test) continue;
  const top = e.Test.split('/')[0];
  if (e.Action === 'run' && !results.has(top)) results.set(top, { action: 'run', elapsed: 0 });
  if (e.Action === 'output') {
    const lines = output.get(e.Test) ?? [];
    if (lines.length < 200) lines.push(e.Output);
    output.set(e.Test, lines);
  }
  if (['pass', 'fail', 'skip'].includes(e.Action) && e.Test === top) results.set(top, { action: e.Action, elapsed: e.Elapsed ?? 0 });
}

const counts = { pass: 0, fail: 0, skip: 0 };
for (const [test, r] of [...results].sort((a, b) => a[0].localeCompare(b[0]))) {
  const action = r.action === 'run' ? 'fail' : r.action;
  counts[action]++;
  let why = '';
  if (action === 'fail') {
    const lines = [...output]
      .filter(([t]) => t === test || t.startsWith(`${test}/`))
      .flatMap(([, ls]) => ls)
      .map((l) => l.trim())
      .filter((l) => l && !/^(=== |--- |FAILED TESTING|helpers_test.go:\d+: .* completed in)/.test(l) && !l.includes('FAILED TESTING'));
    why = r.action === 'run' ? ' (no result: timed out or panicked)' : lines.length ? ` -- ${lines.slice(0, 2).join(' | ').slice(0, 300)}` : '';
  }
  console.log(`${action.toUpperCase().padEnd(4)} ${test} ${r.elapsed.toFixed(1)}s${why}`);
}
console.log(`${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
