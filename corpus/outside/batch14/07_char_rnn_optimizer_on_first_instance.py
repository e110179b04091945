# Report: https://github.com/spro/practical-pytorch/issues/21
# char-rnn-classification switched from manual p.data.add_ updates to optimizer.step():
# the optimizer was built on the RNN created right after the class, but the notebook
# instantiates the RNN a second time before the training loop, so the trained net never moves.
import numpy as np
import string
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {
    "English": ["Smith", "Johnson", "Walker", "Wright", "Hughes"],
    "Italian": ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe"],
}
all_categories = list(category_lines)
n_categories = len(all_categories)


def line_to_tensor(line):
    t = torch.zeros(len(line), 1, n_letters)
    for i, ch in enumerate(line):
        t[i][0][all_letters.find(ch)] = 1
    return t


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, inp, hidden):
        combined = torch.cat((inp, hidden), 1)
        return self.softmax(self.i2o(combined)), self.i2h(combined)

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 64
rnn = RNN(n_letters, n_hidden, n_categories)

learning_rate = 0.005
optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate)
criterion = nn.NLLLoss()


def random_training_pair(rng):
    category = all_categories[rng.randint(n_categories)]
    line = category_lines[category][rng.randint(5)]
    return category, line, torch.tensor([all_categories.index(category)]), line_to_tensor(line)


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    optimizer.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    optimizer.step()
    return output, loss.item()


# --- "Running the training" cell ---
n_iters = 300
rnn = RNN(n_letters, n_hidden, n_categories)
rng = np.random.RandomState(0)
current_loss = 0.0
for it in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = random_training_pair(rng)
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if it % 100 == 0:
        print(f"{it} avg loss {current_loss / 100:.4f}")
        current_loss = 0.0
