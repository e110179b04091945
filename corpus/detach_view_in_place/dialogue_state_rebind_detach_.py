"""Intent tracking over long customer-support dialogues: a GRU reads the turns of each dialogue
one after another and keeps a dialogue-level state from turn to turn (summary = last step)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)

VOCAB, EMB, HIDDEN, INTENTS = 60, 32, 64, 5
DIALOGUES, TURNS, TURN_LEN, EPOCHS = 32, 10, 12, 4


def dialogues():
    """Each intent prefers a band of the vocabulary; the intent may switch halfway."""
    intents = torch.randint(INTENTS, (DIALOGUES, TURNS))
    switch = torch.randint(2, TURNS - 2, (DIALOGUES, 1))
    intents = torch.where(torch.arange(TURNS) < switch, intents[:, :1], intents[:, -1:])
    base = intents.unsqueeze(-1) * (VOCAB // INTENTS)
    tokens = (base + torch.randint(0, VOCAB // INTENTS, (DIALOGUES, TURNS, TURN_LEN))) % VOCAB
    noise = torch.rand(DIALOGUES, TURNS, TURN_LEN) < 0.3
    tokens[noise] = torch.randint(VOCAB, (int(noise.sum()),))
    return tokens, intents


class TurnEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB)
        self.gru = nn.GRU(EMB, HIDDEN, batch_first=True)
        self.cls = nn.Linear(HIDDEN, INTENTS)

    def forward(self, turn, context):
        out, _ = self.gru(self.emb(turn), context)
        summary = out[:, -1]
        return self.cls(summary), summary.unsqueeze(0)


def main():
    tokens, intents = dialogues()
    model = TurnEncoder()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(EPOCHS):
        context = None
        hits = 0
        for turn in range(TURNS):
            if context is not None:
                context = context.detach_()
            logits, context = model(tokens[:, turn], context)
            loss = F.cross_entropy(logits, intents[:, turn])
            opt.zero_grad()
            loss.backward()
            opt.step()
            hits += (logits.argmax(-1) == intents[:, turn]).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} acc {hits / (DIALOGUES * TURNS):.3f}")


if __name__ == "__main__":
    main()
