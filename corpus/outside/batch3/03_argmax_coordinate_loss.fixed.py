# Report: https://github.com/LZGMatrix/BOP19_CDPN_2019ICCV/issues/4
# Summary: the loss is computed on argmax of the bin logits, which is not differentiable, so backward() fails with 'element 0 of tensors does not require grad' (crash).
# Fixed: compute a cross-entropy loss on the bin logits instead of a loss on argmax.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_BINS = 64
FEAT_DIM = 48


class CoordBinNet(nn.Module):
    """Predicts x/y/z object coordinates as classification over N_BINS bins."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Linear(FEAT_DIM, 128), nn.ReLU(),
            nn.Linear(128, 128), nn.ReLU(),
        )
        self.bin_head = nn.Linear(128, 3 * N_BINS)

    def forward(self, x):
        return self.bin_head(self.backbone(x)).view(-1, 3, N_BINS)


def bins_to_coords(bin_idx):
    # bin index in [0, N_BINS-1] -> coordinate in [-1, 1]
    return 2.0 * bin_idx.float() / (N_BINS - 1) - 1.0


torch.manual_seed(3)
feats = torch.randn(800, FEAT_DIM)
coords = torch.tanh(feats[:, :3] + 0.1 * torch.randn(800, 3))
loader = DataLoader(TensorDataset(feats, coords), batch_size=32, shuffle=True)

model = CoordBinNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(3):
    model.train()
    total = 0.0
    for xb, target in loader:
        logits = model(xb)
        # take the loss on the logits (before argmax): classify the target bin
        target_bins = torch.round((target + 1.0) / 2.0 * (N_BINS - 1)).long()
        loss = F.cross_entropy(logits.reshape(-1, N_BINS), target_bins.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} | coord L1 {total / len(loader):.4f}")
