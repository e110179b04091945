# Report: https://github.com/mikeizbicki/cmc-csci181-deeplearning/issues/7
# Summary: the constructor is spelled _init_ instead of __init__, so no layer is registered and the optimizer raises 'optimizer got an empty parameter list' (crash).
# Fixed: spell the constructor __init__.
import string
import torch
import torch.nn as nn

vocabulary = string.ascii_lowercase + " '-"
categories = ["english", "french", "german", "italian", "polish", "japanese"]
input_length = 12
hidden_size = 32


class CNNModel(nn.Module):
    def __init__(self):
        super(CNNModel, self).__init__()
        self.relu = nn.ReLU()
        self.cnn = nn.Conv1d(len(vocabulary), hidden_size, 3, padding=1)
        self.cnn2 = nn.Conv1d(hidden_size, hidden_size, 3, padding=1)
        self.fc = nn.Linear(hidden_size * input_length, len(categories))

    def forward(self, x):
        # x: (batch, length, vocab) one-hot -> (batch, vocab, length)
        out = x.permute(0, 2, 1)
        out = self.relu(self.cnn(out))
        out = self.relu(self.cnn2(out))
        return self.fc(out.flatten(1))


def random_batch(batch_size=16):
    idx = torch.randint(0, len(vocabulary), (batch_size, input_length))
    x = torch.nn.functional.one_hot(idx, len(vocabulary)).float()
    y = idx[:, 0] % len(categories)
    return x, y


model = CNNModel()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

if __name__ == "__main__":
    torch.manual_seed(6)
    for step in range(200):
        x, y = random_batch()
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
