"""Keyword spotting on synthetic log-mel frames: a frozen conv front end, adapted to a new set of
keywords through bottleneck adapters whose down/up projections are fused into one autograd
Function (the bottleneck activation is recomputed in backward instead of being stored)."""
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(7)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

CFG = dict(n_mels=40, frames=32, n_keywords=6, hidden=64, bottleneck=16, batch=32, epochs=4, lr=1e-2)


def synth_keywords(n, cfg, seed):
    templates = torch.randn(cfg["n_keywords"], cfg["n_mels"], cfg["frames"], generator=torch.Generator().manual_seed(99))
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, cfg["n_keywords"], (n,), generator=g)
    shifts = torch.randint(-3, 4, (n,), generator=g)
    x = torch.stack([torch.roll(templates[k], int(s), dims=1) for k, s in zip(labels, shifts)])
    return x + 0.5 * torch.randn(x.shape, generator=g), labels


class FusedAdapter(torch.autograd.Function):
    """h + relu(h @ W_down^T) @ W_up^T, without keeping the bottleneck activation."""

    @staticmethod
    def forward(ctx, h, w_down, w_up):
        ctx.save_for_backward(h, w_down, w_up)
        return h + F.linear(F.relu(F.linear(h, w_down)), w_up)

    @staticmethod
    def backward(ctx, grad_out):
        h, w_down, w_up = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        h2 = h.reshape(-1, h.shape[-1])
        z = h2 @ w_down.t()
        a = z.clamp_min(0)
        grad_z = (g @ w_up) * (z > 0).to(g.dtype)
        grad_h = g + grad_z @ w_down
        return grad_h.reshape(h.shape), grad_z.t() @ h2, g.t() @ a


class Adapter(nn.Module):
    def __init__(self, dim, bottleneck):
        super().__init__()
        self.down = nn.Parameter(torch.randn(bottleneck, dim) * dim ** -0.5)
        self.up = nn.Parameter(torch.zeros(dim, bottleneck))

    def forward(self, h):
        return FusedAdapter.apply(h, self.down, self.up)


class KeywordNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(cfg["n_mels"], cfg["hidden"], 5, padding=2), nn.ReLU(),
            nn.Conv1d(cfg["hidden"], cfg["hidden"], 3, padding=1), nn.ReLU(),
        )
        self.adapter = Adapter(cfg["hidden"], cfg["bottleneck"])
        self.classifier = nn.Linear(cfg["hidden"], cfg["n_keywords"])

    def forward(self, mels):
        h = self.frontend(mels).transpose(1, 2)      # (batch, frames, hidden)
        h = self.adapter(h)
        return self.classifier(h.mean(dim=1))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x.to(device)).argmax(-1)
    model.train()
    return (pred.cpu() == y).float().mean().item()


def main():
    train_x, train_y = synth_keywords(256, CFG, seed=1)
    val_x, val_y = synth_keywords(128, CFG, seed=2)
    model = KeywordNet(CFG).to(device)
    model.frontend.requires_grad_(False)  # pretrained on the old keyword set
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=CFG["lr"])

    for epoch in range(CFG["epochs"]):
        perm = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(perm), CFG["batch"]):
            idx = perm[i:i + CFG["batch"]]
            mels, labels = train_x[idx].to(device), train_y[idx].to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16):
                logits = model(mels)
                loss = F.cross_entropy(logits.float(), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch}: loss {total / len(perm):.3f}  val acc {accuracy(model, val_x, val_y):.2f}")


if __name__ == "__main__":
    main()
