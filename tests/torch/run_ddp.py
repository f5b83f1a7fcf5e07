#!/usr/bin/env python3
"""Runs exported DDP scripts (`accumlab export-torch --ddp`) of one world size W on one set of W
ranks, so that PyTorch is imported once per rank, not once per script and rank.

Usage: /usr/bin/python3 tests/torch/run_ddp.py W SCRIPT...
Each script runs twice, as `python3 SCRIPT --json --gradients` and with --float64 as well: its
own train(rank, port) on each of the W ranks, as its main() runs it, in a gloo process group of
its own (a store on a free port in this process; the script's train joins the group and
destroys it). One JSON line per script: {"script", "result", "float64"} or {"script", "error"}
(a rank's traceback; the others fail in their next all-reduce, after --timeout).
"""
import contextlib
import datetime
import io
import json
import os
import runpy
import socket
import sys
import traceback
import warnings

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

TIMEOUT = 60  # seconds: a rank that waits longer for the others fails (the script's --timeout)


def rank_main(rank, tasks, answers):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # the scripts' own warnings (a scheduler stepped before the optimizer) are on purpose
    while True:
        task = tasks.get()
        if task is None:
            return
        path, flags, port = task
        out = io.StringIO()
        try:
            sys.argv = [path, "--json", "--gradients", "--timeout", str(TIMEOUT), *flags]
            with contextlib.redirect_stdout(out):
                script = runpy.run_path(path, run_name="accumlab_ddp_script")  # not __main__: no spawn of its own
                script["train"](rank, port)
            answers.put((rank, out.getvalue(), None))
        except BaseException:
            answers.put((rank, None, traceback.format_exc(limit=6)))
            if dist.is_initialized():
                dist.destroy_process_group()


def main():
    W, paths = int(sys.argv[1]), sys.argv[2:]
    names = [name for _, name in socket.if_nameindex()]
    os.environ.setdefault("GLOO_SOCKET_IFNAME", next((n for n in names if n.startswith("lo")), "lo"))
    context = mp.get_context("spawn")
    tasks, answers = [context.Queue() for _ in range(W)], context.Queue()
    ranks = [context.Process(target=rank_main, args=(r, tasks[r], answers), daemon=True) for r in range(W)]
    for p in ranks:
        p.start()
    try:
        for path in paths:
            line = {"script": path}
            for key, flags in (("result", []), ("float64", ["--float64"])):
                store = dist.TCPStore("127.0.0.1", 0, None, True, timeout=datetime.timedelta(seconds=TIMEOUT), wait_for_workers=False)
                for q in tasks:
                    q.put((path, flags, store.port))
                got = sorted(answers.get(timeout=3 * TIMEOUT) for _ in range(W))
                del store
                errors = [f"rank {r}: {e}" for r, _, e in got if e]
                if errors:
                    line = {"script": path, "error": "\n".join(errors)}
                    break
                line[key] = json.loads(got[0][1])
            print(json.dumps(line), flush=True)
    finally:
        for q in tasks:
            q.put(None)
        for p in ranks:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()


if __name__ == "__main__":
    main()
