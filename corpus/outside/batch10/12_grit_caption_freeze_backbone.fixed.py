"""GRIT-style image captioning (grid + region features from a DETR-like detector) -- XE stage
with the detector backbone frozen for the first epochs (config.optimizer.freeze_backbone)."""
from types import SimpleNamespace as NS

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

config = NS(
    exp=NS(seed=118, rank=0),
    dataset=NS(overfit=False, vocab_size=50, max_len=12, batch_size=4),
    model=NS(pad_idx=0, d_model=32, grid_feat_dim=32, n_queries=6, dropout=0.1),
    optimizer=NS(freeze_backbone=True, freeze_detector=False, freezing_xe_epochs=2, xe_lr=1e-4,
                 xe_backbone_lr=1e-5, weight_decay=0.01),
)


class Backbone(nn.Module):  # stands in for the Swin backbone
    def __init__(self, d):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, d, 4, stride=4), nn.GELU())
        self.stage = nn.Sequential(nn.Conv2d(d, d, 3, padding=1), nn.GroupNorm(4, d), nn.GELU())

    def forward(self, x):
        return self.stage(self.stem(x))


class Detector(nn.Module):
    def __init__(self, d, n_queries):
        super().__init__()
        self.backbone = Backbone(d)
        self.query_embed = nn.Embedding(n_queries, d)
        self.det_head = nn.TransformerDecoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)

    def forward(self, images):
        grid = self.backbone(images).flatten(2).transpose(1, 2)  # [B, HW, d]
        queries = self.query_embed.weight.unsqueeze(0).expand(images.size(0), -1, -1)
        return grid, self.det_head(queries, grid)


def build_detector(config):
    return Detector(config.model.d_model, config.model.n_queries)


class GridFeatureNetwork(nn.Module):
    def __init__(self, d_in, d_model, dropout):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(d_in, d_model), nn.ReLU(), nn.Dropout(dropout), nn.LayerNorm(d_model))
        self.layer = nn.TransformerEncoderLayer(d_model, 4, 2 * d_model, dropout=dropout, batch_first=True)

    def forward(self, grid):
        return self.layer(self.proj(grid))


class CaptionGenerator(nn.Module):
    def __init__(self, vocab_size, max_len, pad_idx, d_model, dropout):
        super().__init__()
        self.word_emb = nn.Embedding(vocab_size, d_model, padding_idx=pad_idx)
        self.pos_emb = nn.Embedding(max_len, d_model)
        self.layer = nn.TransformerDecoderLayer(d_model, 4, 2 * d_model, dropout=dropout, batch_first=True)
        self.fc = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, tokens, memory):
        T = tokens.size(1)
        x = self.word_emb(tokens) + self.pos_emb(torch.arange(T, device=tokens.device))
        causal = torch.triu(torch.full((T, T), float('-inf'), device=tokens.device), diagonal=1)
        return self.fc(self.layer(x, memory, tgt_mask=causal))


class Transformer(nn.Module):
    def __init__(self, grit_net, cap_generator, detector, use_gri_feat=True, use_reg_feat=True, config=None):
        super().__init__()
        self.grit_net, self.cap_generator, self.detector = grit_net, cap_generator, detector
        self.use_gri_feat, self.use_reg_feat = use_gri_feat, use_reg_feat
        self.cached_features = False

    def forward(self, images, seq):
        grid, regions = self.detector(images)
        memory = []
        if self.use_gri_feat:
            memory.append(self.grit_net(grid))
        if self.use_reg_feat:
            memory.append(regions)
        return self.cap_generator(seq, torch.cat(memory, dim=1))


def extract_vis_features(detector, config, device, rank):
    print("[rank %d] grid/region features already cached in hdf5, skipping extraction" % rank)


def build_optimizers(model, config, mode='xe'):
    model = getattr(model, 'module', model)
    no_decay = ['bias', 'norm', 'ln']
    model_parameters = [
        {'params': [p for n, p in model.named_parameters()
                    if p.requires_grad and 'detector' not in n and not any(nd in n for nd in no_decay)],
         'weight_decay': config.optimizer.weight_decay},
        {'params': [p for n, p in model.named_parameters()
                    if p.requires_grad and 'detector' not in n and any(nd in n for nd in no_decay)],
         'weight_decay': 0.0},
    ]
    backbone_parameters = [p for n, p in model.named_parameters() if p.requires_grad and 'detector' in n]
    return {
        'model': torch.optim.AdamW(model_parameters, lr=config.optimizer.xe_lr, betas=(0.9, 0.98)),
        'backbone': torch.optim.AdamW(backbone_parameters, lr=config.optimizer.xe_backbone_lr),
        'mode': mode,
    }


def train_xe(model, batches, optimizers, epoch, config):
    model.train()
    for it, (images, captions) in enumerate(batches):
        out = model(images, captions[:, :-1])
        loss = F.cross_entropy(out.reshape(-1, out.size(-1)), captions[:, 1:].reshape(-1),
                               ignore_index=config.model.pad_idx)
        optimizers['model'].zero_grad()
        optimizers['backbone'].zero_grad()
        loss.backward()
        optimizers['model'].step()
        optimizers['backbone'].step()
        print(f"epoch {epoch} it {it}: xe loss {loss.item():.4f}")


def main(gpu, config):
    torch.manual_seed(config.exp.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    detector = build_detector(config).to(device)
    grit_net = GridFeatureNetwork(config.model.grid_feat_dim, config.model.d_model, config.model.dropout)
    cap_generator = CaptionGenerator(config.dataset.vocab_size, config.dataset.max_len, config.model.pad_idx,
                                     config.model.d_model, config.model.dropout)
    model = Transformer(grit_net, cap_generator, detector=detector, config=config).to(device)
    start_epoch, rank = 0, config.exp.rank

    if not config.dataset.overfit and start_epoch < config.optimizer.freezing_xe_epochs:
        if getattr(config.optimizer, 'freeze_backbone', False):
            for n, p in model.named_parameters():
                if 'backbone' in n:
                    p.requires_grad = False

        if getattr(config.optimizer, 'freeze_detector', False):
            for n, p in model.named_parameters():
                if 'detector' in n:
                    p.requires_grad = False
        else:
            extract_vis_features(detector, config, device, rank)

    if dist.is_available() and dist.is_initialized():
        model = DDP(model, device_ids=[gpu], find_unused_parameters=True, broadcast_buffers=False)
    optimizers = build_optimizers(model, config, mode='xe')

    images = torch.randn(8, 3, 32, 32, device=device)
    captions = torch.randint(1, config.dataset.vocab_size, (8, config.dataset.max_len), device=device)
    batches = [(images[i:i + 4], captions[i:i + 4]) for i in range(0, 8, config.dataset.batch_size)]
    for epoch in range(start_epoch, config.optimizer.freezing_xe_epochs):
        train_xe(model, batches, optimizers, epoch, config)


if __name__ == "__main__":
    main(0, config)
