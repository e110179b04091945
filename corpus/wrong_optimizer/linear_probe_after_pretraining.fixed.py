# Self-supervised pretraining of an encoder (masked reconstruction), then a linear probe on top.
import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(0)
unlabeled = T.randn(400, 30)
labeled_x = T.randn(120, 30)
labeled_y = (labeled_x[:, :5].mean(1) > 0).long()

encoder = nn.Sequential(nn.Linear(30, 64), nn.GELU(), nn.Linear(64, 16))
decoder = nn.Linear(16, 30)
pre_opt = T.optim.AdamW(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)

for epoch in range(3):
    for i in range(0, 400, 100):
        batch = unlabeled[i:i + 100]
        mask = (T.rand_like(batch) > 0.25).float()
        loss = F.mse_loss(decoder(encoder(batch * mask)), batch)
        pre_opt.zero_grad()
        loss.backward()
        pre_opt.step()
    print("pretrain", epoch, round(loss.item(), 4))

probe = nn.Linear(16, 2)
probe_opt = T.optim.SGD(probe.parameters(), lr=0.1)
for epoch in range(5):
    for i in range(0, 120, 40):
        with T.no_grad():
            feats = encoder(labeled_x[i:i + 40])
        loss = F.cross_entropy(probe(feats), labeled_y[i:i + 40])
        probe_opt.zero_grad()
        loss.backward()
        probe_opt.step()
    print("probe", epoch, round(loss.item(), 4))
