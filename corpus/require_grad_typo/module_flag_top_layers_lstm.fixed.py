import torch
import torch.nn as tnn
from torch.optim import RMSprop

torch.manual_seed(3)
SEQ, FEAT, HID = 20, 6, 24


class SequenceTagger(tnn.Module):
    def __init__(self):
        super().__init__()
        self.layers = tnn.ModuleList(
            [tnn.LSTM(FEAT, HID, batch_first=True), tnn.LSTM(HID, HID, batch_first=True), tnn.LSTM(HID, HID, batch_first=True)]
        )
        self.tag = tnn.Linear(HID, 3)

    def forward(self, x):
        for lstm in self.layers:
            x, _ = lstm(x)
        return self.tag(x)


tagger = SequenceTagger()
# pretrained stack: everything starts frozen, then the top two LSTMs are fine-tuned with the tagger
tagger.requires_grad_(False)
tagger.tag.requires_grad_(True)
for layer in tagger.layers[-2:]:
    layer.requires_grad_(True)

optimizer = RMSprop([p for p in tagger.parameters()], lr=3e-3)
loss_fn = tnn.CrossEntropyLoss()
seqs = torch.randn(40, SEQ, FEAT)
tags = (seqs[..., 0] > 0).long() + (seqs[..., 1] > 1).long()

for it in range(6):
    logits = tagger(seqs)
    loss = loss_fn(logits.reshape(-1, 3), tags.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(it, round(loss.item(), 4))
