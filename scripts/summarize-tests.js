// Sums jest's --json reports into one closing line, so CI reads one count for every run.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.argv[2] ?? 'test-results';
// Reports that must exist: a jest run that wrote none (e.g. n8n did not start) failed as a whole.
const expected = process.argv.slice(3);
let passed = 0;
let failed = 0;
let skipped = 0;
let broken = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
	const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
	passed += report.numPassedTests;
	failed += report.numFailedTests;
	skipped += report.numPendingTests + (report.numTodoTests ?? 0);
	broken += report.numRuntimeErrorTestSuites;
	console.log(
		`${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numRuntimeErrorTestSuites} suites could not run`,
	);
}
for (const file of expected) {
	if (!existsSync(join(dir, file))) {
		console.log(
			`${file}: missing: that jest run failed before it could report (see its output above)`,
		);
		broken += 1;
	}
}
// A suite that could not run at all (e.g. n8n did not start) counts as a failure.
failed += broken;
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
