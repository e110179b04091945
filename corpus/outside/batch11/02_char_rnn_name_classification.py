"""Classifying names with a character-level RNN (practical-pytorch char-rnn-classification),
using torch.optim instead of the manual `p.data.add_` update."""
import math
import random
import string
import time

import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
random.seed(0)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)

# synthetic "data/names/*.txt": each language prefers a few letters
all_categories = ["English", "French", "Italian", "Japanese"]
category_lines = {}
for i, cat in enumerate(all_categories):
    pool = all_letters[i * 6:(i + 1) * 6] + "aeiou"
    category_lines[cat] = ["".join(random.choice(pool) for _ in range(random.randint(3, 7))).capitalize()
                           for _ in range(40)]
n_categories = len(all_categories)


def letter_to_index(letter):
    return all_letters.find(letter)


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letter_to_index(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def init_hidden(self):
        return torch.zeros(1, self.hidden_size, device=device)


n_hidden = 64
rnn = RNN(n_letters, n_hidden, n_categories).to(device)

learning_rate = 0.005
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate)


def random_training_pair():
    category = random.choice(all_categories)
    line = random.choice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    return category, line, category_tensor.to(device), line_to_tensor(line).to(device)


def category_from_output(output):
    top_n, top_i = output.data.topk(1)
    return all_categories[top_i[0][0]], top_i[0][0]


def train(category_tensor, line_tensor):
    hidden = rnn.init_hidden()
    optimizer.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    optimizer.step()
    return output, loss.item()


def time_since(since):
    s = time.time() - since
    return "%dm %ds" % (math.floor(s / 60), s % 60)


n_epochs = 60
print_every = 20

# Keep track of losses for plotting
current_loss = 0
all_losses = []

rnn = RNN(n_letters, n_hidden, n_categories).to(device)

start = time.time()
for epoch in range(1, n_epochs + 1):
    category, line, category_tensor, line_tensor = random_training_pair()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if epoch % print_every == 0:
        guess, guess_i = category_from_output(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %d%% (%s) %.4f %s / %s %s" % (epoch, epoch / n_epochs * 100, time_since(start), loss, line,
                                               guess, correct))
        all_losses.append(current_loss / print_every)
        current_loss = 0
