"""Frame flood: hostile WebSocket traffic against a real uvicorn process of Samen, from raw sockets.

    python -m bench.frame_flood                      # 100,000 frames
    python -m bench.frame_flood --frames 5000 --keep # a short run; keep the server log

One uvicorn process (flags as in the Procfile, via tests.support.server.Server: the same WebSocket protocol, no
compression, the 64 KiB frame cap, pings) on its own SQLite database with the demo event and some participants
signed in. This process is the client: it opens many TCP connections, each running one scenario, until
``--frames`` frames have been written:

- after a proper handshake (a participant's cookie, the right Origin): text, binary, invalid UTF-8, reserved bits,
  reserved opcodes, unmasked client frames, frames over 64 KiB, lengths of 2^40 and 2^63, continuation frames
  without a start, a new message inside a fragmented one, fragments adding up to more than 64 KiB, control frames
  interleaved with fragments, fragmented and oversized control frames, bad close frames, frames after the close,
  a flood over the per-socket message limit, pings, a connection reset in the middle of a frame, frames sent
  with the handshake before its answer, an HTTP/1.0 handshake;
- handshakes that must be refused, with frames sent anyway: another Origin, no Origin, no cookie, a forged
  cookie, an unknown view or event, a bad key or version, a POST;
- garbage: frame bytes before any handshake, a header line of 100 KB, 300 headers, a request line of 10 KB,
  bytes that are not ASCII in the path, a query string that is not UTF-8 (plain HTTP too).

Measured: frames written, connections, how each one ended (closed by the server with which close code, refused
with which HTTP status, left open), HTTP 5xx seen by the client and in the server log, tracebacks in the log,
/healthz polled during the flood (failures, slowest answer), server RSS before, during and after, and whether the
server afterwards still answers /healthz, serves a participant's page and gives a proper WebSocket client its
snapshot, and how many pages the hub still counts as open (/metrics). Exits 1 if any of that failed, or if a
connection that broke the rules was left open by the server."""

from __future__ import annotations

import argparse
import sys

from tests.support.frame_flood import Config, run, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=Config.concurrency)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server log, database)")
    args = parser.parse_args(argv)
    result = run(Config(frames=args.frames, concurrency=args.concurrency, seed=args.seed, keep=args.keep))
    print(table(result))
    healthy = result.healthz_after and result.page_after and result.snapshot_after
    clean = not (result.client_5xx or result.log_5xx or result.tracebacks or result.left_open)
    return 0 if healthy and clean else 1


if __name__ == "__main__":
    sys.exit(main())
