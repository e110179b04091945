# Report: https://github.com/asyml/texar-pytorch/issues/72
# "Missing trainable variables from MergeLayer": the MergeLayer keeps its parallel
# sub-layers in a plain Python list, so they are not registered and the optimizer never
# sees them.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

HPARAMS = {"vocab": 50, "emb_dim": 16, "kernel_sizes": [2, 3, 4], "channels": 8,
           "num_classes": 3, "lr": 1e-2, "epochs": 3, "batch_size": 16}


class MergeLayer(nn.Module):
    """Applies several layers to the same input and concatenates the results."""

    def __init__(self, layers, mode="concat", dim=-1):
        super().__init__()
        self._mode = mode
        self._dim = dim
        self._layers = nn.ModuleList()
        for layer in layers:
            self._layers.append(layer)

    def forward(self, inputs):
        outputs = [layer(inputs) for layer in self._layers]
        if self._mode == "concat":
            return torch.cat(outputs, dim=self._dim)
        return torch.stack(outputs, dim=0).sum(0)


class ConvPool(nn.Module):
    def __init__(self, in_ch, out_ch, k):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, k)

    def forward(self, x):
        return F.relu(self.conv(x)).max(dim=-1).values


class Conv1DClassifier(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.embedder = nn.Embedding(hp["vocab"], hp["emb_dim"])
        self.merge = MergeLayer([ConvPool(hp["emb_dim"], hp["channels"], k)
                                 for k in hp["kernel_sizes"]])
        self.logits = nn.Linear(hp["channels"] * len(hp["kernel_sizes"]), hp["num_classes"])

    def forward(self, tokens):
        x = self.embedder(tokens).transpose(1, 2)
        return self.logits(self.merge(x))


def make_data(n=64, seq_len=12):
    x = torch.randint(0, HPARAMS["vocab"], (n, seq_len))
    y = (x[:, 0] % HPARAMS["num_classes"])
    return x, y


def train(model, data, hp):
    opt = torch.optim.Adam(model.parameters(), lr=hp["lr"])
    x, y = data
    for epoch in range(hp["epochs"]):
        for i in range(0, len(x), hp["batch_size"]):
            xb, yb = x[i:i + hp["batch_size"]], y[i:i + hp["batch_size"]]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


model = Conv1DClassifier(HPARAMS)
train(model, make_data(), HPARAMS)
