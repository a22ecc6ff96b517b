"""Runs a dm_mac checkout for the side-by-side comparison (server/compat/README.md).

Comparison tooling only, never part of fobgate. It imports dm_mac from the checkout given on
PYTHONPATH, builds its app exactly as dm_mac's own entry point does (create_app), attaches its
Slack handler without ever connecting to Slack, and serves it on 127.0.0.1 only.

Slack: every chat.postMessage dm_mac makes is posted as JSON {"channel", "text", "seq"} to
DM_MAC_SLACK_RECEIVER (a local HTTP receiver run by the driver); `seq` keeps the order in which
dm_mac made the calls (it fires them as separate tasks, so they may arrive out of order).

The Slack client libraries (slack_bolt, slack_sdk) and quart_schema are not packaged by Debian;
when they are missing, minimal stand-ins are installed in sys.modules below: quart_schema's
decorators only document routes (no validation), and the stand-in Slack client records the
message text, which is all dm_mac uses of it for posting.

Environment: USERS_CONFIG, MACHINES_CONFIG, MACHINE_STATE_DIR (dm_mac's own), DM_MAC_PORT,
DM_MAC_SLACK_RECEIVER (optional: without it Slack is off, as in dm_mac without a token).
"""

import asyncio
import itertools
import json
import os
import sys
import types
import urllib.request

CONTROL_CHANNEL = "CCONTROL"
OOPS_CHANNEL = "COOPS"
_seq = itertools.count(1)


def _post_to_receiver(url: str, payload: dict) -> None:
    data = json.dumps(payload).encode("utf-8")
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()


class _RecordingClient:
    """Stand-in for slack_sdk's AsyncWebClient: chat_postMessage goes to the local receiver."""

    def __init__(self, url: str):
        self._url = url

    async def chat_postMessage(self, channel: str, text: str, **_kw):  # noqa: N802 (Slack's name)
        # Numbered before the first await, i.e. in the order dm_mac created the tasks.
        payload = {"channel": channel, "text": text, "seq": next(_seq)}
        if self._url:
            await asyncio.get_running_loop().run_in_executor(None, _post_to_receiver, self._url, payload)
        return {"ok": True}


def _install_stand_ins(receiver: str) -> None:
    try:
        import quart_schema  # noqa: F401
    except ImportError:
        qs = types.ModuleType("quart_schema")

        class QuartSchema:  # noqa: D401 - documentation only in the real library
            def __init__(self, app=None, **_kw):
                self.app = app

        def _passthrough(*_a, **_kw):
            def deco(fn):
                return fn

            return deco

        qs.QuartSchema = QuartSchema
        qs.document_request = _passthrough
        qs.document_response = _passthrough
        qs.tag = _passthrough
        sys.modules["quart_schema"] = qs

    try:
        import slack_bolt  # noqa: F401
        import slack_sdk  # noqa: F401
    except ImportError:
        def module(name: str) -> types.ModuleType:
            m = types.ModuleType(name)
            sys.modules[name] = m
            return m

        for name in [
            "slack_bolt",
            "slack_bolt.adapter",
            "slack_bolt.adapter.socket_mode",
            "slack_bolt.context",
            "slack_bolt.context.ack",
            "slack_bolt.context.say",
            "slack_sdk",
            "slack_sdk.web",
        ]:
            module(name)

        class AsyncApp:
            def __init__(self, token=None, signing_secret=None, **_kw):
                self.client = _RecordingClient(receiver)

            def _register(self, *_a, **_kw):
                def deco(fn):
                    return fn

                return deco

            event = command = view = _register

        class AsyncSocketModeHandler:  # never started here
            def __init__(self, *_a, **_kw):
                raise RuntimeError("socket mode is not available in the comparison")

        class _Placeholder:
            pass

        module("slack_bolt.async_app").AsyncApp = AsyncApp
        module("slack_bolt.adapter.socket_mode.async_handler").AsyncSocketModeHandler = AsyncSocketModeHandler
        module("slack_bolt.context.ack.async_ack").AsyncAck = _Placeholder
        module("slack_bolt.context.say.async_say").AsyncSay = _Placeholder
        module("slack_sdk.web.async_client").AsyncWebClient = _RecordingClient
        module("slack_sdk.web.async_slack_response").AsyncSlackResponse = _Placeholder


def main() -> None:
    receiver = os.environ.get("DM_MAC_SLACK_RECEIVER", "")
    port = int(os.environ.get("DM_MAC_PORT", "5000"))
    _install_stand_ins(receiver)

    import dm_mac  # the checkout on PYTHONPATH
    from dm_mac.slack_handler import SlackHandler
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    app = dm_mac.create_app()
    if receiver:
        os.environ.setdefault("SLACK_CONTROL_CHANNEL_ID", CONTROL_CHANNEL)
        os.environ.setdefault("SLACK_OOPS_CHANNEL_ID", OOPS_CHANNEL)
        os.environ.setdefault("SLACK_BOT_TOKEN", "xoxb-comparison-only")
        os.environ.setdefault("SLACK_SIGNING_SECRET", "comparison-only")
        slack = SlackHandler(app)
        client = slack.app.client
        if not isinstance(client, _RecordingClient):
            # the real slack_sdk: send its Web API calls to the local receiver instead
            client.base_url = receiver.rstrip("/") + "/"
        app.config.update({"SLACK_HANDLER": slack})

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = "-"
    print(f"dm_mac comparison server on 127.0.0.1:{port}", flush=True)
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
