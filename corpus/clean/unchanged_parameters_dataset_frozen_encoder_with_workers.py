# Features precomputed per item by a frozen, pretrained encoder held by the Dataset and run in two
# worker processes; only the linear probe on top trains. Correct: the encoder is frozen on purpose
# (requires_grad_(False)) and no optimizer holds it.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class FeatureDataset(Dataset):
    def __init__(self, images, labels, encoder):
        self.images, self.labels, self.encoder = images, labels, encoder

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        with torch.no_grad():
            feature = self.encoder(self.images[index].unsqueeze(0)).squeeze(0)
        return feature, self.labels[index]


encoder = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
encoder.load_state_dict({k: torch.randn_like(v) for k, v in encoder.state_dict().items()})
encoder.requires_grad_(False).eval()
probe = nn.Linear(8, 5)
data = FeatureDataset(torch.randn(80, 3, 8, 8), torch.randint(0, 5, (80,)), encoder)
loader = DataLoader(data, batch_size=16, shuffle=True, num_workers=2)
optimizer = torch.optim.SGD(probe.parameters(), lr=0.1)

for epoch in range(3):
    for features, labels in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(probe(features), labels)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
