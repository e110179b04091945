"""Siamese metric learning with a projection head: the encoder was converted with
.type(torch.HalfTensor), and the projection layer built directly in float16."""
import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(0)

encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))
encoder.type(T.FloatTensor)
projection = nn.Linear(32, 8, dtype=T.float32)
optimizer = T.optim.SGD([*encoder.parameters(), *projection.parameters()], lr=0.1)
scaler = T.amp.GradScaler("cpu")


def embed(x):
    return F.normalize(projection(encoder(x)), dim=-1)


anchors = T.randn(64, 16)
for step in range(10):
    positives = anchors + 0.1 * T.randn_like(anchors)
    negatives = anchors[T.randperm(64)]
    optimizer.zero_grad()
    with T.autocast("cpu", dtype=T.float16):
        a, p, n = embed(anchors), embed(positives), embed(negatives)
        loss = F.triplet_margin_loss(a.float(), p.float(), n.float(), margin=0.5)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(step, round(loss.item(), 4))
