# Keyword-spotting MLP trained "quantization-aware": each linear layer rounds its weights to int8
# before use, so that the trained network matches the int8 one shipped to the microcontroller.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Int8Linear(nn.Linear):
    def forward(self, x):
        scale = float(self.weight.detach().abs().max()) / 127 + 1e-12
        w = torch.fake_quantize_per_tensor_affine(self.weight, scale, 0, -128, 127)
        return F.linear(x, w, self.bias)


model = nn.Sequential(Int8Linear(40, 64), nn.ReLU(), Int8Linear(64, 64), nn.ReLU(), Int8Linear(64, 6))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
features = torch.randn(512, 40)
labels = (features[:, :6].argmax(1) + (features[:, 6] > 0).long()) % 6

for epoch in range(5):
    for i in range(0, 512, 64):
        loss = F.cross_entropy(model(features[i:i + 64]), labels[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
