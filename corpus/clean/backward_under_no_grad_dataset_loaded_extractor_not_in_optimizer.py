"""Features precomputed per item: the Dataset runs a loaded image encoder under no_grad in
__getitem__; only the classifier head is trained (the optimizer holds nothing else)."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, image):
        return self.pool(torch.relu(self.conv(image))).flatten(1)


class EncodedImages(Dataset):
    def __init__(self, images, labels, encoder):
        self.images = images
        self.labels = labels
        self.encoder = encoder

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        with torch.no_grad():
            features = self.encoder(self.images[index].unsqueeze(0)).squeeze(0)
        return features, self.labels[index]


encoder = Encoder()
encoder.load_state_dict(Encoder().state_dict())
encoder.eval()
images = torch.randn(40, 3, 8, 8)
labels = torch.randint(0, 4, (40,))
head = nn.Linear(8, 4)
optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
loader = DataLoader(EncodedImages(images, labels, encoder), batch_size=10, shuffle=True)

for epoch in range(3):
    for features, target in loader:
        loss = nn.functional.cross_entropy(head(features), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
