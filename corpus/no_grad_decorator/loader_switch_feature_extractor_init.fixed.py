"""Style transfer: a pretrained VGG-like feature extractor gives the content and style targets; a
small transformer network is trained to stylise images. The extractor switches autograd off when it
is built, as the evaluation code it came from did."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)


class FeatureExtractor:
    def __init__(self, seed=0):
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        )
        generator = torch.Generator().manual_seed(seed)
        weights = {k: torch.randn(v.shape, generator=generator) * 0.2 for k, v in self.net.state_dict().items()}
        self.net.load_state_dict(weights)
        self.net.eval()
        self.net.requires_grad_(False)

    def __call__(self, image):
        return self.net(image)


def gram(features):
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


extractor = FeatureExtractor()
stylizer = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 3, 3, padding=1))
optimizer = torch.optim.Adam(stylizer.parameters(), lr=1e-3)

style = torch.rand(1, 3, 16, 16)
style_gram = gram(extractor(style))
content = torch.rand(8, 3, 16, 16)
for step in range(5):
    out = stylizer(content)
    loss = F.mse_loss(extractor(out), extractor(content)) + 10.0 * F.mse_loss(gram(extractor(out)), style_gram.expand(8, -1, -1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
