"""Joint detection + re-ID training (FairMOT style) on synthetic frames.

A small CenterNet-like backbone predicts a center heatmap, box sizes, center offsets
and a re-ID embedding.  Detection and identity losses are balanced with learned
uncertainty weights (Kendall et al.), which live in the loss module together with
the identity classifier.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

NUM_IDS, EMB_DIM, H, W = 20, 32, 16, 16


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        )
        self.heads = nn.ModuleDict({
            "hm": nn.Conv2d(64, 1, 1),
            "wh": nn.Conv2d(64, 2, 1),
            "reg": nn.Conv2d(64, 2, 1),
            "id": nn.Conv2d(64, EMB_DIM, 1),
        })
        self.heads["hm"].bias.data.fill_(-2.19)

    def forward(self, x):
        f = self.body(x)
        return {k: head(f) for k, head in self.heads.items()}


class MotLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(EMB_DIM, NUM_IDS)
        self.emb_scale = math.sqrt(2) * math.log(NUM_IDS - 1)
        self.s_det = nn.Parameter(-1.85 * torch.ones(1))
        self.s_id = nn.Parameter(-1.05 * torch.ones(1))

    def forward(self, out, batch):
        hm = out["hm"].sigmoid().clamp(1e-4, 1 - 1e-4)
        pos = batch["hm"].eq(1).float()
        neg_w = torch.pow(1 - batch["hm"], 4)
        pos_loss = (torch.log(hm) * torch.pow(1 - hm, 2) * pos).sum()
        neg_loss = (torch.log(1 - hm) * torch.pow(hm, 2) * neg_w * (1 - pos)).sum()
        hm_loss = -(pos_loss + neg_loss) / pos.sum().clamp(min=1)

        ys, xs = batch["ys"], batch["xs"]
        b = torch.arange(ys.shape[0], device=ys.device)
        wh_loss = F.l1_loss(out["wh"][b, :, ys, xs], batch["wh"])
        off_loss = F.l1_loss(out["reg"][b, :, ys, xs], batch["reg"])

        id_feat = F.normalize(out["id"][b, :, ys, xs], dim=1) * self.emb_scale
        id_loss = F.cross_entropy(self.classifier(id_feat), batch["ids"])

        det_loss = hm_loss + 0.1 * wh_loss + off_loss
        loss = torch.exp(-self.s_det) * det_loss + torch.exp(-self.s_id) * id_loss + (self.s_det + self.s_id)
        return 0.5 * loss, {"hm": hm_loss.item(), "wh": wh_loss.item(), "id": id_loss.item()}


class ModelWithLoss(nn.Module):
    def __init__(self, model, loss):
        super().__init__()
        self.model = model
        self.loss = loss

    def forward(self, batch):
        out = self.model(batch["img"])
        loss, stats = self.loss(out, batch)
        return out, loss, stats


class MotTrainer:
    def __init__(self, model, optimizer):
        self.loss = MotLoss()
        self.model_with_loss = ModelWithLoss(model, self.loss).to(device)
        self.optimizer = optimizer

    def run_epoch(self, epoch, batches):
        self.model_with_loss.train()
        for it, batch in enumerate(batches):
            _, loss, stats = self.model_with_loss(batch)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        print(f"epoch {epoch}  loss {loss.item():.4f}  hm {stats['hm']:.3f}  wh {stats['wh']:.3f}  "
              f"id {stats['id']:.3f}  s_det {self.loss.s_det.item():.3f}  s_id {self.loss.s_id.item():.3f}")


def synthetic_batch(n=8):
    img = torch.randn(n, 3, H, W) * 0.1
    hm = torch.zeros(n, 1, H, W)
    ys = torch.randint(2, H - 2, (n,))
    xs = torch.randint(2, W - 2, (n,))
    ids = torch.randint(0, NUM_IDS, (n,))
    for i in range(n):
        hm[i, 0, ys[i], xs[i]] = 1.0
        img[i, ids[i] % 3, ys[i] - 1:ys[i] + 2, xs[i] - 1:xs[i] + 2] += 1.0 + ids[i] / NUM_IDS
    wh = torch.rand(n, 2) * 4 + 1
    reg = torch.rand(n, 2)
    batch = {"img": img, "hm": hm, "ys": ys, "xs": xs, "ids": ids, "wh": wh, "reg": reg}
    return {k: v.to(device) for k, v in batch.items()}


model = Backbone().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
trainer = MotTrainer(model, optimizer)
data = [synthetic_batch() for _ in range(6)]
for epoch in range(1, 6):
    trainer.run_epoch(epoch, data)
