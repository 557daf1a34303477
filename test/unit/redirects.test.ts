import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BodyNotReplayableError } from '../../src/core/errors.js';
import { followRedirects, type RedirectFollower, type RedirectHop } from '../../src/core/follow-redirects.js';
import {
  isBodyHeader,
  leavesOrigin,
  planRedirect,
  REDIRECT_STATUSES,
  redirectDropsBody,
} from '../../src/core/redirect-policy.js';

// The redirect rules every adapter shares (redirect-policy.ts) and the hop loop (follow-redirects.ts).

describe('redirect policy', () => {
  test('followed statuses: 301, 302, 303, 307, 308', () => {
    assert.deepEqual([...REDIRECT_STATUSES].sort(), [301, 302, 303, 307, 308]);
  });

  test('the body is dropped (and the method becomes GET) as fetch does: 301/302 after POST, 303 after anything but GET/HEAD', () => {
    assert.equal(redirectDropsBody(301, 'POST'), true);
    assert.equal(redirectDropsBody(302, 'POST'), true);
    assert.equal(redirectDropsBody(302, 'PUT'), false);
    assert.equal(redirectDropsBody(303, 'PUT'), true);
    assert.equal(redirectDropsBody(303, 'HEAD'), false);
    assert.equal(redirectDropsBody(307, 'POST'), false);
    assert.equal(redirectDropsBody(308, 'POST'), false);
  });

  test('body headers: Content-* and Transfer-Encoding, any case', () => {
    assert.equal(isBodyHeader('Content-Type'), true);
    assert.equal(isBodyHeader('transfer-encoding'), true);
    assert.equal(isBodyHeader('Accept'), false);
  });

  test('a change of scheme, host or port leaves the origin', () => {
    assert.equal(leavesOrigin('https://a.example/', 'https://a.example/x'), false);
    assert.equal(leavesOrigin('https://a.example/', 'http://a.example/'), true);
    assert.equal(leavesOrigin('https://a.example/', 'https://a.example:8443/'), true);
    assert.equal(leavesOrigin('https://a.example/', 'https://b.example/'), true);
  });

  test('a plan: relative Location resolved; body headers dropped with the body; credentials left on another origin', () => {
    const same = planRedirect(new URL('https://a.example/form'), 'POST', 303, '/done', false);
    assert.equal(same.url.href, 'https://a.example/done');
    assert.equal(same.method, 'GET');
    assert.equal(same.dropsBody, true);
    assert.equal(same.drops('content-length'), true);
    assert.equal(same.drops('authorization'), false);
    const other = planRedirect(new URL('https://a.example/'), 'PUT', 307, 'https://b.example/', false);
    assert.equal(other.method, 'PUT');
    assert.equal(other.leavesOrigin, true);
    for (const name of ['Authorization', 'proxy-authorization', 'Cookie'])
      assert.equal(other.drops(name), true);
    assert.equal(other.drops('content-type'), false);
  });

  test('refused: a non-http(s) Location, and a body that can be sent once where the hop needs it again', () => {
    assert.throws(
      () => planRedirect(new URL('https://a.example/'), 'GET', 302, 'file:///etc/passwd', false),
      TypeError,
    );
    assert.throws(
      () => planRedirect(new URL('https://a.example/'), 'PUT', 307, '/x', true),
      BodyNotReplayableError,
    );
    assert.equal(planRedirect(new URL('https://a.example/'), 'POST', 302, '/x', true).dropsBody, true);
  });
});

interface Res {
  readonly status: number;
  readonly location: string | null;
}

function follower(responses: Res[], options: { follow?: boolean; max?: number } = {}) {
  const sent: RedirectHop[] = [];
  const discarded: Res[] = [];
  let i = 0;
  const f: RedirectFollower<Res, RedirectHop> = {
    follow: options.follow ?? true,
    max: options.max ?? 5,
    send: async (hop) => {
      sent.push(hop);
      return responses[Math.min(i++, responses.length - 1)]!;
    },
    status: (r) => r.status,
    location: (r) => r.location,
    discard: async (r) => {
      discarded.push(r);
    },
    tooMany: () => new Error('too many redirects'),
    next: (_hop, plan) => ({ url: plan.url, method: plan.method, bodyOnce: false }),
  };
  return { f, sent, discarded };
}

const first: RedirectHop = { url: new URL('https://a.example/start'), method: 'POST', bodyOnce: false };

describe('followRedirects', () => {
  test('follows each hop with the plan’s URL and method, discarding the redirect responses', async () => {
    const hops = [
      { status: 303, location: '/second' },
      { status: 307, location: 'https://b.example/third' },
      { status: 200, location: null },
    ];
    const { f, sent, discarded } = follower(hops);
    const res = await followRedirects(first, f);
    assert.equal(res.status, 200);
    assert.deepEqual(
      sent.map((h) => [h.url.href, h.method]),
      [
        ['https://a.example/start', 'POST'],
        ['https://a.example/second', 'GET'],
        ['https://b.example/third', 'GET'],
      ],
    );
    assert.deepEqual(discarded, hops.slice(0, 2));
  });

  test('follow: false, a status that is no redirect, or no Location: the response as it is', async () => {
    assert.equal(
      (await followRedirects(first, follower([{ status: 302, location: '/x' }], { follow: false }).f)).status,
      302,
    );
    assert.equal((await followRedirects(first, follower([{ status: 304, location: '/x' }]).f)).status, 304);
    assert.equal((await followRedirects(first, follower([{ status: 302, location: null }]).f)).status, 302);
  });

  test('one redirect more than max: discarded, then tooMany', async () => {
    const { f, sent, discarded } = follower([{ status: 302, location: '/again' }], { max: 2 });
    await assert.rejects(followRedirects(first, f), /too many redirects/);
    assert.equal(sent.length, 3);
    assert.equal(discarded.length, 3);
  });

  test('a hop the policy refuses: the redirect response is discarded all the same', async () => {
    const { f, discarded } = follower([{ status: 302, location: 'ftp://a.example/' }]);
    await assert.rejects(followRedirects(first, f), TypeError);
    assert.equal(discarded.length, 1);
  });
});
