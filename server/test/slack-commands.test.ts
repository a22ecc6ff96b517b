// Slack commands end to end over the real routes: requests signed exactly as Slack signs them
// (v0 HMAC-SHA256 over "v0:<timestamp>:<body>" with the signing secret), and tampered, stale,
// replayed, unsigned and wrong-channel ones refused; dm_mac's replies; the machine's resulting
// state; the Slack user named in the audit log and the alerts; the oops alert's Clear button and
// the /oops-clear menu answered through response_url (a real local HTTP receiver).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeApp, postUpdate, update, AUTH, TestUnit, type TestApp } from './helpers.js';
import { createNotifier } from '../src/webhook-notifier.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, 'e');
const CONTROL = 'C0CONTROL1';

interface Posted {
  path: string;
  body: Record<string, unknown>;
}

let receiver: Server;
let rport = 0;
let posted: Posted[] = [];
let t: TestApp;

function rurl(path: string): string {
  return `http://127.0.0.1:${rport}${path}`;
}

async function waitPosted(pred: (p: Posted) => boolean, ms = 5000): Promise<Posted> {
  const end = Date.now() + ms;
  for (;;) {
    const p = posted.find(pred);
    if (p) return p;
    if (Date.now() > end) throw new Error('nothing posted that matches; got ' + JSON.stringify(posted));
    await new Promise((r) => setTimeout(r, 10));
  }
}

test.before(async () => {
  receiver = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      posted.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  rport = (receiver.address() as AddressInfo).port;
});

test.after(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test.before.each(async () => {
  posted = [];
  t = await makeApp({
    start: Date.now(),
    extra: {
      slackCommands: { signingSecret: SECRET, controlChannelId: CONTROL, responseUrlPrefixes: [rurl('/respond/')] },
      notifier: createNotifier({ controlUrl: rurl('/control'), oopsUrl: rurl('/oops') }),
    },
  });
});

test.after.each(async () => {
  await t.close();
});

/** Signs like Slack: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)). */
function sign(body: string, ts: number, secret = SECRET): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

let seq = 0;
function command(text: string, over: Record<string, string> = {}, cmd = '/fobgate'): string {
  return form({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'makerspace',
    channel_id: CONTROL,
    channel_name: 'machine-control',
    user_id: 'U0JANE',
    user_name: 'jane',
    command: cmd,
    text,
    api_app_id: 'A0APP',
    response_url: rurl('/respond/cmd' + ++seq),
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
    ...over,
  });
}

async function post(path: string, body: string, opts: { ts?: number; sig?: string; headers?: Record<string, string> } = {}) {
  const ts = opts.ts ?? Math.floor(t.now.value / 1000);
  return t.app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': opts.sig ?? sign(body, ts),
      ...opts.headers,
    },
    payload: body,
  });
}

function interaction(actions: unknown[], over: Record<string, unknown> = {}): string {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0JANE', username: 'jane', name: 'jane', team_id: 'T0001' },
    api_app_id: 'A0APP',
    container: { type: 'message', channel_id: CONTROL },
    channel: { id: CONTROL, name: 'machine-control' },
    response_url: rurl('/respond/act' + ++seq),
    message: { text: 'Machine Metal Lathe oopsed via API by admin.' },
    actions,
    ...over,
  };
  return form({ payload: JSON.stringify(payload) });
}

async function row(name: string): Promise<{ oopsed: boolean; locked_out: boolean }> {
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  return r.json().machines.find((m: { name: string }) => m.name === name);
}

async function events(machine: string): Promise<Array<{ type: string; detail: string | null }>> {
  return (await t.app.inject({ method: 'GET', url: `/api/admin/events?machine=${machine}`, headers: AUTH })).json().events;
}

test('status: dm_mac\'s answer (uptime, users file, one line per machine), ephemeral, in the control channel', async () => {
  await postUpdate(t.app, update('lathe', { rfid_value: '0000000001', uptime: 3600 }));
  const r = await post('/slack/commands', command('status'));
  assert.is(r.statusCode, 200, r.body);
  const body = r.json();
  assert.is(body.response_type, 'ephemeral');
  const lines = (body.text as string).split('\n');
  assert.match(lines[0], /^Server uptime: /);
  assert.match(lines[1], /^Users config: .+ old, 3 users, 3 fobs$/);
  assert.is(lines[2], '');
  assert.is(lines[3], 'drill: Idle', 'machines by name; never heard from: no times');
  assert.match(body.text, /Metal Lathe: In use \(last contact a moment ago; last update a moment ago; uptime an hour\)/);
  const one = await post('/slack/commands', command('status METAL LATHE'));
  assert.match(one.json().text, /In use by Ada Tester for a moment\./);
  assert.match(one.json().text, /Relay on\./);
});

test('requests not signed by Slack are refused and change nothing: tampered, wrong secret, stale, future, unsigned, replayed', async () => {
  const body = command('oops lathe');
  const ts = Math.floor(t.now.value / 1000);
  const tampered = body.replace('oops+lathe', 'oops+saw');
  const cases: Array<[string, Awaited<ReturnType<typeof post>>]> = [
    ['tampered body', await post('/slack/commands', tampered, { ts, sig: sign(body, ts) })],
    ['wrong secret', await post('/slack/commands', body, { ts, sig: sign(body, ts, SECRET.replace(/^8/, '9')) })],
    ['stale (6 minutes old)', await post('/slack/commands', body, { ts: ts - 360 })],
    ['from the future', await post('/slack/commands', body, { ts: ts + 360 })],
    ['no signature', await t.app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts) }, payload: body })],
    ['malformed signature', await post('/slack/commands', body, { ts, sig: 'v1=' + 'a'.repeat(64) })],
    ['tampered interactivity', await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear', value: 'lathe' }]), { ts, sig: sign('payload=x', ts) })],
  ];
  for (const [what, r] of cases) {
    assert.is(r.statusCode, 401, what);
    assert.is(r.json().code, 'UNAUTHORIZED', what);
    assert.match(r.json().error, 'Slack request refused', what);
  }
  assert.is((await row('lathe')).oopsed, false);
  assert.is((await row('saw')).oopsed, false);
  // a request stamped before the server started may have been received by the server before the
  // restart (the signatures seen are kept in memory only): refused, even within the 5 minutes
  const beforeStart = await post('/slack/commands', body, { ts: ts - 1 });
  assert.is(beforeStart.statusCode, 401);
  assert.match(beforeStart.json().error, 'before the server started');
  assert.is((await row('lathe')).oopsed, false);
  // 4 minutes 59 seconds old is still fine (the server has run for 5 minutes); the same request
  // again is a replay
  t.now.value += 300_000;
  const later = Math.floor(t.now.value / 1000);
  const ok = await post('/slack/commands', body, { ts: later - 299 });
  assert.is(ok.statusCode, 200, ok.body);
  assert.is((await row('lathe')).oopsed, true);
  const again = await post('/slack/commands', body, { ts: later - 299 });
  assert.is(again.statusCode, 401);
  assert.match(again.json().error, 'already received');
  // JSON is not what Slack sends
  const json = await t.app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/json' }, payload: '{}' });
  assert.ok(json.statusCode === 415 || json.statusCode === 401, String(json.statusCode));
});

test('only the control channel: other channels get an ephemeral refusal (dm_mac\'s words for /oops-clear) and nothing changes', async () => {
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: {} });
  const a = await post('/slack/commands', command('oops lathe', { channel_id: 'C0GENERAL' }));
  assert.equal(a.json(), { response_type: 'ephemeral', text: 'The `/fobgate` command can only be used in the control channel.' });
  const b = await post('/slack/commands', command('saw', { channel_id: 'D0DIRECT' }, '/oops-clear'));
  assert.equal(b.json(), { response_type: 'ephemeral', text: 'The `/oops-clear` command can only be used in the control channel.' });
  const c = await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear', value: 'saw' }], { channel: { id: 'C0GENERAL' } }));
  assert.is(c.statusCode, 200);
  const said = await waitPosted((p) => p.path.startsWith('/respond/act'));
  assert.match(String(said.body.text), 'can only be used in the control channel');
  assert.is((await row('lathe')).oopsed, false);
  assert.is((await row('saw')).oopsed, true);
});

test('oops / lock / unlock / clear by name or alias (any case): dm_mac\'s replies, the state, the Slack user in the audit log and alerts', async () => {
  let r = await post('/slack/commands', command('oops metal LATHE'));
  assert.is(r.statusCode, 200);
  assert.is(r.body, '', 'done: the channel alerts say the rest, as in dm_mac');
  assert.is((await row('lathe')).oopsed, true);
  await waitPosted((p) => p.path === '/control' && p.body.text === 'Machine Metal Lathe oopsed via Slack by jane.');
  await waitPosted((p) => p.path === '/oops' && p.body.text === "Machine Metal Lathe has been Oops'ed!");
  const evs = await events('lathe');
  assert.ok(evs.some((e) => e.type === 'slack_command' && e.detail === '/fobgate oops metal LATHE by jane (U0JANE)'), JSON.stringify(evs));
  assert.ok(evs.some((e) => e.type === 'oops' && e.detail === 'by jane via Slack'));

  r = await post('/slack/commands', command('oops lathe'));
  assert.equal(r.json(), { response_type: 'ephemeral', text: 'Machine Metal Lathe is already oopsed.' });
  r = await post('/slack/commands', command('oops planer'));
  assert.equal(r.json(), { response_type: 'ephemeral', text: "Invalid machine name or alias 'planer'. Use status command to list all machines." });

  r = await post('/slack/commands', command('lock lathe'));
  assert.is(r.statusCode, 200);
  assert.is((await row('lathe')).locked_out, true);
  await waitPosted((p) => p.path === '/control' && p.body.text === 'Machine Metal Lathe locked-out via Slack by jane.');
  r = await post('/slack/commands', command('lock lathe'));
  assert.is(r.json().text, 'Machine Metal Lathe is already locked-out.');

  r = await post('/slack/commands', command('clear lathe'));
  assert.is(r.statusCode, 200);
  const after = await row('lathe');
  assert.is(after.oopsed, false);
  assert.is(after.locked_out, false);
  await waitPosted((p) => p.path === '/control' && p.body.text === 'Machine Metal Lathe un-oopsed via Slack by jane.');
  await waitPosted((p) => p.path === '/control' && p.body.text === 'Machine Metal Lathe locked-out cleared via Slack by jane.');
  r = await post('/slack/commands', command('clear lathe'));
  assert.is(r.json().text, 'Machine Metal Lathe is not oopsed or locked-out.');
  r = await post('/slack/commands', command('unlock lathe'));
  assert.is(r.json().text, 'Machine Metal Lathe is not locked-out.');
  await post('/slack/commands', command('lock drill'));
  r = await post('/slack/commands', command('unlock drill'));
  assert.is(r.statusCode, 200);
  assert.is((await row('drill')).locked_out, false);
  // help for anything else; Slack's escaping of < > &
  r = await post('/slack/commands', command(''));
  assert.match(r.json().text, '`/fobgate oops &lt;machine&gt;`');
});

test('/oops-clear without a machine: a menu of the oopsed and locked-out machines; choosing one clears it', async () => {
  let r = await post('/slack/commands', command('', {}, '/oops-clear'));
  assert.equal(r.json(), { response_type: 'ephemeral', text: 'No machines are currently oopsed or locked out.' });
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: {} });
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/lockout', headers: AUTH, payload: { cut: true } });
  r = await post('/slack/commands', command('', {}, '/oops-clear'));
  const body = r.json();
  assert.is(body.response_type, 'ephemeral');
  const select = body.blocks[1].elements[0];
  assert.is(select.type, 'static_select');
  assert.is(select.initial_option, undefined, 'no default choice');
  assert.equal(select.options.map((o: { text: { text: string }; value: string }) => [o.text.text, o.value]), [['Metal Lathe', 'lathe'], ['saw', 'saw']]);
  const pick = await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear_select', selected_option: { value: 'lathe' } }]));
  assert.is(pick.statusCode, 200);
  const said = await waitPosted((p) => p.path.startsWith('/respond/act'));
  assert.equal(said.body, { response_type: 'ephemeral', replace_original: true, text: 'Machine Metal Lathe cleared.' });
  assert.is((await row('lathe')).locked_out, false);
  assert.is((await row('saw')).oopsed, true);
  // by name, case-insensitive, like dm_mac
  r = await post('/slack/commands', command('SAW', {}, '/oops-clear'));
  assert.is(r.statusCode, 200);
  assert.is((await row('saw')).oopsed, false);
  r = await post('/slack/commands', command('saw', {}, '/oops-clear'));
  assert.is(r.json().text, 'Machine saw is not oopsed or locked-out.');
});

test('an oops alert in the control channel carries a Clear button that clears through the same path', async () => {
  await postUpdate(t.app, update('lathe', { oops: true }));
  const alert = await waitPosted((p) => p.path === '/control' && String(p.body.text).startsWith('Machine Metal Lathe oopsed via'));
  const blocks = alert.body.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>;
  assert.ok(blocks, 'the alert has blocks');
  const button = blocks[1].elements![0];
  assert.equal([button.action_id, button.value, button.text.text], ['fobgate_clear', 'lathe', 'Clear']);
  const oopsChannel = await waitPosted((p) => p.path === '/oops');
  assert.is(oopsChannel.body.blocks, undefined, 'no button for everyone');
  const r = await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear', value: 'lathe' }]));
  assert.is(r.statusCode, 200);
  assert.is(r.body, '');
  assert.is((await row('lathe')).oopsed, false);
  const updated = await waitPosted((p) => p.path.startsWith('/respond/act'));
  assert.is(updated.body.replace_original, true);
  assert.match(JSON.stringify(updated.body.blocks), 'Cleared by jane via Slack.');
  await waitPosted((p) => p.path === '/control' && p.body.text === 'Machine Metal Lathe un-oopsed via Slack by jane.');
  const evs = await events('lathe');
  assert.ok(evs.some((e) => e.type === 'slack_command' && e.detail === 'Clear button by jane (U0JANE)'));
  // pressed again after it is cleared: dm_mac's words
  await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear', value: 'lathe' }]));
  await waitPosted((p) => p.body.text === 'Machine Metal Lathe is not oopsed or locked-out.');
});

test('a fobgate unit\'s machine: the action is queued for the unit, and the reply says so', async () => {
  const unit = new TestUnit(t.app, 'unit1');
  await unit.register();
  await unit.sync();
  const r = await post('/slack/commands', command('oops unit1'));
  assert.is(r.json().text, 'Machine unit1: oops sent to its unit as command 1; the unit applies it at its next sync.');
  const s = await unit.sync();
  assert.equal(s.body!.commands, [{ id: 1, type: 'oops', cut: false, by: 'jane via Slack' }]);
});

test('replies go only to Slack\'s response_url prefixes', async () => {
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: {} });
  const r = await post('/slack/interactivity', interaction([{ action_id: 'fobgate_clear', value: 'saw' }], { response_url: rurl('/elsewhere') }));
  assert.is(r.statusCode, 200);
  assert.is((await row('saw')).oopsed, false, 'the signed action itself is done');
  await new Promise((res) => setTimeout(res, 200));
  assert.not.ok(posted.some((p) => p.path === '/elsewhere'), 'nothing posted to an unknown URL');
});

test('without SLACK_SIGNING_SECRET / SLACK_CONTROL_CHANNEL_ID the endpoints do not exist', async () => {
  const plain = await makeApp();
  try {
    assert.is((await plain.app.inject({ method: 'POST', url: '/slack/commands', payload: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode, 404);
  } finally {
    await plain.close();
  }
});

test.run();
