"""A multi-task network whose auxiliary gradient is scaled by a hook on the shared features
tensor (Tensor.register_hook takes and returns one tensor), and whose encoder has a module
backward hook that only records gradient norms and returns None."""
import torch
from torch import nn

torch.manual_seed(0)

grad_norms = []


def record_norm(module, grad_input, grad_output):
    grad_norms.append(grad_output[0].norm().item())


class MultiTaskNet(nn.Module):
    def __init__(self, aux_weight=0.2):
        super().__init__()
        self.aux_weight = aux_weight
        self.encoder = nn.Sequential(nn.Linear(24, 96), nn.ReLU(), nn.Linear(96, 48), nn.ReLU())
        self.cls_head = nn.Linear(48, 5)
        self.reg_head = nn.Sequential(nn.Linear(48, 24), nn.ReLU(), nn.Linear(24, 1))
        self.encoder.register_full_backward_hook(record_norm)

    def forward(self, x):
        z = self.encoder(x)
        z_aux = z.clone()
        if z_aux.requires_grad:
            z_aux.register_hook(lambda grad: grad * self.aux_weight)
        return self.cls_head(z), self.reg_head(z_aux).squeeze(-1)


inputs = torch.randn(640, 24)
classes = inputs[:, :5].argmax(dim=1)
targets = inputs[:, 5:10].sum(dim=1)
model = MultiTaskNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(6):
    for i in range(0, 640, 64):
        logits, pred = model(inputs[i:i + 64])
        loss = nn.functional.cross_entropy(logits, classes[i:i + 64])
        loss = loss + nn.functional.mse_loss(pred, targets[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}, encoder grad norm {grad_norms[-1]:.4f}")
