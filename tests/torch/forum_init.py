# tests/torch/forum_init.py — real PyTorch's numbers for tests/node/torch.test.mjs: reads JSON
# cases on stdin, prints for each the flat float32 parameters of nn.Sequential after
# torch.manual_seed(seed) (as hex bits), and, with data, torch.rand's data and the gradient of
# the mean-squared-error loss of the model on it. Run as /usr/bin/python3 (Debian's torch).
import json, struct, sys
import torch
from torch import nn

ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "identity": nn.Identity}
NORM = {"none": None, "batchnorm": nn.BatchNorm1d, "layernorm": nn.LayerNorm}

def model(sizes, act, norm):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            if NORM[norm]: layers.append(NORM[norm](sizes[i + 1]))
            layers.append(ACT[act]())
    return nn.Sequential(*layers)

def bits(t):
    return [struct.pack(">f", float(v)).hex() for v in t.detach().reshape(-1).tolist()]

out = []
for case in json.load(sys.stdin):
    r = {}
    if "data" in case:  # the forum's example: data seed, then model seed
        d = case["data"]
        torch.manual_seed(d["seed"])
        x = torch.rand(d["n"], 4)
        y = torch.rand(d["n"], 2)
        r["x"], r["y"] = bits(x), bits(y)
    torch.manual_seed(case["seed"])
    m = model(case["sizes"], case["act"], case["norm"])
    r["params"] = [b for p in m.parameters() for b in bits(p)]
    if "data" in case:
        loss = nn.functional.mse_loss(m(x), y)
        loss.backward()
        r["loss"] = loss.item()
        r["grad"] = [v for p in m.parameters() for v in p.grad.reshape(-1).tolist()]
    out.append(r)
print(json.dumps(out))
