"""Joint detection + re-ID training (FairMOT-style) on synthetic 32x32 frames.

Each frame contains one object of a known identity, drawn as a coloured square.
Heads: centre heatmap, box size and a 16-d re-ID embedding; the re-ID embedding is
trained with an identity classifier, and the detection / re-ID losses are balanced
with learnable uncertainty weights.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_IDS, EMB_DIM, SIZE = 10, 16, 32


def make_frames(n, gen):
    ids = torch.randint(0, N_IDS, (n,), generator=gen)
    colours = torch.linspace(0.1, 1.0, N_IDS)
    img = torch.zeros(n, 3, SIZE, SIZE)
    hm = torch.zeros(n, 1, SIZE // 4, SIZE // 4)
    centres = torch.randint(1, SIZE // 4 - 1, (n, 2), generator=gen)
    for i in range(n):
        cy, cx = centres[i].tolist()
        y0, x0 = cy * 4 - 3, cx * 4 - 3
        img[i, 0, y0:y0 + 7, x0:x0 + 7] = colours[ids[i]]
        img[i, 1, y0:y0 + 7, x0:x0 + 7] = 1 - colours[ids[i]]
        hm[i, 0, cy, cx] = 1.0
    return img, hm, centres, ids


class TinyCenterNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        self.heads = nn.ModuleDict({
            "hm": nn.Conv2d(32, 1, 1), "wh": nn.Conv2d(32, 2, 1), "id": nn.Conv2d(32, EMB_DIM, 1)})
        self.heads["hm"].bias.data.fill_(-2.19)

    def forward(self, x):
        feat = self.backbone(x)
        return {k: head(feat) for k, head in self.heads.items()}


class MotLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(EMB_DIM, N_IDS)
        self.emb_scale = math.sqrt(2) * math.log(N_IDS - 1)
        self.s_det = nn.Parameter(-1.85 * torch.ones(1))
        self.s_id = nn.Parameter(-1.05 * torch.ones(1))

    def forward(self, outputs, hm, centres, ids):
        hm_loss = F.binary_cross_entropy_with_logits(outputs["hm"], hm, pos_weight=torch.tensor(20.0))
        wh_loss = outputs["wh"].abs().mean() * 0.01
        b = torch.arange(ids.size(0))
        emb = outputs["id"][b, :, centres[:, 0], centres[:, 1]]
        emb = self.emb_scale * F.normalize(emb, dim=1)
        id_loss = F.cross_entropy(self.classifier(emb), ids)
        det_loss = hm_loss + wh_loss
        loss = torch.exp(-self.s_det) * det_loss + torch.exp(-self.s_id) * id_loss + (self.s_det + self.s_id)
        return 0.5 * loss, {"hm": hm_loss.item(), "id": id_loss.item()}


class ModelWithLoss(nn.Module):
    def __init__(self, model, loss):
        super().__init__()
        self.model, self.loss = model, loss

    def forward(self, batch):
        outputs = self.model(batch[0])
        return self.loss(outputs, *batch[1:])


class BaseTrainer:
    def __init__(self, model, optimizer):
        self.optimizer = optimizer
        self.loss = MotLoss()
        self.optimizer.add_param_group({"params": self.loss.parameters()})
        self.model_with_loss = ModelWithLoss(model, self.loss)

    def run_epoch(self, batches):
        self.model_with_loss.train()
        for batch in batches:
            loss, stats = self.model_with_loss(batch)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return stats


if __name__ == "__main__":
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = TinyCenterNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    trainer = BaseTrainer(model, optimizer)
    for epoch in range(4):
        batches = [make_frames(16, gen) for _ in range(6)]
        stats = trainer.run_epoch(batches)
        print(f"epoch {epoch}: hm_loss {stats['hm']:.4f} id_loss {stats['id']:.4f}")
