# Quantization-aware fine-tuning (LSQ-style learned step sizes) of a tabular MLP classifier.
#
# Reproduces: https://github.com/pytorch/pytorch/pull/43018
# ("Fix to Learnable Fake Quantization Op Benchmarking": the non-learnable fake-quantize op
#  was being handed a trainable scale and zero point)
#
# What goes wrong (in my words): the quantizer keeps its step size as an nn.Parameter so that
# it can be learned (LSQ), but it calls torch.fake_quantize_per_tensor_affine, the
# non-learnable op, whose tensor-qparams overload has no derivative for `scale`. The
# calibration pass runs under no_grad and works, but the first training forward with grad
# enabled fails: "The function '_fake_quantize_per_tensor_affine_cachemask_tensor_qparams'
# is not differentiable with respect to argument 'scale'. This input cannot have
# requires_grad True."
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

CFG = {"n_features": 20, "hidden": 64, "classes": 3, "w_bits": 4, "a_bits": 8,
       "float_epochs": 3, "qat_epochs": 6, "lr": 1e-3, "qat_lr": 5e-4}


class LSQQuantizer(nn.Module):
    def __init__(self, bits, signed):
        super().__init__()
        self.qmin, self.qmax = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
        self.scale = nn.Parameter(torch.tensor([1.0]))
        self.register_buffer("zero_point", torch.zeros(1, dtype=torch.int32))
        self.register_buffer("initialized", torch.tensor(False))
        self.grad_factor = 1.0

    @torch.no_grad()
    def calibrate(self, x):
        self.scale.copy_(2 * x.abs().mean() / math.sqrt(self.qmax))
        self.grad_factor = 1.0 / math.sqrt(x.numel() * self.qmax)
        self.initialized.fill_(True)

    def forward(self, x):
        if not self.initialized:
            self.calibrate(x)
        return torch.fake_quantize_per_tensor_affine(x, self.scale, self.zero_point, self.qmin, self.qmax)


class QuantLinear(nn.Linear):
    def __init__(self, in_f, out_f, w_bits, a_bits, signed_input=True):
        super().__init__(in_f, out_f)
        self.weight_quant = LSQQuantizer(w_bits, signed=True)
        self.act_quant = LSQQuantizer(a_bits, signed=signed_input)
        self.quantize = False

    def forward(self, x):
        if not self.quantize:
            return super().forward(x)
        return F.linear(self.act_quant(x), self.weight_quant(self.weight), self.bias)


class TabularMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bn = nn.BatchNorm1d(cfg["n_features"])
        self.fc1 = QuantLinear(cfg["n_features"], cfg["hidden"], cfg["w_bits"], cfg["a_bits"])
        self.fc2 = QuantLinear(cfg["hidden"], cfg["hidden"], cfg["w_bits"], cfg["a_bits"], signed_input=False)
        self.out = QuantLinear(cfg["hidden"], cfg["classes"], cfg["w_bits"], cfg["a_bits"], signed_input=False)

    def forward(self, x):
        x = self.bn(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)

    def enable_quantization(self):
        for m in self.modules():
            if isinstance(m, QuantLinear):
                m.quantize = True


def make_data(n, cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, cfg["n_features"], generator=g) * torch.linspace(0.5, 3.0, cfg["n_features"])
    w = torch.randn(cfg["n_features"], cfg["classes"], generator=g)
    y = (x @ w + 0.5 * torch.randn(n, cfg["classes"], generator=g)).argmax(1)
    return TensorDataset(x, y)


def run_epoch(model, loader, opt=None):
    model.train(opt is not None)
    tot, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(opt is not None):
        for x, y in loader:
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if opt is not None:
                opt.zero_grad()
                loss.backward()
                opt.step()
            tot += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
    return tot / seen, correct / seen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_set, val_set = random_split(make_data(3000, CFG), [2500, 500], generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)

    model = TabularMLP(CFG)
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    for epoch in range(CFG["float_epochs"]):
        tr = run_epoch(model, train_loader, opt)
        va = run_epoch(model, val_loader)
        print(f"[fp32] epoch {epoch} train loss {tr[0]:.4f} val acc {va[1]:.3f}")

    # ---- quantization-aware fine-tuning ----
    model.enable_quantization()
    print("[qat] calibrating step sizes ...")
    run_epoch(model, val_loader)                     # no_grad pass initialises every scale
    qat_opt = torch.optim.Adam(model.parameters(), lr=CFG["qat_lr"])
    for epoch in range(CFG["qat_epochs"]):
        tr = run_epoch(model, train_loader, qat_opt)
        va = run_epoch(model, val_loader)
        print(f"[qat] epoch {epoch} train loss {tr[0]:.4f} val acc {va[1]:.3f} "
              f"fc1 w-step {model.fc1.weight_quant.scale.item():.5f}")


if __name__ == "__main__":
    main()
