# Look-alike (correct). Source: https://github.com/NVlabs/DG-Net/issues/40
# In DG-Net the appearance code f is detached before it is fed to the generator
# (f = f.detach()), which looks like it cuts the appearance encoder off from training.
# As the authors answer, this is intentional: the generation losses must not update f; the
# appearance encoder is trained by the re-id (identification) loss, the decoder by the
# reconstruction loss.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

hp = {"num_ids": 4, "app_dim": 16, "lr_g": 1e-3, "lr_d": 1e-3, "iters": 10, "recon_w": 5.0, "id_w": 1.0}


class ft_netAB(nn.Module):
    """Appearance encoder + identity classifier."""

    def __init__(self, num_ids, dim):
        super().__init__()
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                   nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, dim))
        self.classifier = nn.Linear(dim, num_ids)

    def forward(self, x):
        f = self.model(x)
        logits = self.classifier(f)
        f = f.detach()            # appearance code for the generator: no gradient back to E_a
        return f, logits


class ContentEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())

    def forward(self, gray):
        return self.net(gray)


class Decoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mod = nn.Linear(dim, 8)
        self.out = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, content, f):
        return torch.tanh(self.out(content * self.mod(f)[:, :, None, None]))


class DGNetTrainer(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.id_a = ft_netAB(hp["num_ids"], hp["app_dim"])
        self.gen_a_enc = ContentEncoder()
        self.gen_a_dec = Decoder(hp["app_dim"])
        self.id_opt = torch.optim.SGD(self.id_a.parameters(), lr=hp["lr_d"], momentum=0.9)
        self.gen_opt = torch.optim.Adam(list(self.gen_a_enc.parameters()) + list(self.gen_a_dec.parameters()),
                                        lr=hp["lr_g"])

    def gen_update(self, x_a, l_a, hp):
        self.gen_opt.zero_grad()
        self.id_opt.zero_grad()
        f_a, p_a = self.id_a(x_a)
        content = self.gen_a_enc(x_a.mean(1, keepdim=True))
        x_recon = self.gen_a_dec(content, f_a)
        loss_recon = F.l1_loss(x_recon, x_a)
        loss_id = F.cross_entropy(p_a, l_a)
        loss = hp["recon_w"] * loss_recon + hp["id_w"] * loss_id
        loss.backward()
        self.gen_opt.step()
        self.id_opt.step()
        return loss.item()


trainer = DGNetTrainer(hp).to(device)
for it in range(hp["iters"]):
    x = torch.rand(8, 3, 16, 16, device=device) * 2 - 1
    labels = torch.randint(0, hp["num_ids"], (8,), device=device)
    print(it, trainer.gen_update(x, labels, hp))
