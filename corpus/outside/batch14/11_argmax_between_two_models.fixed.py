# Report: https://github.com/pytorch/pytorch/issues/1339
# "Backprop through argmax": the output of a first module is argmax'ed and fed to a second
# module; the loss is only on the second module, so the first module's weights get no grad.
# Here: an intent classifier picks a slot-schema id that conditions a slot tagger.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CFG = {"vocab": 80, "emb": 24, "n_intents": 5, "n_slots": 7, "seq": 10, "lr": 1e-2, "epochs": 15}


class IntentClassifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["emb"])
        self.proj = nn.Linear(c["emb"], c["n_intents"])

    def forward(self, tokens):
        return self.proj(self.emb(tokens).mean(1))


class SlotTagger(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["emb"])
        self.intent_emb = nn.Embedding(c["n_intents"], c["emb"])
        self.rnn = nn.GRU(c["emb"], c["emb"], batch_first=True)
        self.out = nn.Linear(c["emb"], c["n_slots"])

    def forward(self, tokens, intent_id):
        if intent_id.dtype.is_floating_point:  # soft intent distribution
            cond = intent_id @ self.intent_emb.weight
        else:
            cond = self.intent_emb(intent_id)
        h = self.emb(tokens) + cond.unsqueeze(1)
        return self.out(self.rnn(h)[0])


class JointModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.first_model = IntentClassifier(c)
        self.second_model = SlotTagger(c)

    def forward(self, tokens):
        intent_logits = self.first_model(tokens)
        intent_probs = F.softmax(intent_logits, 1)
        return self.second_model(tokens, intent_probs)


def make_data(c, n=192):
    tokens = torch.randint(0, c["vocab"], (n, c["seq"]))
    slots = (tokens + tokens[:, :1]) % c["n_slots"]
    return tokens.to(device), slots.to(device)


def main():
    tokens, slots = make_data(CFG)
    model = JointModel(CFG).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    for epoch in range(CFG["epochs"]):
        slot_logits = model(tokens)
        loss = F.cross_entropy(slot_logits.reshape(-1, CFG["n_slots"]), slots.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 5 == 0:
            print(f"epoch {epoch} slot loss {loss.item():.4f}")
    return model


model = main()
