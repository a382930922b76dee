import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BEGIN, END } from './report.mjs';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function writeAtomically(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/**
 * Writes results.json, chart.svg and the generated results section. Into the committed files
 * (bench/results.json, bench/chart.svg, and BENCHMARKS.md between its markers, keeping the
 * hand-written text around them) only for a complete run; anything else goes to `dir`.
 */
export function writeOutputs({ committed, dir, results, markdown, svg }) {
  const json = `${JSON.stringify(results, null, 1)}\n`;
  if (!committed) {
    writeAtomically(path.join(dir, 'results.json'), json);
    writeAtomically(path.join(dir, 'chart.svg'), svg);
    writeAtomically(path.join(dir, 'results.md'), `${markdown}\n`);
    return [path.join(dir, 'results.json'), path.join(dir, 'chart.svg'), path.join(dir, 'results.md')];
  }
  const doc = path.join(repoRoot, 'BENCHMARKS.md');
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`BENCHMARKS.md lacks the results markers; restore them:\n${BEGIN}\n${END}`);
  writeAtomically(doc, current.slice(0, begin) + markdown + current.slice(end + END.length));
  writeAtomically(path.join(repoRoot, 'bench/results.json'), json);
  writeAtomically(path.join(repoRoot, 'bench/chart.svg'), svg);
  return [doc, path.join(repoRoot, 'bench/results.json'), path.join(repoRoot, 'bench/chart.svg')];
}
