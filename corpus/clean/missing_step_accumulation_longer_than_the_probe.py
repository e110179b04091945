# A very large effective batch from tiny micro-batches: 160 micro-batches per update, two updates
# per epoch. gradfix's first run stops after 128 backward passes, before the first update is
# due; with no step seen and no fault found, it runs the script again for longer and sees both.
import torch
import torch.nn as nn

torch.manual_seed(0)
micro_batches, accumulate = 320, 160
x = torch.randn(micro_batches, 4, 5)
y = x.sum(dim=2, keepdim=True)

model = nn.Linear(5, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

optimizer.zero_grad()
for i in range(micro_batches):
    loss = nn.functional.mse_loss(model(x[i]), y[i]) / accumulate
    loss.backward()
    if (i + 1) % accumulate == 0:
        optimizer.step()
        optimizer.zero_grad()
        print(f"update {(i + 1) // accumulate}: loss {loss.item() * accumulate:.4f}")
