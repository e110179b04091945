# Correct look-alike (control): multi-task training. In phase 1 the two task losses are
# back-propagated separately through the shared encoder, so the first backward deliberately uses
# retain_graph=True. In phase 2 the encoder is frozen on purpose and the optimizer is rebuilt for
# the heads only. Encoder trains in phase 1; both heads train in both phases.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim=16, hid=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hid), nn.ReLU(), nn.Linear(hid, hid), nn.ReLU())
        self.cls_head = nn.Linear(hid, 3)
        self.reg_head = nn.Linear(hid, 1)

    def forward(self, x):
        z = self.encoder(x)
        return self.cls_head(z), self.reg_head(z).squeeze(-1)


def run_epochs(model, loader, optimizer, epochs, tag, reg_weight=0.5):
    for epoch in range(epochs):
        for xb, yc, yr in loader:
            logits, pred = model(xb)
            loss_cls = F.cross_entropy(logits, yc)
            loss_reg = reg_weight * F.mse_loss(pred, yr)
            optimizer.zero_grad()
            loss_cls.backward(retain_graph=True)   # encoder graph is needed again below
            loss_reg.backward()
            optimizer.step()
        print(f"[{tag}] epoch {epoch}  cls {loss_cls.item():.4f}  reg {loss_reg.item():.4f}")


def main():
    torch.manual_seed(0)
    x = torch.randn(512, 16)
    yc = (x[:, :3].argmax(1))
    yr = x[:, 3] * 2 + x[:, 4]
    loader = DataLoader(TensorDataset(x, yc, yr), batch_size=64, shuffle=True)
    model = MultiTaskNet()

    # phase 1: joint training of everything
    run_epochs(model, loader, torch.optim.Adam(model.parameters(), lr=3e-3), 4, "joint")

    # phase 2: keep the learned representation fixed, fine-tune only the heads
    for p in model.encoder.parameters():
        p.requires_grad = False
    head_params = list(model.cls_head.parameters()) + list(model.reg_head.parameters())
    run_epochs(model, loader, torch.optim.SGD(head_params, lr=1e-2, momentum=0.9), 3, "heads")


if __name__ == "__main__":
    main()
