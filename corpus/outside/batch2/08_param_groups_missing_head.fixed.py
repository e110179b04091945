# Report: https://github.com/zjunlp/HVPNeT/issues/5
# What goes wrong: the optimizer param groups are assembled by hand and the group holding the
# tagging head (fc) is built but never appended, so the head is never updated.
# Repaired version: append the head's param group to the optimizer's group list.
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, N_TAGS, SEQ_LEN = 200, 5, 12


class MultimodalTagger(nn.Module):
    def __init__(self, emb=32, hidden=48, img_dim=20):
        super().__init__()
        self.text_encoder = nn.ModuleDict({
            "emb": nn.Embedding(VOCAB, emb),
            "rnn": nn.GRU(emb, hidden, batch_first=True, bidirectional=True),
        })
        self.fusion = nn.Linear(2 * hidden + img_dim, hidden)
        self.fc = nn.Linear(hidden, N_TAGS)

    def forward(self, tokens, img_feat):
        h, _ = self.text_encoder["rnn"](self.text_encoder["emb"](tokens))
        img = img_feat.unsqueeze(1).expand(-1, tokens.size(1), -1)
        fused = torch.relu(self.fusion(torch.cat([h, img], dim=-1)))
        return self.fc(fused)


def build_optimizer(model, text_lr=1e-3, lr=3e-3, head_lr=5e-3):
    parameters = []
    params = {"lr": text_lr, "weight_decay": 1e-2}
    params["params"] = [p for n, p in model.named_parameters() if n.startswith("text_encoder")]
    parameters.append(params)

    params = {"lr": lr, "weight_decay": 1e-2}
    params["params"] = [p for n, p in model.named_parameters() if n.startswith("fusion")]
    parameters.append(params)

    params = {"lr": head_lr, "weight_decay": 0.0}
    params["params"] = [p for n, p in model.named_parameters() if n.startswith("fc")]
    parameters.append(params)
    return torch.optim.AdamW(parameters)


def get_batch(batch_size=32):
    tokens = torch.randint(0, VOCAB, (batch_size, SEQ_LEN))
    img = torch.randn(batch_size, 20)
    tags = (tokens % N_TAGS + (img[:, :1] > 0).long()) % N_TAGS
    return tokens, img, tags


def train(model, steps=150):
    optimizer = build_optimizer(model)
    model.train()
    for step in range(steps):
        tokens, img, tags = get_batch()
        logits = model(tokens, img)
        loss = F.cross_entropy(logits.reshape(-1, N_TAGS), tags.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 30 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(MultimodalTagger())
