import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, PROMPT_LEN = 50, 16, 4


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.mix = nn.GRU(DIM, DIM, batch_first=True)
        self.head = nn.Linear(DIM, 2)

    def forward(self, tokens, prompt=None):
        x = self.embed(tokens)
        if prompt is not None:
            x = torch.cat([prompt.expand(x.shape[0], -1, -1), x], dim=1)
        return self.head(self.mix(x)[0][:, -1])


class Trainer:
    """Warm up the encoder, then tune a soft prompt with its own optimizer."""

    def __init__(self, model, lr=0.05):
        self.model = model
        self.lr = lr
        self.prompt = nn.Parameter(torch.randn(1, PROMPT_LEN, DIM) * 0.02)

    def make_optimizer(self, params, momentum=0.9):
        return torch.optim.SGD(params, lr=self.lr, momentum=momentum)

    def run(self, tokens, labels, steps=6):
        for name, optimizer, prompt in (
            ("warmup", self.make_optimizer(self.model.parameters()), None),
            ("prompt", self.make_optimizer(self.prompt), self.prompt),
        ):
            for step in range(steps):
                optimizer.zero_grad()
                loss = F.cross_entropy(self.model(tokens, prompt), labels)
                loss.backward()
                optimizer.step()
            print(f"{name}: loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    tokens = torch.randint(0, VOCAB, (64, 10))
    labels = (tokens[:, 0] > VOCAB // 2).long()
    Trainer(TinyEncoder()).run(tokens, labels)
