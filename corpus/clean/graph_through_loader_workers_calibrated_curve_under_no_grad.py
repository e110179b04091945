# Defect detection on synthetic grayscale inspection patches. A tone curve calibrated beforehand
# for the camera (a small module with parameters) corrects every patch as it is loaded, under
# no_grad since it is not trained further; two loader workers feed a small CNN that is trained.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class ToneCurve(nn.Module):
    def __init__(self):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.tensor(-0.4))
        self.black = nn.Parameter(torch.tensor(0.05))

    def forward(self, img):
        return ((img - self.black).clamp_min(1e-4) / (1 - self.black)) ** self.log_gamma.exp()


class InspectionPatches(Dataset):
    def __init__(self, n, curve):
        g = torch.Generator().manual_seed(21)
        self.labels = torch.randint(0, 2, (n,), generator=g)
        base = 0.3 + 0.1 * torch.rand(n, 1, 20, 20, generator=g)
        rows = torch.randint(2, 18, (n,), generator=g)
        for i in torch.nonzero(self.labels).flatten().tolist():
            base[i, 0, rows[i], 3:17] += 0.5
        self.patches = base.clamp(0, 1)
        self.curve = curve

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        with torch.no_grad():
            patch = self.curve(self.patches[i])
        return patch, self.labels[i].float()


def main():
    torch.manual_seed(0)
    curve = ToneCurve().eval()
    loader = DataLoader(InspectionPatches(256, curve), batch_size=32, shuffle=True, num_workers=2)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                          nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    for epoch in range(3):
        total = 0.0
        for patches, labels in loader:
            loss = nn.functional.binary_cross_entropy_with_logits(model(patches).squeeze(1), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: mean loss {total / len(loader):.3f}")


if __name__ == "__main__":
    main()
