#!/usr/bin/python3
"""tests/torch/check_init.py — core/torch_rng.c against real PyTorch, bit for bit.

Builds tests/torch/torch_init_dump.c with gcc, then compares its output with PyTorch's for:
the raw mt19937 stream after torch.manual_seed, nn.Linear's init bounds (double bits), whole
nn.Sequential parameter vectors (float32 bits; with and without BatchNorm1d/LayerNorm, in the
module order core/model.c's layout implies), torch.rand of many shapes and sizes up to 100000
elements, and tensor.uniform_(from, to) on awkward bounds. Prints every failing case with its
first differing index, and exits 1 if there was one. The Python models vary the activations
and add Dropout (none of them draws); the C driver's layout has the same parameters.

Run: /usr/bin/python3 tests/torch/check_init.py [--capability default|avx2|avx512|all] [--wasm]
(ATEN_CPU_CAPABILITY picks the kernel build torch dispatches to; 'all' runs each one.
--wasm also builds the driver with emcc, SIMD and scalar, with the shipped modules' code flags,
and requires every answer of both to equal the native one.)
"""
import argparse
import math
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "torch_init_dump")
WASM_DIR = os.path.join(ROOT, "build", "torch_init_dump_wasm")
WASM_BINS = []   # node scripts of the wasm builds, when --wasm

SEEDS = [0, 1, 2, 2**40 + 7]
ARCHS = [[4, 8, 2], [2, 16, 16, 2], [64, 32, 10], [1, 1], [3, 5, 7, 2], [784, 512, 10],
         [5, 4, 3, 2, 1, 2, 3, 4, 5], [4096, 3]]
NORMS = ["none", "batchnorm", "layernorm"]


def build():
    srcs = sorted(os.path.join(ROOT, "core", f) for f in os.listdir(os.path.join(ROOT, "core")) if f.endswith(".c"))
    os.makedirs(os.path.dirname(BIN), exist_ok=True)
    cmd = ["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-ffp-contract=off",
           "-fno-math-errno", "-Werror", "-I" + os.path.join(ROOT, "core"),
           os.path.join(ROOT, "tests", "torch", "torch_init_dump.c")] + srcs + ["-lm", "-o", BIN]
    subprocess.run(cmd, check=True)


def build_wasm():
    """The driver as WebAssembly: objects compiled with the Makefile's EMFLAGS code options,
    linked into one Node script (the wasm inlined) per build."""
    srcs = [os.path.join(ROOT, "tests", "torch", "torch_init_dump.c")] + sorted(
        os.path.join(ROOT, "core", f) for f in os.listdir(os.path.join(ROOT, "core")) if f.endswith(".c"))
    for kind, extra in (("simd", ["-msimd128"]), ("scalar", [])):
        d = os.path.join(WASM_DIR, kind)
        os.makedirs(d, exist_ok=True)
        objs = []
        for src in srcs:
            obj = os.path.join(d, os.path.basename(src)[:-2] + ".o")
            subprocess.run(["emcc", "-O3", "-fno-slp-vectorize", "-std=c11", "-ffp-contract=off", "-fno-math-errno",
                            "-I" + os.path.join(ROOT, "core"), "-c", src, "-o", obj] + extra, check=True)
            objs.append(obj)
        js = os.path.join(d, "torch_init_dump.js")
        subprocess.run(["emcc", "-O0", "-sALLOW_MEMORY_GROWTH=1", "-sSINGLE_FILE=1", "-sWASM_ASYNC_COMPILATION=0",
                        "-sENVIRONMENT=node"] + objs + ["-o", js], check=True)
        cjs = js[:-3] + ".cjs"   # the repo's package.json says "type": "module"
        os.replace(js, cjs)
        WASM_BINS.append(cjs)


KERNEL = []   # ["--unfused"] when torch runs its DEFAULT (no AVX2) kernels
WASM_RUNS = [0]


def c_lines(*args):
    argv = KERNEL + [str(a) for a in args]
    out = subprocess.run([BIN] + argv, check=True, capture_output=True, text=True).stdout
    for js in WASM_BINS:
        w = subprocess.run(["node", js] + argv, check=True, capture_output=True, text=True).stdout
        if w != out:
            sys.exit(f"FAIL wasm {js} {' '.join(argv)}: differs from the native build")
        WASM_RUNS[0] += 1
    return out.split()


def c_floats(*args):
    return [int(x, 16) for x in c_lines(*args)]


def float_bits(t):
    """A float32 tensor's values as unsigned 32-bit patterns, flattened row-major."""
    import torch
    assert t.dtype == torch.float32
    return [v & 0xffffffff for v in t.detach().contiguous().reshape(-1).view(torch.int32).tolist()]


def double_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


class Report:
    def __init__(self):
        self.cases = self.failed = self.values = 0

    def compare(self, name, want, got, fmt="{:08x}"):
        self.cases += 1
        self.values += len(want)
        if want == got:
            return True
        self.failed += 1
        if len(want) != len(got):
            print(f"FAIL {name}: torch has {len(want)} values, C has {len(got)}")
        else:
            i = next(i for i in range(len(want)) if want[i] != got[i])
            nbad = sum(a != b for a, b in zip(want, got))
            print(f"FAIL {name}: first difference at index {i}: torch " + fmt.format(want[i]) +
                  ", C " + fmt.format(got[i]) + f" ({nbad} of {len(want)} differ)")
        return False


def sequential(sizes, norm, act_i):
    import torch.nn as nn
    acts = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.Identity]
    mods = []
    L = len(sizes) - 1
    for l in range(L):
        mods.append(nn.Linear(sizes[l], sizes[l + 1]))
        if l < L - 1:
            if norm == "batchnorm":
                mods.append(nn.BatchNorm1d(sizes[l + 1]))
            elif norm == "layernorm":
                mods.append(nn.LayerNorm(sizes[l + 1]))
            mods.append(acts[(act_i + l) % len(acts)]())
            if (act_i + l) % 2:
                mods.append(nn.Dropout(0.25))
    return nn.Sequential(*mods)


def run_checks():
    import torch
    import torch.nn as nn
    r = Report()
    cap = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability usage" in l]
    cap = cap[0] if cap else "unknown"
    fused = cap in ("AVX2", "AVX512")
    KERNEL[:] = [] if fused else ["--unfused"]
    print(f"torch {torch.__version__}, CPU capability usage {cap}: comparing with "
          + ("al_torch_uniform (fused multiply-add)" if fused else "al_torch_uniform_unfused"))

    # 1. the raw 32-bit stream: random_(-2**63, None) on int64 is one random64() = hi << 32 | lo each
    for seed in SEEDS + [5489, 2**32 - 1, 2**32, 2**64 - 1]:
        torch.manual_seed(seed)
        want = []
        for v in torch.empty(1500, dtype=torch.int64).random_(-2**63, None).tolist():
            v &= 2**64 - 1
            want += [v >> 32, v & 0xffffffff]
        r.compare(f"mt19937 raw seed={seed}", want, [int(x) for x in c_lines("raw", seed, 3000)], "{}")

    # 2. nn.Linear's bounds, as init.py and linear.py compute them (double bits)
    maxfan = 4096
    want = []
    for fan in range(1, maxfan + 1):
        gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
        bw = math.sqrt(3.0) * (gain / math.sqrt(fan))
        bb = 1 / math.sqrt(fan)
        want += [double_bits(bw), double_bits(bb)]
    r.compare(f"linear bounds fan_in 1..{maxfan}", want, [int(x, 16) for x in c_lines("bounds", maxfan)], "{:016x}")

    # 3. whole models: torch.manual_seed(seed); nn.Sequential(...).parameters()
    for ai, sizes in enumerate(ARCHS):
        for norm in NORMS:
            if len(sizes) == 2 and norm != "none":
                continue   # no hidden layer: no norm
            for seed in SEEDS:
                torch.manual_seed(seed)
                model = sequential(sizes, norm, ai)
                want = float_bits(torch.cat([p.reshape(-1) for p in model.parameters()]))
                r.compare(f"params {sizes} {norm} seed={seed}", want, c_floats("params", seed, norm, *sizes))

    # the brief's case, written out
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    want = float_bits(torch.cat([p.reshape(-1) for p in model.parameters()]))
    r.compare("torch.manual_seed(2); Sequential(Linear(4,8), ReLU(), Linear(8,2))", want,
              c_floats("params", 2, "none", 4, 8, 2))

    # 4. torch.rand of several shapes and sizes (to 100000 elements: one serial code path?)
    shapes = [(n, c) for n in (1, 7, 100, 1000) for c in (4, 2)]
    shapes += [(n,) for n in (1, 15, 16, 17, 623, 624, 625, 1248, 4096, 32768, 32769, 65536, 100000)]
    shapes += [(25000, 4), (50000, 2), (1, 100000), (100, 1000)]
    for shape in shapes:
        for seed in SEEDS:
            torch.manual_seed(seed)
            want = float_bits(torch.rand(*shape))
            r.compare(f"rand{shape} seed={seed}", want, c_floats("rand", seed, math.prod(shape)))
    # draws continue the stream across calls
    torch.manual_seed(3)
    want = float_bits(torch.rand(7)) + float_bits(torch.rand(5, 4)) + float_bits(torch.rand(1000))
    r.compare("rand(7), rand(5, 4), rand(1000) in a row, seed=3", want, c_floats("rand", 3, 7 + 20 + 1000))

    # 5. uniform_ on awkward bounds (not float32-representable, wide, negative, tiny, equal)
    bounds = [(-3.0, 5.0), (0.1, 0.7), (-1e-3, 2.5), (-0.5, -0.25), (1e-8, 3e-8), (-100.0, 1e4),
              (0.3, 0.3), (-1 / math.sqrt(3), 1 / math.sqrt(3)),
              # a tiny `from`: x * (to - from) lands on a float midpoint and only the tiny
              # term decides the rounding (an FMA emulated by rounding in double gets ~10% wrong)
              (1e-30, 3.0), (-1e-30, 3.0), (2.0**-60, 7.0), (1e-20, 5.0)]
    for fan in (1, 3, 7, 10, 64, 100, 784, 1000, 4095):
        b = 1 / math.sqrt(fan)
        bounds.append((-b, b))
    for lo, hi in bounds:
        for seed in SEEDS[:2]:
            torch.manual_seed(seed)
            want = float_bits(torch.empty(5000).uniform_(lo, hi))
            r.compare(f"uniform_({lo!r}, {hi!r}) seed={seed}", want,
                      c_floats("uniform", seed, 5000, lo.hex(), hi.hex()))
    for n in (100000,):
        torch.manual_seed(1)
        want = float_bits(torch.empty(n).uniform_(-0.7, 0.3))
        r.compare(f"uniform_(-0.7, 0.3) n={n}", want, c_floats("uniform", 1, n, (-0.7).hex(), (0.3).hex()))

    print(f"{r.cases - r.failed} of {r.cases} cases match bit for bit ({r.values} values compared)")
    if WASM_BINS:
        print(f"wasm: {WASM_RUNS[0]} runs of the SIMD and scalar builds, every output equal to native")
    return r.failed == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capability", default=None, help="default|avx2|avx512|all (sets ATEN_CPU_CAPABILITY)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--wasm", action="store_true", help="also compare the emcc builds (SIMD, scalar) with native")
    args = ap.parse_args()
    if not args.no_build:
        build()
        if args.wasm:
            build_wasm()
    elif args.wasm:
        WASM_BINS.extend(os.path.join(WASM_DIR, k, "torch_init_dump.cjs") for k in ("simd", "scalar"))
    if args.capability == "all":
        ok = True
        for cap in ("default", "avx2", "avx512"):
            print(f"== ATEN_CPU_CAPABILITY={cap}", flush=True)
            env = dict(os.environ, ATEN_CPU_CAPABILITY=cap)
            ok &= subprocess.run([sys.executable, os.path.abspath(__file__), "--no-build"]
                                 + (["--wasm"] if args.wasm else []), env=env).returncode == 0
        sys.exit(0 if ok else 1)
    if args.capability:
        os.environ["ATEN_CPU_CAPABILITY"] = args.capability   # read when torch loads
    sys.exit(0 if run_checks() else 1)


if __name__ == "__main__":
    main()
