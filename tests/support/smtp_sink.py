#!/usr/bin/env python3
"""A real SMTP server for Safety Net's tests (aiosmtpd), listening on loopback only.

Usage:
    python smtp_sink.py --dir DIR [--port 0]
                        [--starttls-cert CERT --starttls-key KEY] [--require-starttls]
                        [--auth-user U --auth-pass P]
                        [--reply-code 451] [--delay-ms 200] [--discard]
                        [--exit-on-stdin-eof] [--verbose]

When it is listening, it prints exactly one line, `PORT <n>`, to stdout and flushes. Nothing
else is written to stdout.

Each accepted message N (1, 2, 3, ... counting on from the highest number already in DIR) is
stored as:
    DIR/N.rcpt  the envelope recipients (RCPT TO), one per line
    DIR/N.eml   the raw DATA bytes exactly as received (after SMTP dot-unstuffing), nothing added
Both files are written to a hidden temporary name and then renamed, so a reader never sees a
partial file. `N.rcpt` is renamed into place before `N.eml`, so when `N.eml` exists, `N.rcpt`
exists too.

--reply-code CODE   answer every DATA with CODE (4xx or 5xx) and store nothing (for retry tests).
--discard          accept every message and store nothing (for `safetynet bench`, which
                    measures the sender, not this server's disk writes).
--delay-ms MS       wait this long after each DATA before storing and answering it (a slow
                    mail server; other connections carry on meanwhile).
--auth-user/--auth-pass
                    require AUTH PLAIN or AUTH LOGIN with these credentials. Plain-text AUTH is
                    allowed without TLS, because this is a loopback test server.
--starttls-cert/--starttls-key
                    offer STARTTLS with this certificate. --require-starttls makes the client
                    use it before MAIL.
--exit-on-stdin-eof exit when stdin closes. Use it with a piped stdin so the sink goes away
                    when the test process that started it dies.

The sink exits cleanly (status 0) on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import logging
import os
import re
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_SEQ_FILE = re.compile(r"^(\d+)\.(eml|rcpt)$")


def _atomic_write(directory: str, name: str, data: bytes) -> None:
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
    os.replace(tmp, os.path.join(directory, name))


class SinkHandler:
    def __init__(self, directory: str, reply_code: int | None, verbose: bool, delay_ms: int = 0,
                 discard: bool = False):
        self.directory = directory
        self.discard = discard
        self.reply_code = reply_code
        self.delay_ms = delay_ms
        self.verbose = verbose
        existing = [
            int(m.group(1)) for m in (_SEQ_FILE.match(n) for n in os.listdir(directory)) if m
        ]
        self.next_seq = max(existing, default=0) + 1
        self.rejected = 0

    async def handle_DATA(self, server, session, envelope):
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if self.reply_code is not None:
            self.rejected += 1
            if self.verbose:
                print(f"smtp_sink: rejected message {self.rejected} with {self.reply_code}",
                      file=sys.stderr, flush=True)
            cls = self.reply_code // 100
            return f"{self.reply_code} {cls}.0.0 Test sink answers every message with {self.reply_code}"

        seq = self.next_seq
        self.next_seq += 1
        if self.discard:
            return "250 2.0.0 OK: discarded"
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        rcpts = "".join(f"{r}\n" for r in envelope.rcpt_tos).encode("utf-8")
        _atomic_write(self.directory, f"{seq}.rcpt", rcpts)
        _atomic_write(self.directory, f"{seq}.eml", raw)
        if self.verbose:
            print(f"smtp_sink: stored {seq}.eml ({len(raw)} bytes) for {envelope.rcpt_tos}",
                  file=sys.stderr, flush=True)
        return "250 2.0.0 OK: stored"


def _authenticator(user: str, password: str):
    want = (user.encode("utf-8"), password.encode("utf-8"))

    def authenticate(server, session, envelope, mechanism, auth_data):
        # handled=False makes aiosmtpd send "535 5.7.8 Authentication credentials invalid".
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == want:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return authenticate


def _parse_args(argv):
    p = argparse.ArgumentParser(description="SMTP sink for Safety Net tests (loopback only).")
    p.add_argument("--dir", required=True, help="where received messages are written")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--starttls-cert")
    p.add_argument("--starttls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-pass")
    p.add_argument("--reply-code", type=int,
                   help="answer every DATA with this 4xx/5xx code and store nothing")
    p.add_argument("--delay-ms", type=int, default=0,
                   help="wait this many milliseconds before answering each DATA")
    p.add_argument("--discard", action="store_true", help="accept every message, store nothing")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    p.add_argument("--verbose", action="store_true", help="log to stderr")
    args = p.parse_args(argv)
    if (args.starttls_cert is None) != (args.starttls_key is None):
        p.error("--starttls-cert and --starttls-key go together")
    if args.require_starttls and args.starttls_cert is None:
        p.error("--require-starttls needs --starttls-cert and --starttls-key")
    if (args.auth_user is None) != (args.auth_pass is None):
        p.error("--auth-user and --auth-pass go together")
    if args.reply_code is not None and not 400 <= args.reply_code <= 599:
        p.error("--reply-code must be a 4xx or 5xx code")
    return args


async def _serve(args) -> None:
    os.makedirs(args.dir, exist_ok=True)
    handler = SinkHandler(args.dir, args.reply_code, args.verbose, args.delay_ms, args.discard)

    tls_context = None
    if args.starttls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.starttls_cert, args.starttls_key)

    smtp_kwargs = dict(
        hostname="localhost",  # never let aiosmtpd look up the FQDN: there is no DNS here
        tls_context=tls_context,
        require_starttls=args.require_starttls,
        enable_SMTPUTF8=True,
    )
    if args.auth_user is not None:
        smtp_kwargs.update(
            authenticator=_authenticator(args.auth_user, args.auth_pass),
            auth_required=True,
            auth_require_tls=False,
        )

    loop = asyncio.get_running_loop()
    if not args.verbose:
        loop.set_exception_handler(lambda _loop, _ctx: None)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        fd = sys.stdin.fileno()

        def on_stdin():
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                stop.set()

        loop.add_reader(fd, on_stdin)

    server = await loop.create_server(lambda: SMTP(handler, **smtp_kwargs), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()

    await stop.wait()
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), timeout=2)
    except (asyncio.TimeoutError, Exception):
        pass


def main(argv=None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    else:
        # aiosmtpd warns about AUTH without TLS and logs client errors; keep stderr quiet so a
        # test harness that never reads stderr can't fill the pipe.
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
