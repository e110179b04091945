"""Fine-tune a DeepMoji-style BiLSTM + attention classifier on a toy sentiment task.

Sentences are random token sequences; label = 1 when "positive" tokens outnumber
"negative" ones.
"""
import torch
import torch.nn as nn
from torch.autograd import Variable

VOCAB, EMB, HID, MAXLEN = 50, 16, 16, 10
POSITIVE, NEGATIVE = set(range(2, 10)), set(range(10, 18))


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(2, VOCAB, (n, MAXLEN), generator=g)
    pos = sum((x == t).sum(1) for t in POSITIVE)
    neg = sum((x == t).sum(1) for t in NEGATIVE)
    return x, (pos > neg).float()


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.attention_vector = nn.Parameter(torch.empty(dim).uniform_(-0.05, 0.05))

    def forward(self, inputs, mask):
        logits = inputs.matmul(self.attention_vector)
        logits = logits.masked_fill(~mask, -1e9)
        weights = torch.softmax(logits, dim=1)
        return (inputs * weights.unsqueeze(-1)).sum(1), weights


class TorchMojiLite(nn.Module):
    def __init__(self, nb_classes=1, return_attention=False):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.lstm_0 = nn.LSTM(EMB, HID, batch_first=True, bidirectional=True)
        self.lstm_1 = nn.LSTM(2 * HID, HID, batch_first=True, bidirectional=True)
        self.attention_layer = Attention(4 * HID + EMB)
        self.final_dropout = nn.Dropout(0.1)
        self.output_layer = nn.Linear(4 * HID + EMB, nb_classes)
        self.return_attention = return_attention

    def forward(self, input_seqs, return_tensor=True):
        mask = input_seqs != 0
        x = torch.tanh(self.embed(input_seqs))
        lstm_0_output, _ = self.lstm_0(x)
        lstm_1_output, _ = self.lstm_1(lstm_0_output)
        x = torch.cat((lstm_1_output, lstm_0_output, x), dim=2)
        x, att_weights = self.attention_layer(x, mask)
        outputs = self.output_layer(self.final_dropout(x))
        if self.return_attention:
            return outputs, att_weights
        return outputs


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = (model(x).squeeze(1) > 0).float()
    model.train()
    return (pred == y).float().mean().item()


def fit_model(model, loss_op, optim_op, train_gen, epochs):
    for epoch in range(epochs):
        for X_train, y_train in train_gen:
            optim_op.zero_grad()
            output = model(X_train)
            loss = loss_op(output.squeeze(1), y_train)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim_op.step()
        print(f"epoch {epoch}: last loss {loss.item():.4f}")


torch.manual_seed(0)
x_train, y_train = make_data(160, seed=1)
x_val, y_val = make_data(64, seed=2)
batches = list(zip(x_train.split(32), y_train.split(32)))

model = TorchMojiLite()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.BCEWithLogitsLoss()
print("val acc before:", evaluate(model, x_val, y_val))
fit_model(model, criterion, optimizer, batches, epochs=3)
print("val acc after :", evaluate(model, x_val, y_val))
