import torch
import torch.nn as nn

torch.manual_seed(6)
model = nn.GRU(input_size=4, hidden_size=16, batch_first=True)
readout = nn.Linear(16, 1)
params = list(model.parameters()) + list(readout.parameters())
optimizer = torch.optim.Adam(params, lr=1e-3)

sequences = torch.randn(64, 10, 4)
targets = sequences.sum(dim=(1, 2)).unsqueeze(1)

for epoch in range(3):
    for start in range(0, 64, 8):
        for p in params:
            p.grad = None
        output, _ = model(sequences[start : start + 8])
        loss = nn.functional.mse_loss(readout(output[:, -1]), targets[start : start + 8])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
