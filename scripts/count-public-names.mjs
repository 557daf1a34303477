// Counts the names each entry point of package.json's `exports` makes public (values and types),
// read from the sources with the TypeScript compiler, so a change of the public surface shows as
// figures. Usage: node scripts/count-public-names.mjs [--names]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([subpath, target]) => [
    subpath,
    resolve(root, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
  ]);
const program = ts.createProgram(
  entries.map(([, file]) => file),
  { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true },
);
const checker = program.getTypeChecker();
let total = 0;
for (const [subpath, file] of entries) {
  const source = program.getSourceFile(file);
  const names = checker.getExportsOfModule(checker.getSymbolAtLocation(source)).map((s) => s.name);
  total += names.length;
  console.log(`${String(names.length).padStart(4)}  ${subpath}`);
  if (process.argv.includes('--names')) console.log(`      ${names.sort().join(', ')}`);
}
console.log(`${String(total).padStart(4)}  in ${entries.length} entry points`);
