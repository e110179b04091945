"""A frozen extractor runs under inference_mode for speed; its features are cloned outside the
block, which makes ordinary tensors the trainable head may save for backward."""
import torch
import torch.nn as nn

torch.manual_seed(5)
extractor = nn.Sequential(nn.Linear(24, 48), nn.GELU(), nn.Linear(48, 24)).eval()
extractor.requires_grad_(False)
head = nn.Linear(24, 2)
optimizer = torch.optim.SGD(head.parameters(), lr=0.05)
x = torch.randn(120, 24)
y = (x.sum(1) > 0).long()


@torch.inference_mode()
def evaluate():
    return (head(extractor(x)).argmax(1) == y).float().mean().item()


for epoch in range(4):
    with torch.inference_mode():
        feats = extractor(x)
    feats = feats.clone()
    loss = nn.functional.cross_entropy(head(feats), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(epoch, loss.item(), evaluate())
