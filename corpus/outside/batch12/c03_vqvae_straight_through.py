# Look-alike (correct). Modelled on zalandoresearch/pytorch-vq-vae:
# https://github.com/zalandoresearch/pytorch-vq-vae
# quantized = inputs + (quantized - inputs).detach() and the .detach() calls in the codebook /
# commitment losses look like graph cuts; the straight-through estimator still trains the encoder,
# and the codebook is trained by q_latent_loss.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class VectorQuantizer(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, commitment_cost):
        super().__init__()
        self._embedding_dim, self._num_embeddings = embedding_dim, num_embeddings
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)
        self.embedding.weight.data.uniform_(-1 / num_embeddings, 1 / num_embeddings)
        self._commitment_cost = commitment_cost

    def forward(self, inputs):
        inputs = inputs.permute(0, 2, 3, 1).contiguous()
        flat_input = inputs.view(-1, self._embedding_dim)
        distances = (flat_input.pow(2).sum(1, keepdim=True) + self.embedding.weight.pow(2).sum(1)
                     - 2 * flat_input @ self.embedding.weight.t())
        encoding_indices = torch.argmin(distances, dim=1).unsqueeze(1)
        encodings = torch.zeros(encoding_indices.shape[0], self._num_embeddings, device=inputs.device)
        encodings.scatter_(1, encoding_indices, 1)
        quantized = (encodings @ self.embedding.weight).view(inputs.shape)
        e_latent_loss = F.mse_loss(quantized.detach(), inputs)
        q_latent_loss = F.mse_loss(quantized, inputs.detach())
        loss = q_latent_loss + self._commitment_cost * e_latent_loss
        quantized = inputs + (quantized - inputs).detach()
        avg_probs = encodings.mean(0)
        perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
        return loss, quantized.permute(0, 3, 1, 2).contiguous(), perplexity


class Model(nn.Module):
    def __init__(self, num_hiddens=32, num_embeddings=16, embedding_dim=8, commitment_cost=0.25):
        super().__init__()
        self._encoder = nn.Sequential(nn.Conv2d(3, num_hiddens, 4, 2, 1), nn.ReLU(),
                                      nn.Conv2d(num_hiddens, num_hiddens, 3, 1, 1))
        self._pre_vq_conv = nn.Conv2d(num_hiddens, embedding_dim, 1)
        self._vq_vae = VectorQuantizer(num_embeddings, embedding_dim, commitment_cost)
        self._decoder = nn.Sequential(nn.Conv2d(embedding_dim, num_hiddens, 3, 1, 1), nn.ReLU(),
                                      nn.ConvTranspose2d(num_hiddens, 3, 4, 2, 1))

    def forward(self, x):
        z = self._pre_vq_conv(self._encoder(x))
        loss, quantized, perplexity = self._vq_vae(z)
        return loss, self._decoder(quantized), perplexity


data = torch.rand(64, 3, 16, 16) - 0.5
data_variance = data.var().item()
model = Model().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=False)
model.train()
for i in range(40):
    x = data[(i * 16) % 64:(i * 16) % 64 + 16].to(device)
    optimizer.zero_grad()
    vq_loss, data_recon, perplexity = model(x)
    recon_error = F.mse_loss(data_recon, x) / data_variance
    loss = recon_error + vq_loss
    loss.backward()
    optimizer.step()
print(f"recon {recon_error.item():.4f} perplexity {perplexity.item():.2f}")
