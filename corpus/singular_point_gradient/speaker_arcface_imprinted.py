# Speaker identification with an additive angular margin (ArcFace) head. The head's class weights
# are imprinted from one enrollment utterance per speaker before training starts, then the
# encoder and the head are trained together on all utterances under bfloat16 autocast.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(11)
speakers, per_speaker, feat_dim = 10, 6, 40
voices = torch.randn(speakers, feat_dim)
utterances = voices.repeat_interleave(per_speaker, 0) + 0.6 * torch.randn(speakers * per_speaker, feat_dim)
labels = torch.arange(speakers).repeat_interleave(per_speaker)


class ArcMarginHead(nn.Module):
    def __init__(self, emb_dim, classes, scale=16.0, margin=0.3):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, emb_dim))
        self.scale, self.margin = scale, margin

    def forward(self, emb, target):
        cosine = F.linear(F.normalize(emb), F.normalize(self.weight)).float()
        theta = torch.acos(
            cosine.clamp(-1.0, 1.0)
        )
        target_logit = torch.cos(theta + self.margin)
        one_hot = F.one_hot(target, cosine.shape[1]).bool()
        return self.scale * torch.where(one_hot, target_logit, cosine)


encoder = nn.Sequential(nn.Linear(feat_dim, 64), nn.Tanh(), nn.Linear(64, 32))
head = ArcMarginHead(32, speakers)
with torch.no_grad():  # imprint: one enrollment utterance per speaker
    enrolled = utterances[::per_speaker]
    head.weight.copy_(F.normalize(encoder(enrolled)))

params = list(encoder.parameters()) + list(head.parameters())
optimizer = torch.optim.Adam(params, lr=1e-3)
scaler = torch.amp.GradScaler("cpu")

for step in range(30):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = head(encoder(utterances), labels)
        loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    if step % 10 == 0:
        accuracy = (logits.argmax(1) == labels).float().mean().item()
        print(f"step {step}: loss {loss.item():.4f} acc {accuracy:.2f}")
print(f"final scale {scaler.get_scale():.3g}")
