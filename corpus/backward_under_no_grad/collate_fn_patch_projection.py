"""Image patches are projected to tokens in the collate function, under no_grad; the projection is
a param group of its own in the optimizer, with its own learning rate."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

images = torch.randn(64, 3, 8, 8)
labels = (images.mean(dim=(1, 2, 3)) > 0).long()
patchify = nn.Conv2d(3, 12, kernel_size=4, stride=4)


def collate_patches(batch):
    pixels = torch.stack([image for image, _ in batch])
    targets = torch.stack([label for _, label in batch])
    with torch.no_grad():
        tokens = patchify(pixels).flatten(2).transpose(1, 2)
    return tokens, targets


class TokenClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(12, 12)
        self.head = nn.Linear(12, 2)

    def forward(self, tokens):
        return self.head(torch.relu(self.mix(tokens)).mean(dim=1))


model = TokenClassifier()
loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True, collate_fn=collate_patches)
optimizer = torch.optim.SGD(
    [{"params": model.parameters()}, {"params": patchify.parameters(), "lr": 0.05}], lr=0.1
)

for epoch in range(3):
    for tokens, targets in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(tokens), targets)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
