// Block Kit pieces of fobgate's Slack messages: the "Clear" button under an oops alert in the
// control channel, and the menu of oopsed / locked-out machines that `/oops-clear` without a
// machine offers. Both are answered by the interactivity endpoint (routes/slack-commands.ts).
import type { MachineConfig } from '@fobgate/shared';
import type { Core } from '../core-services.js';
import { slackEscape } from '../notifier.js';

export const CLEAR_ACTION = 'fobgate_clear';
export const CLEAR_SELECT_ACTION = 'fobgate_clear_select';

const OOPS_ALERT = /^Machine (.+) oopsed via /;

/** The configured machine whose display name (alias, else name) is `dn`, or null. */
export function machineByDisplayName(core: Core, dn: string): MachineConfig | null {
  for (const name of core.machines.names) {
    const m = core.machines.byName[name];
    if (m.display_name === dn) return m;
  }
  return null;
}

/** The control channel's oops alert as text plus a "Clear" button; null for any other text. */
export function clearButtonBlocks(core: Core, text: string): unknown[] | null {
  const match = OOPS_ALERT.exec(text);
  if (!match) return null;
  const m = machineByDisplayName(core, match[1]);
  if (!m) return null;
  return [
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(text) } },
    {
      type: 'actions',
      block_id: 'fobgate_oops_alert',
      elements: [
        {
          type: 'button',
          action_id: CLEAR_ACTION,
          style: 'primary',
          text: { type: 'plain_text', text: 'Clear' },
          value: m.name,
          confirm: {
            title: { type: 'plain_text', text: 'Clear the oops?' },
            text: { type: 'plain_text', text: `${m.display_name} can be used again once cleared.` },
            confirm: { type: 'plain_text', text: 'Clear' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    },
  ];
}

/** `/oops-clear` without a machine: a menu of the given machines (no default choice). */
export function clearMenuBlocks(machines: MachineConfig[]): unknown[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: 'Which machine should be cleared?' } },
    {
      type: 'actions',
      block_id: 'fobgate_oops_clear',
      elements: [
        {
          type: 'static_select',
          action_id: CLEAR_SELECT_ACTION,
          placeholder: { type: 'plain_text', text: 'Select a machine' },
          options: machines.map((m) => ({ text: { type: 'plain_text', text: m.display_name.slice(0, 75) }, value: m.name })),
        },
      ],
    },
  ];
}
