import { describe } from 'node:test';
import { axiosFetchDriver, undiciFetchDriver } from '../helpers/adapter-drivers.js';
import { finalTokenCases, useScriptedServer } from '../helpers/adapter-unit-table.js';

// A final response whose Negotiate element carries no token (issue 22, defect 1), on the two
// routes the behavior table's drivers do not take: undici's own fetch over the interceptor, and
// axios's fetch adapter. The table runs the same cases for createFetch, undici.request, axios
// (http), got and ky.

const server = useScriptedServer();

describe('undici fetch with the negotiate() interceptor: final responses without a token', () => {
  finalTokenCases(undiciFetchDriver, server);
});

describe("axios's fetch adapter: final responses without a token", () => {
  finalTokenCases(axiosFetchDriver, server);
});
