"""A multi-task network (classification + regression) on a shared encoder. The model scales the
gradient each head sends back into the encoder with a method registered as a backward hook on
the auxiliary head."""
import torch
from torch import nn

torch.manual_seed(0)


class MultiTaskNet(nn.Module):
    def __init__(self, aux_weight=0.2):
        super().__init__()
        self.aux_weight = aux_weight
        self.encoder = nn.Sequential(nn.Linear(24, 96), nn.ReLU(), nn.Linear(96, 48), nn.ReLU())
        self.cls_head = nn.Linear(48, 5)
        self.reg_head = nn.Sequential(nn.Linear(48, 24), nn.ReLU(), nn.Linear(24, 1))
        self.reg_head.register_full_backward_hook(self._scale_aux_gradient)

    def _scale_aux_gradient(self, module, grad_input, grad_output):
        return grad_input[0] * self.aux_weight

    def forward(self, x):
        z = self.encoder(x)
        return self.cls_head(z), self.reg_head(z).squeeze(-1)


inputs = torch.randn(640, 24)
classes = inputs[:, :5].argmax(dim=1)
targets = inputs[:, 5:10].sum(dim=1)
model = MultiTaskNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(6):
    perm = torch.randperm(640)
    for i in range(0, 640, 64):
        idx = perm[i:i + 64]
        logits, pred = model(inputs[idx])
        loss = nn.functional.cross_entropy(logits, classes[idx]) + nn.functional.mse_loss(pred, targets[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
