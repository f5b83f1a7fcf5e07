#!/usr/bin/env python3
"""The forum question, as its code reads: the same model trained on a batch of two samples
and by accumulating the two samples one at a time, then torch.allclose on the gradients and
on the parameters. Prints four lines, which tests/node/torch.test.mjs compares with the
verdicts of the lab's forum presets (forum-sum, forum-mean-lr) and their first losses.
Run as /usr/bin/python3 (Debian's python3-torch).
"""
import copy
import json
import sys

import torch
from torch import nn

torch.manual_seed(1)
x = torch.rand(2, 4)
y = torch.rand(2, 2)

torch.manual_seed(2)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def train(reduction, lr_batch, lr_accum, steps=5):
    big, acc = copy.deepcopy(model), copy.deepcopy(model)
    opt_big = torch.optim.SGD(big.parameters(), lr=lr_batch)
    opt_acc = torch.optim.SGD(acc.parameters(), lr=lr_accum)
    criterion = nn.L1Loss(reduction=reduction)
    losses = []
    for _ in range(steps):
        opt_big.zero_grad()
        loss = criterion(big(x), y)          # one batch of both samples
        loss.backward()
        opt_acc.zero_grad()
        for i in range(2):                    # one sample at a time, added in .grad
            criterion(acc(x[i:i + 1]), y[i:i + 1]).backward()
        grads = all(torch.allclose(a.grad, b.grad) for a, b in zip(acc.parameters(), big.parameters()))
        opt_big.step()
        opt_acc.step()
        params = all(torch.allclose(a, b) for a, b in zip(acc.parameters(), big.parameters()))
        losses.append(loss.item() / (1 if reduction == "mean" else y.numel()))
    return grads, params, losses


sum_grads, sum_params, sum_losses = train("sum", 0.1, 0.1)
mean_grads, mean_params, mean_losses = train("mean", 1.0, 0.5)
print(f"sum, lr 0.1: gradients allclose: {sum_grads}")
print(f"sum, lr 0.1: parameters allclose: {sum_params}")
print(f"mean, lr 1.0 vs 0.5: gradients allclose: {mean_grads}")
print(f"mean, lr 1.0 vs 0.5: parameters allclose: {mean_params}")
if "--json" in sys.argv:
    print(json.dumps({"sumLosses": sum_losses, "meanLosses": mean_losses}))
