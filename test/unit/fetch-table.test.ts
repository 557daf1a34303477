import { fetchDriver } from '../helpers/adapter-drivers.js';
import { runUnitTable } from '../helpers/adapter-unit-table.js';

// The shared behavior table through createFetch (over Node's fetch), as for axios, got, ky and
// undici in their own files: every exchange behavior proven on the baseline client too.

runUnitTable(fetchDriver);
