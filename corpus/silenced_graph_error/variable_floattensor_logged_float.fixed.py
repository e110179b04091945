# Older tutorial style: a Variable-era CNN whose loss is kept as a float for the log and
# re-wrapped with Variable(torch.FloatTensor([...]), requires_grad=True) for backward().
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable


class SmallCNN(nn.Module):
    def __init__(self):
        super(SmallCNN, self).__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


torch.manual_seed(4)
images = Variable(torch.randn(64, 1, 8, 8))
targets = Variable(torch.randint(0, 5, (64,)))
net = SmallCNN()
loss_fn = nn.NLLLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
log = []

for epoch in range(3):
    for i in range(0, 64, 16):
        output = torch.log_softmax(net(images[i:i + 16]), dim=1)
        err = loss_fn(output, targets[i:i + 16])
        log.append(err.item())
        optimizer.zero_grad()
        err.backward()
        optimizer.step()
    print("epoch %d: %.4f" % (epoch, float(np.mean(log))))
