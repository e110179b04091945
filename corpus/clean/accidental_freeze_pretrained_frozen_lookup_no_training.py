# Nearest-neighbour retrieval over frozen pre-trained vectors: a settings dict freezes them, an
# optimizer is built for a later phase, and no backward() ever runs here: nothing is meant to train.
import torch
from torch import nn

config = {"freeze_vectors": True, "lr": 1e-3}
torch.manual_seed(0)
table = nn.Embedding.from_pretrained(torch.randn(25, 4), freeze=config["freeze_vectors"])
optimizer = torch.optim.SGD(table.parameters(), lr=config["lr"])
with torch.no_grad():
    queries = table(torch.tensor([1, 2, 3]))
    scores = queries @ table.weight.T
    print(scores.topk(3, dim=-1).indices)
