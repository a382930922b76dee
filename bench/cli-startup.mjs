// `node bench/cli-startup.mjs [runs]`: only the CLI start-up step of `pnpm bench` (needs `pnpm build`).
import { cliStartupGoal, measureCliStartup } from './src/cli-startup.mjs';

const runs = Number(process.argv[2] ?? 15);
const m = await measureCliStartup({ runs, log: (line) => console.log(line) });
const goal = cliStartupGoal(m);
console.log(`goal ${goal.reached ? 'reached' : 'NOT reached'}: ${goal.goal}: ${goal.ratioText}`);
