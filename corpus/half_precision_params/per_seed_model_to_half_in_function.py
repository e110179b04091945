# Seed sweep: run() builds a fresh network per seed inside a loop and moves it with
# .to(device).to(torch.half) before training it under autocast with a GradScaler.
import torch
import torch.nn as nn

device = "cpu"


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Conv1d(1, 8, 5, padding=2)
        self.decode = nn.Conv1d(8, 1, 5, padding=2)

    def forward(self, x):
        return self.decode(torch.relu(self.encode(x)))

    def optimizer(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def run(seeds):
    losses = {}
    for seed in seeds:
        torch.manual_seed(seed)
        net = Denoiser()
        net = net.to(device).to(torch.half)
        optimizer = net.optimizer()
        scaler = torch.amp.GradScaler(device)
        clean = torch.sin(torch.linspace(0, 12, 64)).repeat(16, 1, 1)
        for step in range(6):
            noisy = clean + 0.3 * torch.randn_like(clean)
            optimizer.zero_grad()
            with torch.autocast(device, dtype=torch.float16):
                loss = (net(noisy).float() - clean).pow(2).mean()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        losses[seed] = loss.item()
    return losses


print(run([0, 1]))
