"""A real HTTP server speaking the OpenAI chat-completions protocol, replying from a script.

``responder(body) -> dict`` decides each reply: {"text": ...}, {"status": 429, "headers": {...}},
{"status": 500}, or {"block": threading.Event, "then": {...}} to hold a request open.
Every request body is recorded so tests can assert on what the agent sent.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def prompt_of(body: dict) -> str:
    return "\n".join(m.get("content") or "" for m in body.get("messages", []))


def is_plan_request(body: dict) -> bool:
    return "Reply with ONE JSON object" in prompt_of(body)


PLAN_JSON = ('{"approach": "scratch", "architecture": "combinational lanes with a pass-through handshake", '
             '"pipeline_stages": 0, "risks": ["sign handling"]}')


class ScriptedServer:
    def __init__(self, responder):
        self.responder = responder
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with server.lock:
                    server.requests.append({"path": self.path, "body": body,
                                            "auth": self.headers.get("authorization", "")})
                    reply = server.responder(body)
                if "block" in reply:
                    reply["block"].wait(60)
                    reply = reply.get("then", {"status": 503})
                try:
                    server._send(self, body, reply)
                except OSError:  # the client was killed while we waited
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _send(handler, body: dict, reply: dict) -> None:
        status = reply.get("status", 200)
        if status != 200:
            payload = json.dumps({"error": {"message": f"scripted {status}", "type": "scripted"}}).encode()
        else:
            text = reply["text"]
            n_in = len(prompt_of(body)) // 4
            n_out = max(1, len(text) // 4)
            payload = json.dumps({
                "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}}).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(payload)))
        for k, v in reply.get("headers", {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(payload)

    def draft_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if not is_plan_request(r["body"])]

    def plan_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if is_plan_request(r["body"])]

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sequence(*draft_replies: dict, plan: dict | None = None):
    """Plan requests get ``plan`` (a valid plan by default); draft requests take the replies in order,
    the last one repeating."""
    queue = list(draft_replies)

    def responder(body: dict) -> dict:
        if is_plan_request(body):
            return dict(plan or {"text": PLAN_JSON})
        return queue.pop(0) if len(queue) > 1 else dict(queue[0])

    return responder
