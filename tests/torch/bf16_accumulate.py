#!/usr/bin/env python3
"""tests/torch/bf16_accumulate.py — PyTorch's own bf16 accumulation of an accumlab group.

Reads JSON on stdin: {cases: [{sizes, activation, init (flat, parameters() order), x (rows),
y (class indices), k, dtype}]}; for each case builds nn.Sequential(Linear, act, ..., Linear)
with those parameters, takes the k samples as k micro-batches of one (mean cross entropy / k,
the scale_loss loop), and accumulates each micro-batch's float32 gradient in .grad held in
bfloat16 (or float16): acc = acc + g.to(dtype), as a bf16 .grad does. Prints JSON:
{cases: [{acc: [...float32 values of the bf16 sums...], fp32: [...the float32 sum...]}]}.
"""
import json
import sys

import torch
from torch import nn

ACT = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "identity": nn.Identity}


def model_of(sizes, activation, init):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(ACT[activation]())
    model = nn.Sequential(*layers)
    with torch.no_grad():
        flat = torch.tensor(init, dtype=torch.float32)
        nn.utils.vector_to_parameters(flat, model.parameters())
    return model


def run(case):
    model = model_of(case["sizes"], case["activation"], case["init"])
    params = list(model.parameters())
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[case["dtype"]]
    x = torch.tensor(case["x"], dtype=torch.float32)
    y = torch.tensor(case["y"], dtype=torch.long)
    k = case["k"]
    acc, fp32 = None, None
    for j in range(k):  # micro-batches of one sample
        loss = nn.functional.cross_entropy(model(x[j:j + 1]), y[j:j + 1]) / k
        g = torch.cat([t.reshape(-1) for t in torch.autograd.grad(loss, params)])
        acc = g.to(dtype) if acc is None else acc + g.to(dtype)
        fp32 = g if fp32 is None else fp32 + g
    return {"acc": acc.float().tolist(), "fp32": fp32.tolist()}


def main():
    cases = json.load(sys.stdin)["cases"]
    print(json.dumps({"torch": torch.__version__, "cases": [run(c) for c in cases]}))


if __name__ == "__main__":
    main()
