# Self-supervised pre-training on wearable-sensor windows, contrastive multiview style: the
# accelerometer view and the gyroscope view of the same window each go through their own encoder,
# and an NT-Xent loss module pulls matching windows together. The loss module gathers the
# gyroscope embeddings of every rank so each accelerometer window is scored against the whole
# global batch. Runs as a one-process gloo group on this machine.
import socket

import torch
import torch.distributed
from torch.distributed import all_gather
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
WINDOW, N_MOTIONS = 32, 10


class NTXentLoss(nn.Module):
    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, z_acc, z_gyro):
        world = torch.distributed.get_world_size()
        rank = torch.distributed.get_rank()
        all_gyro = [torch.empty_like(z_gyro) for _ in range(world)]
        all_gather(all_gyro, z_gyro)
        all_gyro[torch.distributed.get_rank()] = z_gyro
        all_gyro = torch.cat(all_gyro)
        logits = F.normalize(z_acc, dim=1) @ F.normalize(all_gyro, dim=1).t() / self.temperature
        targets = torch.arange(z_acc.shape[0]) + rank * z_acc.shape[0]
        return F.cross_entropy(logits, targets)


def encoder():
    return nn.Sequential(
        nn.Conv1d(3, 16, 5, padding=2), nn.ReLU(), nn.Conv1d(16, 32, 5, stride=2, padding=2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 16),
    )


def sensor_batch(size):
    motion = torch.randint(0, N_MOTIONS, (size,))
    t = torch.linspace(0, 6.28, WINDOW)
    freq = (1 + motion.float() / 3)[:, None, None]
    phase = torch.rand(size, 3, 1) * 6.28
    acc = torch.sin(freq * t + phase) + 0.2 * torch.randn(size, 3, WINDOW)
    gyro = torch.cos(freq * t + phase) * 0.5 + 0.2 * torch.randn(size, 3, WINDOW)
    return acc, gyro


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)

acc_encoder, gyro_encoder = encoder(), encoder()
criterion = NTXentLoss(temperature=0.2)
optimizer = torch.optim.Adam(list(acc_encoder.parameters()) + list(gyro_encoder.parameters()), lr=1e-3)

for step in range(50):
    acc, gyro = sensor_batch(48)
    loss = criterion(acc_encoder(acc), gyro_encoder(gyro))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: nt-xent {loss.item():.4f}")

torch.distributed.destroy_process_group()
