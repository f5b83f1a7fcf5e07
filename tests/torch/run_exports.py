#!/usr/bin/env python3
"""Runs exported accumlab scripts in one process (PyTorch is imported once, not per script).

Usage: /usr/bin/python3 tests/torch/run_exports.py SCRIPT...
Each script runs as `python3 SCRIPT --json --gradients` would, then with --float64 as well;
one JSON line per script: {"script": path, "result": <its JSON>, "float64": <its JSON>}, or
{"script": path, "error": traceback}.
"""
import contextlib
import io
import json
import runpy
import sys
import traceback
import warnings

import torch

torch.set_num_threads(1)  # the scripts' sums in one fixed order; two workers share 2 cores
warnings.simplefilter("ignore")  # the scripts' own warnings (a scheduler stepped before the optimizer) are on purpose


def run(path, *flags):
    out = io.StringIO()
    sys.argv = [path, "--json", "--gradients", *flags]
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    return json.loads(out.getvalue())


for path in sys.argv[1:]:
    try:
        line = {"script": path, "result": run(path), "float64": run(path, "--float64")}
    except BaseException:  # a script's SystemExit too: report it, go on with the next
        line = {"script": path, "error": traceback.format_exc(limit=4)}
    print(json.dumps(line), flush=True)
