"""Viewport prediction (VP) by adapting a small pretrained language model (NetLLM-style).

The PLM is frozen (--freeze_plm), the multimodal encoder and the networking head that maps the
PLM hidden states back to viewport coordinates are trained.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class TinyPLM(nn.Module):
    def __init__(self, d_model=32, n_layers=2, vocab=100):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.layers = nn.ModuleList(
            [nn.TransformerEncoderLayer(d_model, 4, 64, dropout=0.0, batch_first=True) for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.networking_head = None

    def set_networking_head(self, head):
        self.networking_head = head

    def forward(self, inputs_embeds):
        h = inputs_embeds
        for layer in self.layers:
            h = layer(h)
        h = self.ln_f(h)
        return self.networking_head(h[:, -1])


class ViewportEncoder(nn.Module):
    def __init__(self, d_model=32, his_window=10):
        super().__init__()
        self.conv = nn.Conv1d(3, d_model, kernel_size=3, padding=1)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, vp):  # vp: (B, T, 3) roll/pitch/yaw
        x = F.relu(self.conv(vp.transpose(1, 2))).transpose(1, 2)
        return self.proj(x)


class VPPipeline(nn.Module):
    def __init__(self, plm, d_model=32, fut_window=5):
        super().__init__()
        self.plm = plm
        self.embed_vp = ViewportEncoder(d_model)
        self.embed_ln = nn.LayerNorm(d_model)
        self.embed_multimodal = nn.Linear(48, d_model)
        self.fut_window = fut_window

    def forward(self, history, video_feat):
        tok = self.embed_vp(history)
        mm = self.embed_multimodal(video_feat).unsqueeze(1)
        x = self.embed_ln(torch.cat([mm, tok], dim=1))
        return self.plm(x).view(-1, self.fut_window, 3)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight_decay", type=float, default=1e-4)
    p.add_argument("--freeze_plm", type=bool, default=True)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=8)
    return p.parse_args()


torch.manual_seed(0)
args = parse_args()
plm = TinyPLM()
plm.set_networking_head(nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 5 * 3)))
pipeline = VPPipeline(plm).to(device)

if args.freeze_plm:
    for n, p in pipeline.plm.named_parameters():
        if "networking_head" not in n:
            p.requires_grad_(False)

no_decay = ["bias", "LayerNorm.weight", "ln"]
if not args.freeze_plm:
    optimizer_grouped_parameters = [
        {"params": [p for n, p in pipeline.plm.named_parameters() if not any(nd in n for nd in no_decay)],
         "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": [p for n, p in pipeline.plm.named_parameters() if any(nd in n for nd in no_decay)],
         "weight_decay": 0.0, "lr": args.lr},
        {"params": pipeline.embed_vp.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": pipeline.embed_ln.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": pipeline.embed_multimodal.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
    ]
else:
    optimizer_grouped_parameters = [
        {"params": pipeline.embed_vp.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": pipeline.embed_ln.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": pipeline.embed_multimodal.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
        {"params": pipeline.plm.networking_head.parameters(), "weight_decay": args.weight_decay, "lr": args.lr},
    ]
optimizer = torch.optim.AdamW(optimizer_grouped_parameters)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * args.steps)
scaler = torch.amp.GradScaler(enabled=torch.cuda.is_available())

history = torch.randn(64, 10, 3)
video = torch.randn(64, 48)
future = history[:, -5:] + 0.1 * torch.randn(64, 5, 3)

for epoch in range(args.epochs):
    pipeline.train()
    for step in range(args.steps):
        idx = torch.randint(0, 64, (16,))
        h, v, y = history[idx].to(device), video[idx].to(device), future[idx].to(device)
        with torch.autocast(device_type=device, enabled=torch.cuda.is_available()):
            pred = pipeline(h, v)
            loss = F.mse_loss(pred, y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(pipeline.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
