"""VQ-VAE on small images with an EMA codebook (vector-quantize-pytorch style EuclideanCodebook):
the codebook lives in buffers and is updated by exponential moving averages of the assigned encoder
outputs, the encoder gets the straight-through gradient plus the commitment loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = dict(codebook_size=32, dim=16, decay=0.8, eps=1e-5, commitment_weight=0.25, lr=3e-4, steps=10,
              batch_size=16, kmeans_init=True)


def laplace_smoothing(x, n_categories, eps=1e-5):
    return (x + eps) / (x.sum() + n_categories * eps)


class EuclideanCodebook(nn.Module):
    def __init__(self, dim, codebook_size, decay=0.8, eps=1e-5, kmeans_init=True):
        super().__init__()
        self.decay, self.eps, self.codebook_size = decay, eps, codebook_size
        embed = torch.zeros(codebook_size, dim) if kmeans_init else torch.randn(codebook_size, dim)
        self.register_buffer('initted', torch.tensor([not kmeans_init]))
        self.register_buffer('cluster_size', torch.zeros(codebook_size))
        self.register_buffer('embed', embed)
        self.register_buffer('embed_avg', embed.clone())

    @torch.no_grad()
    def init_embed_(self, data):
        if self.initted:
            return
        self.embed.copy_(data[torch.randperm(data.shape[0])[:self.codebook_size]])
        self.embed_avg.copy_(self.embed)
        self.cluster_size.fill_(1.)
        self.initted.fill_(True)

    def forward(self, x):
        flatten = x.reshape(-1, x.shape[-1])
        self.init_embed_(flatten)
        dist = -(flatten.pow(2).sum(1, keepdim=True) - 2 * flatten @ self.embed.t() + self.embed.pow(2).sum(1)[None])
        embed_ind = dist.argmax(dim=-1)
        embed_onehot = F.one_hot(embed_ind, self.codebook_size).type(x.dtype)
        quantize = F.embedding(embed_ind, self.embed).view_as(x)
        if self.training:
            with torch.no_grad():
                self.cluster_size.mul_(self.decay).add_(embed_onehot.sum(0), alpha=1 - self.decay)
                embed_sum = flatten.detach().t() @ embed_onehot
                self.embed_avg.mul_(self.decay).add_(embed_sum.t(), alpha=1 - self.decay)
                cluster_size = laplace_smoothing(self.cluster_size, self.codebook_size, self.eps) * self.cluster_size.sum()
                self.embed.copy_(self.embed_avg / cluster_size.unsqueeze(1))
        return quantize, embed_ind.view(x.shape[:-1])


class VectorQuantize(nn.Module):
    def __init__(self, dim, codebook_size, decay=0.8, eps=1e-5, commitment_weight=1., kmeans_init=True):
        super().__init__()
        self.commitment_weight = commitment_weight
        self._codebook = EuclideanCodebook(dim, codebook_size, decay, eps, kmeans_init)

    def forward(self, x):
        quantize, embed_ind = self._codebook(x)
        loss = torch.tensor([0.], device=x.device, requires_grad=self.training)
        if self.training:
            quantize = x + (quantize - x).detach()  # straight-through
            if self.commitment_weight > 0:
                loss = loss + F.mse_loss(quantize.detach(), x) * self.commitment_weight
        return quantize, embed_ind, loss


class VQVAE(nn.Module):
    def __init__(self, dim, codebook_size, **vq_kwargs):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, dim, 4, 2, 1))
        self.vq = VectorQuantize(dim, codebook_size, **vq_kwargs)
        self.decoder = nn.Sequential(nn.ConvTranspose2d(dim, 32, 4, 2, 1), nn.ReLU(),
                                     nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x).permute(0, 2, 3, 1)  # channels last for the quantizer
        quantized, indices, commit_loss = self.vq(z)
        return self.decoder(quantized.permute(0, 3, 1, 2)), indices, commit_loss


model = VQVAE(config["dim"], config["codebook_size"], decay=config["decay"], eps=config["eps"],
              commitment_weight=config["commitment_weight"], kmeans_init=config["kmeans_init"]).to(device)
opt = torch.optim.AdamW(model.parameters(), lr=config["lr"])
images = torch.rand(128, 3, 16, 16, device=device)

model.train()
for step in range(config["steps"]):
    x = images[torch.randint(0, 128, (config["batch_size"],), device=device)]
    opt.zero_grad()
    out, indices, cmt_loss = model(x)
    rec_loss = (out - x).abs().mean()
    (rec_loss + cmt_loss.sum()).backward()
    opt.step()
    print(f"step {step}: rec={rec_loss.item():.4f} commit={cmt_loss.item():.5f} "
          f"active codes={indices.unique().numel()}")
