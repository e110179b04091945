import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def mlp_encoder(d_in=32, width=64, d_out=64):
    return nn.Sequential(nn.Linear(d_in, width), nn.BatchNorm1d(width), nn.ReLU(),
                         nn.Linear(width, d_out), nn.ReLU())


class MoCoV2(nn.Module):
    def __init__(self, dim=32, K=512, m=0.99, T=0.1):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = mlp_encoder()
        self.head_q = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, dim))
        self.encoder_k = copy.deepcopy(self.encoder_q)
        self.head_k = copy.deepcopy(self.head_q)
        for p in list(self.encoder_k.parameters()) + list(self.head_k.parameters()):
            p.requires_grad = False
        self.register_buffer("queue", F.normalize(torch.randn(dim, K), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        ptr = int(self.queue_ptr)
        self.queue[:, ptr:ptr + keys.shape[0]] = keys.T
        self.queue_ptr[0] = (ptr + keys.shape[0]) % self.K

    def forward(self, x_q, x_k):
        q = F.normalize(self.head_q(self.encoder_q(x_q)), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = F.normalize(self.head_k(self.encoder_k(x_k)), dim=1)
        l_pos = (q * k).sum(1, keepdim=True)
        l_neg = q @ self.queue.clone().detach()
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        self._dequeue_and_enqueue(k)
        return logits, labels


def augment(x):
    """Random feature masking + jitter (the tabular analogue of crop/colour jitter)."""
    keep = (torch.rand_like(x) > 0.2).float()
    return x * keep + 0.1 * torch.randn_like(x)


# unlabeled data drawn from 8 latent clusters
centers = torch.randn(8, 32) * 1.5
cluster = torch.randint(0, 8, (2048,))
data = centers[cluster] + 0.5 * torch.randn(2048, 32)

model = MoCoV2().to(device)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05,
                            momentum=0.9, weight_decay=1e-4)

for epoch in range(3):
    perm = torch.randperm(len(data))
    total = 0.0
    for i in range(0, len(data), 128):
        x = data[perm[i:i + 128]].to(device)
        logits, labels = model(augment(x), augment(x))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} InfoNCE {total / (len(data) // 128):.3f}")

# linear-probe style sanity check: nearest-centroid accuracy on key features
with torch.no_grad():
    model.eval()
    feats = F.normalize(model.head_k(model.encoder_k(data.to(device))), dim=1).cpu()
    cents = torch.stack([feats[cluster == c].mean(0) for c in range(8)])
    acc = ((feats @ cents.T).argmax(1) == cluster).float().mean().item()
print(f"nearest-centroid accuracy with the key encoder: {acc:.3f}")
