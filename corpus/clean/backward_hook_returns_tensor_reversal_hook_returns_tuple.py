"""Domain-adversarial training with the gradient reversal done by a full backward hook on the
domain classifier. The hook returns a one-element tuple, one gradient per input of the module,
as torch expects."""
import torch
from torch import nn

torch.manual_seed(0)

features = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
label_head = nn.Linear(32, 2)
domain_head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def reverse_gradient(module, grad_input, grad_output):
    return (-0.3 * grad_input[0],)


domain_head.register_full_backward_hook(reverse_gradient)
params = [*features.parameters(), *label_head.parameters(), *domain_head.parameters()]
optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)

source_x = torch.randn(512, 16)
source_y = (source_x[:, 0] - source_x[:, 2] > 0).long()
target_x = torch.randn(512, 16) * 1.5 - 0.5

for epoch in range(5):
    for i in range(0, 512, 32):
        fs, ft = features(source_x[i:i + 32]), features(target_x[i:i + 32])
        class_loss = nn.functional.cross_entropy(label_head(fs), source_y[i:i + 32])
        domain_logits = domain_head(torch.cat([fs, ft]))
        domain_labels = torch.cat([torch.zeros(32, 1), torch.ones(32, 1)])
        domain_loss = nn.functional.binary_cross_entropy_with_logits(domain_logits, domain_labels)
        optimizer.zero_grad()
        (class_loss + domain_loss).backward()
        optimizer.step()
    print(f"epoch {epoch}: class {class_loss.item():.3f} domain {domain_loss.item():.3f}")
