// Slack's way in: POST /slack/commands (the slash commands /fobgate and /oops-clear) and
// POST /slack/interactivity (the "Clear" button under oops alerts, the /oops-clear menu). Both
// take Slack's form-encoded bodies, are refused (401) unless Slack's v0 signature over the raw
// body checks out within 5 minutes, and answer as Slack expects: a slash command with its
// (ephemeral) reply as JSON, a button with an empty 200 and the result posted to the
// request's response_url. Off (404) unless SLACK_SIGNING_SECRET and SLACK_CONTROL_CHANNEL_ID
// are set. No Slack SDK: the signature is node:crypto, replies are plain fetch.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { SlackVerifier } from '../slack/verify.js';
import { SlackCommands, channelRefusal, type SlackUser } from '../slack/commands.js';
import { CLEAR_ACTION, CLEAR_SELECT_ACTION } from '../slack/blocks.js';
import { slackEscape } from '../notifier.js';

const FORM = 'application/x-www-form-urlencoded';
const FORM_LIMIT = 64 * 1024;
const tags = ['slack'];

/** One field of a form body: a string, else ''. */
function field(form: URLSearchParams, name: string): string {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
}

interface ActionPayload {
  type?: unknown;
  user?: { id?: unknown; username?: unknown; name?: unknown };
  channel?: { id?: unknown };
  response_url?: unknown;
  actions?: Array<{ action_id?: unknown; value?: unknown; selected_option?: { value?: unknown } }>;
  message?: { text?: unknown };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

type Verify = (request: FastifyRequest) => Promise<void>;
type Respond = (url: string, body: object, request: FastifyRequest) => void;

export async function slackCommandRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, deps, clock } = opts.services;
  const conf = deps.slackCommands;
  if (!conf) return;
  const verifier = new SlackVerifier(conf.signingSecret, clock, conf.maxAgeS ?? 300);
  const commands = new SlackCommands(core, conf.controlChannelId);
  const prefixes = conf.responseUrlPrefixes ?? ['https://hooks.slack.com/'];

  app.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (req, body, done) => {
    const buf = body as Buffer;
    req.rawBody = buf;
    done(null, new URLSearchParams(buf.toString('utf8')));
  });
  const verify = slackSignatureCheck(verifier);
  slashCommandRoute(app, commands, verify);
  interactivityRoute(app, commands, verify, slackResponder(prefixes), conf.controlChannelId);
}

/** Refuses a request that is not a form signed by Slack (recently). */
function slackSignatureCheck(verifier: SlackVerifier): Verify {
  return async (request: FastifyRequest) => {
    const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== FORM) throw errors.unsupportedMediaType(type);
    const raw = request.rawBody ?? Buffer.alloc(0);
    const r = verifier.verify(request.headers['x-slack-request-timestamp'], request.headers['x-slack-signature'], raw);
    if (!r.ok) {
      request.log.warn({ refusal: r.refusal }, 'Slack request refused');
      throw errors.unauthorized(`Slack request refused: ${r.message}`);
    }
  };
}

/** Posts a reply to Slack's response_url (only Slack's own URLs); failures are logged, never thrown. */
function slackResponder(prefixes: string[]): Respond {
  return (url: string, body: object, request: FastifyRequest): void => {
    if (!prefixes.some((p) => url.startsWith(p))) {
      request.log.warn('Slack response_url refused: not one of the allowed prefixes');
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 5000);
    timer.unref();
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ctl.signal })
      .then((res) => res.arrayBuffer())
      .catch(() => request.log.warn('Slack response_url post failed'))
      .finally(() => clearTimeout(timer));
  };
}

/** POST /slack/commands: /fobgate and /oops-clear. */
function slashCommandRoute(app: FastifyInstance, commands: SlackCommands, verify: Verify): void {
  app.post(
    '/slack/commands',
    {
      schema: { tags, summary: 'Slack slash commands /fobgate and /oops-clear (signed by Slack; form-encoded)', consumes: [FORM] },
      preHandler: verify,
    },
    async (request, reply) => {
      const form = request.body as URLSearchParams;
      const command = field(form, 'command');
      if (command !== '/fobgate' && command !== '/oops-clear') {
        return { response_type: 'ephemeral', text: `Unknown command ${slackEscape(command || '(none)')}: fobgate answers /fobgate and /oops-clear.` };
      }
      const user: SlackUser = { id: field(form, 'user_id'), name: field(form, 'user_name') || field(form, 'user_id') || 'someone' };
      const answer = await commands.slash(command, field(form, 'text'), user, field(form, 'channel_id'), request.receivedAt);
      if (answer === null) return reply.code(200).send();
      return { response_type: answer.response_type, text: slackEscape(answer.text), ...(answer.blocks ? { blocks: answer.blocks } : {}) };
    },
  );
}

/** POST /slack/interactivity: the Clear button under an oops alert and the /oops-clear menu. */
function interactivityRoute(app: FastifyInstance, commands: SlackCommands, verify: Verify, respond: Respond, controlChannelId: string): void {
  app.post(
    '/slack/interactivity',
    {
      schema: { tags, summary: 'Slack interactivity: the Clear button and the /oops-clear menu (signed by Slack; form-encoded)', consumes: [FORM] },
      preHandler: verify,
    },
    async (request, reply) => {
      const form = request.body as URLSearchParams;
      let payload: ActionPayload;
      try {
        payload = JSON.parse(field(form, 'payload')) as ActionPayload;
      } catch {
        throw errors.badRequest('body/payload: not a JSON document');
      }
      if (!payload || typeof payload !== 'object' || payload.type !== 'block_actions' || !Array.isArray(payload.actions) || payload.actions.length === 0) {
        // Slack sends other interaction types we do not use: acknowledge and ignore
        return reply.code(200).send();
      }
      const action = payload.actions[0];
      const actionId = str(action.action_id);
      const responseUrl = str(payload.response_url);
      const user: SlackUser = {
        id: str(payload.user && payload.user.id),
        name: str(payload.user && payload.user.username) || str(payload.user && payload.user.name) || str(payload.user && payload.user.id) || 'someone',
      };
      const channel = str(payload.channel && payload.channel.id);
      if (actionId !== CLEAR_ACTION && actionId !== CLEAR_SELECT_ACTION) return reply.code(200).send();
      const say = (text: string, replace: boolean) =>
        respond(responseUrl, { response_type: 'ephemeral', replace_original: replace, text: slackEscape(text) }, request);
      if (channel !== controlChannelId) {
        say(channelRefusal(actionId === CLEAR_ACTION ? 'Clear' : '/oops-clear'), false);
        return reply.code(200).send();
      }
      const name = actionId === CLEAR_ACTION ? str(action.value) : str(action.selected_option && action.selected_option.value);
      const m = commands.findMachine(name);
      if (!m) {
        say(`Invalid machine name or alias '${name}'. Use status command to list all machines.`, false);
        return reply.code(200).send();
      }
      commands.audit(m.name, actionId === CLEAR_ACTION ? 'Clear button' : '/oops-clear menu', user);
      const said = await commands.clear(m, user, request.receivedAt);
      if (actionId === CLEAR_SELECT_ACTION) {
        say(said ?? `Machine ${m.display_name} cleared.`, true);
      } else if (said === null) {
        // the alert keeps its text; the button gives way to who cleared it
        const original = str(payload.message && payload.message.text);
        respond(
          responseUrl,
          {
            replace_original: true,
            text: original,
            blocks: [
              { type: 'section', text: { type: 'mrkdwn', text: original } },
              { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`Cleared by ${user.name} via Slack.`) }] },
            ],
          },
          request,
        );
      } else {
        say(said, false);
      }
      return reply.code(200).send();
    },
  );
}
