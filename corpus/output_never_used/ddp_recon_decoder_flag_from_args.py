# A classifier with a reconstruction decoder whose loss joins from the epoch a command-line option
# names. The script passes find_unused_parameters from a flag that defaults to off, so the first
# epoch stops in DDP on its second batch.
import argparse
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

parser = argparse.ArgumentParser()
parser.add_argument("--recon-from-epoch", type=int, default=1)
parser.add_argument("--find-unused", action="store_true")
args = parser.parse_args()


class ClassifierWithDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 32), nn.Tanh())
        self.classifier = nn.Linear(32, 2)
        self.decoder = nn.Linear(32, 20)

    def forward(self, x):
        z = self.encoder(x)
        recon = self.decoder(z)
        return self.classifier(z), recon


def main():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    address = f"tcp://127.0.0.1:{port.getsockname()[1]}"
    port.close()
    dist.init_process_group("gloo", init_method=address, rank=0, world_size=1)
    model = DistributedDataParallel(ClassifierWithDecoder(), find_unused_parameters=args.find_unused)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = torch.randn(32, 20)
    labels = (data[:, 0] > 0).long()
    for epoch in range(3):
        for start in range(0, 32, 8):
            x, y = data[start:start + 8], labels[start:start + 8]
            logits, recon = model(x)
            loss = F.cross_entropy(logits, y)
            if epoch >= args.recon_from_epoch:
                loss = loss + F.mse_loss(recon, x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    dist.destroy_process_group()


main()
