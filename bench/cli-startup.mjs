// `node bench/cli-startup.mjs [runs]`: only the CLI start-up step of `pnpm bench` (needs `pnpm
// build`; `pnpm release` too, for the release executable).
import { cliStartupGoals, measureCliStartup } from './src/cli-startup.mjs';

const runs = Number(process.argv[2] ?? 31);
const m = await measureCliStartup({ runs, log: (line) => console.log(line) });
for (const goal of cliStartupGoals(m)) {
  const result = goal.reached === undefined ? 'not measured' : goal.reached ? 'reached' : 'NOT reached';
  console.log(`goal ${result}: ${goal.goal}: ${goal.ratioText}`);
}
