import { fetchDriver } from '../helpers/adapter-drivers.js';
import { runUnitTable } from '../helpers/adapter-unit-table.js';

// The behavior table through createFetch over Node's own fetch, against the local scripted
// server: the baseline every other client's table is read against.

runUnitTable(fetchDriver);
