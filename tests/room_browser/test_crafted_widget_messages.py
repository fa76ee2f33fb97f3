"""A visitor's own page, in Chromium, sends what its JavaScript could send: messages to the
page's Vue template widgets that ipyvue would answer by importing a module and calling a
function in the server. The server runs none of them, and says so in its log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

HOOK = r"""
(() => {
  const Orig = window.WebSocket;
  window.__models = {}; window.__sent = []; window.__ws = [];
  function seen(msg) {
    if (!msg || !msg.header) return;
    const c = msg.content || {};
    if (msg.header.msg_type === 'comm_open') window.__models[c.comm_id] = (c.data || {}).state || {};
  }
  function binary(buf) {  // Jupyter's binary frame: offsets, then the message as JSON
    try {
      const dv = new DataView(buf), n = dv.getUint32(0), start = dv.getUint32(4);  // big-endian
      const end = n > 1 ? dv.getUint32(8) : buf.byteLength;
      return JSON.parse(new TextDecoder().decode(new Uint8Array(buf, start, end - start)));
    } catch (e) { return null; }
  }
  class Hooked extends Orig {
    constructor(...a) {
      super(...a);
      window.__ws.push(this);
      this.addEventListener('message', (ev) => {
        const d = ev.data;
        if (typeof d === 'string') { try { seen(JSON.parse(d)); } catch (e) {} }
        else if (d instanceof ArrayBuffer) seen(binary(d));
        else if (d instanceof Blob) d.arrayBuffer().then(b => seen(binary(b)));
      });
      const send = this.send.bind(this);
      this.send = (x) => { if (typeof x === 'string') window.__sent.push(x); return send(x); };
    }
  }
  window.WebSocket = Hooked;
  window.__templates = () => Object.entries(window.__models)
    .filter(([id, s]) => /Vue(tify)?TemplateModel/.test(s._model_name || '')).map(([id]) => id);
  window.__custom = (commId, content) => {
    const ws = window.__ws.filter(w => w.readyState === 1 && /channels/.test(w.url)).pop();
    const like = JSON.parse(window.__sent.find(x => x.includes('"comm_msg"')) || window.__sent[0]);
    ws.send(JSON.stringify({
      header: Object.assign({}, like.header, {msg_id: 'crafted-' + Math.random(),
                                              msg_type: 'comm_msg'}),
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: {comm_id: commId, data: {method: 'custom', content: content}}}));
  };
})();
"""


def _log_has(log: Path, text: str, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return True
        time.sleep(0.25)
    return False


def test_no_message_to_a_template_widget_runs_code_in_the_server(open_browser: Any,
                                                                   room_server: Any, tmp_path):
    visitor = open_browser("anonymous visitor")
    visitor.context.add_init_script(HOOK)
    visitor.goto("/join")
    visitor.page.get_by_label("Join code").wait_for()
    templates = visitor.page.evaluate("window.__templates()")
    assert templates, "the page holds template widgets (the browser store at least)"
    written = tmp_path / "opened-by-a-page.txt"
    for i, model in enumerate(templates):
        # logging.basicConfig takes any keyword (ipyvue adds ``model_id``) and opens the
        # file before it complains of it: the call that truncated the room's database
        for what, props in ((["logging", "basicConfig"], {"filename": str(written),
                                                          "filemode": "w", "force": True}),
                            (["logging", "basicConfig"], {"filename": str(written),
                                                          "filemode": "a", "force": True})):
            visitor.page.evaluate("([m, c]) => window.__custom(m, c)", [model, {
                "create_widget": what, "props": props, "id": f"crafted-{i}"}])
        visitor.page.evaluate("([m, c]) => window.__custom(m, c)", [model, {
            "event": "loaded", "data": {"x": {"functionRef": "close"}}}])
    dropped = _log_has(room_server.log, "was dropped: a widget class the template does not "
                                        "declare")
    time.sleep(1)  # what ipyvue would have run, it would have run by now
    assert not written.exists(), "a page's message ran code in the server"
    assert dropped  # the messages reached the server, which said why it ran none
    visitor.page.get_by_label("Join code").fill("ABC")  # the page still answers
    assert visitor.page.get_by_label("Join code").input_value() == "ABC"
    assert not visitor.errors
