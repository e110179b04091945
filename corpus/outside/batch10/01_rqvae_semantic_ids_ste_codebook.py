"""RQ-VAE semantic-id tokenizer for generative retrieval (TIGER-style), STE quantization.

Trains the residual-quantized autoencoder that turns item feature vectors into
semantic ids. Item features: normalized text embedding + multi-hot categories.
"""
from enum import Enum
from typing import List, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.optim import AdamW
from torch.optim.lr_scheduler import ExponentialLR

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CONFIG = dict(
    iterations=30, batch_size=64, learning_rate=1e-3, weight_decay=0.01,
    commitment_weight=0.25, vae_input_dim=24, vae_n_cat_feats=8, vae_embed_dim=8,
    vae_hidden_dims=[32, 16], vae_codebook_size=16, vae_n_layers=3,
    use_kmeans_init=True, gumbel_t=0.2,
)


class QuantizeForwardMode(Enum):
    GUMBEL_SOFTMAX = 1
    STE = 2


class QuantizeOutput(NamedTuple):
    embeddings: Tensor
    ids: Tensor


class RqVaeOutput(NamedTuple):
    embeddings: Tensor
    residuals: Tensor
    sem_ids: Tensor


def l2norm(x, dim=-1, eps=1e-12):
    return F.normalize(x, p=2, dim=dim, eps=eps)


def gumbel_softmax_sample(logits, temperature):
    u = torch.rand_like(logits)
    g = -torch.log(-torch.log(u + 1e-20) + 1e-20)
    return F.softmax((logits + g) / temperature, dim=-1)


@torch.no_grad()
def kmeans_init_(weight: Tensor, x: Tensor, n_iter: int = 5):
    centers = x[torch.randperm(x.shape[0])[: weight.shape[0]]].clone()
    for _ in range(n_iter):
        assign = torch.cdist(x, centers).argmin(dim=1)
        for k in range(centers.shape[0]):
            members = x[assign == k]
            if len(members) > 0:
                centers[k] = members.mean(0)
    weight.copy_(centers)


class MLP(nn.Module):
    def __init__(self, input_dim: int, hidden_dims: List[int], out_dim: int, normalize: bool = False):
        super().__init__()
        dims = [input_dim] + hidden_dims + [out_dim]
        self.mlp = nn.Sequential()
        for i, (in_d, out_d) in enumerate(zip(dims[:-1], dims[1:])):
            self.mlp.append(nn.Linear(in_d, out_d, bias=False))
            if i != len(dims) - 2:
                self.mlp.append(nn.SiLU())
        self.normalize = normalize

    def forward(self, x):
        x = self.mlp(x)
        return l2norm(x) if self.normalize else x


class Quantize(nn.Module):
    def __init__(self, embed_dim, n_embed, do_kmeans_init=True,
                 forward_mode=QuantizeForwardMode.GUMBEL_SOFTMAX):
        super().__init__()
        self.embed_dim, self.n_embed = embed_dim, n_embed
        self.embedding = nn.Embedding(n_embed, embed_dim)
        nn.init.uniform_(self.embedding.weight)
        self.forward_mode = forward_mode
        self.do_kmeans_init = do_kmeans_init
        self.kmeans_initted = False

    def get_item_embeddings(self, item_ids):
        return self.embedding(item_ids)

    def forward(self, x, temperature) -> QuantizeOutput:
        if self.do_kmeans_init and not self.kmeans_initted:
            kmeans_init_(self.embedding.weight, x.detach())
            self.kmeans_initted = True
        codebook = self.embedding.weight
        dist = ((x ** 2).sum(1, keepdim=True) + (codebook.T ** 2).sum(0, keepdim=True)
                - 2 * x @ codebook.T).detach()
        _, ids = dist.min(dim=1)
        if self.training:
            if self.forward_mode == QuantizeForwardMode.GUMBEL_SOFTMAX:
                emb = gumbel_softmax_sample(-dist, temperature) @ codebook
            else:  # straight-through estimator
                emb = self.get_item_embeddings(ids)
                emb = x + (emb - x).detach()
        else:
            emb = self.get_item_embeddings(ids)
        return QuantizeOutput(embeddings=emb, ids=ids)


class CategoricalReconstructionLoss(nn.Module):
    def __init__(self, n_cat_feats):
        super().__init__()
        self.n_cat_feats = n_cat_feats

    def forward(self, x_hat, x):
        reconstr = ((x_hat[:, :-self.n_cat_feats] - x[:, :-self.n_cat_feats]) ** 2).sum(-1)
        cat = F.binary_cross_entropy_with_logits(x_hat[:, -self.n_cat_feats:], x[:, -self.n_cat_feats:],
                                                 reduction="none").sum(-1)
        return reconstr + cat


class RqVaeLoss(nn.Module):
    def __init__(self, commitment_weight: float = 1.0):
        super().__init__()
        self.commitment_weight = commitment_weight

    def forward(self, query, value):
        emb_loss = ((query.detach() - value) ** 2).sum(dim=[-1, -2])
        query_loss = ((query - value.detach()) ** 2).sum(dim=[-1, -2])
        return emb_loss + self.commitment_weight * query_loss


class RqVae(nn.Module):
    def __init__(self, input_dim, embed_dim, hidden_dims, codebook_size, n_layers=3,
                 commitment_weight=0.25, n_cat_features=8, codebook_kmeans_init=True,
                 codebook_mode=QuantizeForwardMode.STE):
        super().__init__()
        self.n_cat_feats = n_cat_features
        self.layers = nn.ModuleList([
            Quantize(embed_dim, codebook_size, do_kmeans_init=codebook_kmeans_init,
                     forward_mode=codebook_mode) for _ in range(n_layers)])
        self.encoder = MLP(input_dim, hidden_dims, embed_dim)
        self.decoder = MLP(embed_dim, hidden_dims[::-1], input_dim)
        self.reconstruction_loss = CategoricalReconstructionLoss(n_cat_features)
        self.rqvae_loss = RqVaeLoss(commitment_weight)

    def get_semantic_ids(self, x, gumbel_t=0.001) -> RqVaeOutput:
        res = self.encoder(x)
        embs, residuals, sem_ids = [], [], []
        for layer in self.layers:
            residuals.append(res)
            quantized = layer(res, temperature=gumbel_t)
            emb, ids = quantized.embeddings, quantized.ids
            res = res - emb
            sem_ids.append(ids)
            embs.append(emb)
        return RqVaeOutput(torch.stack(embs, -1), torch.stack(residuals, -1), torch.stack(sem_ids, -1))

    def forward(self, x, gumbel_t):
        quantized = self.get_semantic_ids(x, gumbel_t)
        embs, residuals = quantized.embeddings, quantized.residuals
        x_hat = self.decoder(embs.sum(dim=-1))
        x_hat = torch.cat([l2norm(x_hat[..., :-self.n_cat_feats]), x_hat[..., -self.n_cat_feats:]], dim=-1)
        reconstruction_loss = self.reconstruction_loss(x_hat, x)
        rqvae_loss = self.rqvae_loss(residuals, embs)
        loss = (reconstruction_loss + rqvae_loss).mean()
        with torch.no_grad():
            ids = quantized.sem_ids
            p_unique = (ids.unsqueeze(1) == ids.unsqueeze(0)).all(-1).float().sum(1).eq(1).float().mean()
        return loss, reconstruction_loss.mean(), rqvae_loss.mean(), p_unique


def make_items(n_items, cfg):
    text = l2norm(torch.randn(n_items, cfg["vae_input_dim"] - cfg["vae_n_cat_feats"]))
    cats = (torch.rand(n_items, cfg["vae_n_cat_feats"]) < 0.2).float()
    return torch.cat([text, cats], dim=-1)


items = make_items(512, CONFIG).to(device)
model = RqVae(CONFIG["vae_input_dim"], CONFIG["vae_embed_dim"], CONFIG["vae_hidden_dims"],
              CONFIG["vae_codebook_size"], CONFIG["vae_n_layers"], CONFIG["commitment_weight"],
              CONFIG["vae_n_cat_feats"], CONFIG["use_kmeans_init"], QuantizeForwardMode.STE).to(device)
optimizer = AdamW(model.parameters(), lr=CONFIG["learning_rate"], weight_decay=CONFIG["weight_decay"])
scheduler = ExponentialLR(optimizer, gamma=0.95)

for it in range(CONFIG["iterations"]):
    model.train()
    if it == 0 and CONFIG["use_kmeans_init"]:
        model(items, CONFIG["gumbel_t"])  # initializes every codebook with k-means on the residuals
    batch = items[torch.randint(0, items.shape[0], (CONFIG["batch_size"],), device=items.device)]
    optimizer.zero_grad()
    loss, rec, rq, p_unique = model(batch, gumbel_t=CONFIG["gumbel_t"])
    loss.backward()
    optimizer.step()
    if (it + 1) % 10 == 0:
        scheduler.step()
        print(f"iter {it + 1}: loss={loss.item():.4f} rec={rec.item():.4f} "
              f"rqvae={rq.item():.4f} p_unique_ids={p_unique.item():.3f}")
