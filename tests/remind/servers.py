#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd, from PyPI) and a webhook receiver (http.server) for the
reminder tests. Every message the SMTP server accepts is appended as one JSON line to
<out>/mail.jsonl, every POST to <out>/webhook.jsonl. Prints "ready" when both listen,
then serves until killed.

Usage: servers.py --smtp-port P --http-port Q --out DIR
"""
import argparse
import email
import email.policy
import json
import pathlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

LOCK = threading.Lock()


def append(path: pathlib.Path, record: dict) -> None:
    with LOCK, path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


class Mailbox:
    def __init__(self, out: pathlib.Path):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        append(self.out / "mail.jsonl", {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message_id": str(message["Message-ID"]),
            "subject": str(message["Subject"]),
            "body": message.get_body(("plain",)).get_content(),
        })
        return "250 Message accepted for delivery"


def webhook_handler(out: pathlib.Path):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            append(out / "webhook.jsonl", {
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "body": json.loads(body),
            })
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    smtp = Controller(Mailbox(args.out), hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", args.http_port), webhook_handler(args.out))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
