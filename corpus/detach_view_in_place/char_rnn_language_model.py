"""Character-level language model on a synthetic nursery-rhyme corpus, trained with truncated
backpropagation through time over consecutive windows (sequential partitioning)."""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(7)
torch.manual_seed(7)

WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "hill", "up", "down",
         "little", "star", "how", "i", "wonder", "what", "you", "are", "jack", "jill", "went"]
BATCH_SIZE = 16
NUM_STEPS = 32
NUM_HIDDENS = 96
LR = 2e-3
NUM_EPOCHS = 3


def build_corpus(n_lines=400):
    lines = []
    for _ in range(n_lines):
        length = random.randint(4, 9)
        lines.append(" ".join(random.choice(WORDS) for _ in range(length)))
    text = "\n".join(lines)
    vocab = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(vocab)}
    return torch.tensor([stoi[ch] for ch in text], dtype=torch.long), vocab


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    """Adjacent minibatches continue each other, so the state may be carried over."""
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = corpus[offset:offset + num_tokens].reshape(batch_size, -1)
    Ys = corpus[offset + 1:offset + 1 + num_tokens].reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = rnn_layer.hidden_size
        self.linear = nn.Linear(self.num_hiddens, vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).type(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, batch_size=1):
        return torch.zeros((self.rnn.num_layers, batch_size, self.num_hiddens))


def train_epoch(net, corpus, loss, updater):
    state = None
    total_loss, total_tokens = 0.0, 0
    for X, Y in seq_data_iter_sequential(corpus, BATCH_SIZE, NUM_STEPS):
        if state is None:
            state = net.begin_state(batch_size=X.shape[0])
        else:
            for s in state:
                s.detach_()
        y = Y.T.reshape(-1)
        y_hat, state = net(X, state)
        l = loss(y_hat, y).mean()
        updater.zero_grad()
        l.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        updater.step()
        total_loss += l.item() * y.numel()
        total_tokens += y.numel()
    return math.exp(total_loss / total_tokens)


@torch.no_grad()
def predict(prefix, num_preds, net, vocab):
    stoi = {ch: i for i, ch in enumerate(vocab)}
    state = net.begin_state(batch_size=1)
    outputs = [stoi[prefix[0]]]
    for ch in prefix[1:]:
        _, state = net(torch.tensor([[outputs[-1]]]), state)
        outputs.append(stoi[ch])
    for _ in range(num_preds):
        y, state = net(torch.tensor([[outputs[-1]]]), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join(vocab[i] for i in outputs)


def main():
    corpus, vocab = build_corpus()
    rnn_layer = nn.RNN(len(vocab), NUM_HIDDENS, num_layers=2, nonlinearity="tanh")
    net = RNNModel(rnn_layer, vocab_size=len(vocab))
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.Adam(net.parameters(), lr=LR)
    for epoch in range(NUM_EPOCHS):
        ppl = train_epoch(net, corpus, loss, updater)
        print(f"epoch {epoch + 1}: perplexity {ppl:.2f}")
    print(predict("the ", 40, net, vocab))


if __name__ == "__main__":
    main()
