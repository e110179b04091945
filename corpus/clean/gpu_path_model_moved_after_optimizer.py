# The optimizer is built first and the model moved to the GPU afterwards: module moves keep the
# same Parameter objects, so the optimizer still holds what is trained. The learned bias vector is
# moved first and made trainable after, so it is a leaf as well.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 32), nn.GELU(), nn.Linear(32, 2))
input_bias = torch.zeros(6).to("cuda" if torch.cuda.is_available() else "cpu").requires_grad_()
optimizer = torch.optim.SGD([*model.parameters(), input_bias], lr=0.05, momentum=0.9)
if torch.cuda.is_available():
    model.cuda()
device = next(model.parameters()).device

x = torch.randn(300, 6).to(device)
y = (x[:, 0] > x[:, 1]).long().to(device)
for epoch in range(30):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x + input_bias), y)
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
