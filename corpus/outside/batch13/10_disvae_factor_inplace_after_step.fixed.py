# Reproduction modelled on: https://github.com/YannDubs/disentangling-vae/issues/62
# FIXED VERSION: the discriminator loss re-runs the discriminator on the detached latent sample, so its backward no longer reaches the already-stepped encoder.
# "Inplace error when running FactorVAE ... Coming from d_tc_loss.backward()": the VAE
# optimizer steps (in place) before the discriminator loss, which reuses d_z =
# discriminator(latent_sample) computed from the encoder, is back-propagated. The backward
# walks into the encoder whose weights have been modified -> "one of the variables needed for
# gradient computation has been modified by an inplace operation".
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

HYPER = {"latent_dim": 6, "img": 8, "gamma": 6.4, "lr_vae": 5e-4, "lr_disc": 5e-5,
         "batch_size": 32, "epochs": 2, "steps_anneal": 10}


class Encoder(nn.Module):
    def __init__(self, img, latent_dim):
        super().__init__()
        self.lin1 = nn.Linear(img * img, 64)
        self.lin2 = nn.Linear(64, 32)
        self.mu_logvar_gen = nn.Linear(32, latent_dim * 2)

    def forward(self, x):
        h = F.relu(self.lin2(F.relu(self.lin1(x.flatten(1)))))
        mu, logvar = self.mu_logvar_gen(h).chunk(2, dim=-1)
        return mu, logvar


class Decoder(nn.Module):
    def __init__(self, img, latent_dim):
        super().__init__()
        self.img = img
        self.net = nn.Sequential(nn.Linear(latent_dim, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(),
                                 nn.Linear(64, img * img))

    def forward(self, z):
        return torch.sigmoid(self.net(z)).view(-1, 1, self.img, self.img)


class VAE(nn.Module):
    def __init__(self, img, latent_dim):
        super().__init__()
        self.encoder, self.decoder = Encoder(img, latent_dim), Decoder(img, latent_dim)

    def reparameterize(self, mean, logvar):
        return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) if self.training else mean

    def forward(self, x):
        latent_dist = self.encoder(x)
        latent_sample = self.reparameterize(*latent_dist)
        return self.decoder(latent_sample), latent_dist, latent_sample

    def sample_latent(self, x):
        return self.reparameterize(*self.encoder(x))


class Discriminator(nn.Module):
    def __init__(self, latent_dim, hidden=100):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2, True),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2, True), nn.Linear(hidden, 2))

    def forward(self, z):
        return self.net(z)


def _permute_dims(latent_sample):
    perm = torch.zeros_like(latent_sample)
    batch_size, dim_z = perm.size()
    for z in range(dim_z):
        pi = torch.randperm(batch_size, device=latent_sample.device)
        perm[:, z] = latent_sample[pi, z]
    return perm


class FactorKLoss:
    def __init__(self, device, gamma, latent_dim, steps_anneal, lr_disc):
        self.device, self.gamma, self.steps_anneal, self.n_train_steps = device, gamma, steps_anneal, 0
        self.discriminator = Discriminator(latent_dim).to(device)
        self.optimizer_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr_disc, betas=(0.5, 0.9))

    def __call__(self, data, model, optimizer):
        self.n_train_steps += 1
        half_batch_size = data.size(0) // 2
        data1, data2 = data.split(half_batch_size)

        recon_batch, (mean, logvar), latent_sample1 = model(data1)
        rec_loss = F.binary_cross_entropy(recon_batch, data1, reduction="sum") / half_batch_size
        kl_loss = (0.5 * (-1 - logvar + mean.pow(2) + logvar.exp())).sum(1).mean()
        d_z = self.discriminator(latent_sample1)
        tc_loss = (d_z[:, 0] - d_z[:, 1]).mean()
        anneal_reg = min(1.0, self.n_train_steps / self.steps_anneal)
        vae_loss = rec_loss + kl_loss + anneal_reg * self.gamma * tc_loss

        # Compute VAE gradients
        optimizer.zero_grad()
        vae_loss.backward(retain_graph=True)
        optimizer.step()

        # Discriminator loss on a second, permuted sample
        latent_sample2 = model.sample_latent(data2)
        z_perm = _permute_dims(latent_sample2).detach()
        d_z_perm = self.discriminator(z_perm)
        ones = torch.ones(half_batch_size, dtype=torch.long, device=self.device)
        zeros = torch.zeros_like(ones)
        d_z = self.discriminator(latent_sample1.detach())
        d_tc_loss = 0.5 * (F.cross_entropy(d_z, zeros) + F.cross_entropy(d_z_perm, ones))

        self.optimizer_d.zero_grad()
        d_tc_loss.backward()
        self.optimizer_d.step()
        return vae_loss.item(), d_tc_loss.item()


class Trainer:
    def __init__(self, model, optimizer, loss_f):
        self.model, self.optimizer, self.loss_f = model, optimizer, loss_f

    def __call__(self, data_loader, epochs):
        for epoch in range(epochs):
            self.model.train()
            for data in data_loader:
                vae_loss, d_loss = self.loss_f(data.to(device), self.model, self.optimizer)
            print(f"epoch {epoch}: vae_loss {vae_loss:.3f} d_tc_loss {d_loss:.3f}")


images = (torch.rand(128, 1, HYPER["img"], HYPER["img"]) > 0.6).float()
data_loader = torch.utils.data.DataLoader(images, batch_size=HYPER["batch_size"], shuffle=True)
model = VAE(HYPER["img"], HYPER["latent_dim"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=HYPER["lr_vae"])
loss_f = FactorKLoss(device, HYPER["gamma"], HYPER["latent_dim"], HYPER["steps_anneal"], HYPER["lr_disc"])
trainer = Trainer(model, optimizer, loss_f)
trainer(data_loader, HYPER["epochs"])
