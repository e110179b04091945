"""Domain-adversarial training (DANN) on two synthetic domains. The gradient reversal is done
by a backward hook on the domain classifier, defined inside the function that builds the model:
it flips and scales the gradient that flows back into the shared features."""
import torch
from torch import nn

torch.manual_seed(0)


def build(lambd=0.3):
    features = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
    label_head = nn.Linear(32, 2)
    domain_head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

    def reverse_gradient(module, grad_input, grad_output):
        return -lambd * grad_input[0]

    domain_head.register_full_backward_hook(reverse_gradient)
    return features, label_head, domain_head


features, label_head, domain_head = build()
params = [*features.parameters(), *label_head.parameters(), *domain_head.parameters()]
optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)

source_x = torch.randn(512, 16)
source_y = (source_x[:, 0] + source_x[:, 1] > 0).long()
target_x = torch.randn(512, 16) * 1.5 + 0.5

for epoch in range(5):
    for i in range(0, 512, 32):
        xs, ys, xt = source_x[i:i + 32], source_y[i:i + 32], target_x[i:i + 32]
        fs, ft = features(xs), features(xt)
        class_loss = nn.functional.cross_entropy(label_head(fs), ys)
        domain_logits = domain_head(torch.cat([fs, ft]))
        domain_labels = torch.cat([torch.zeros(32, 1), torch.ones(32, 1)])
        domain_loss = nn.functional.binary_cross_entropy_with_logits(domain_logits, domain_labels)
        optimizer.zero_grad()
        (class_loss + domain_loss).backward()
        optimizer.step()
    print(f"epoch {epoch}: class {class_loss.item():.3f} domain {domain_loss.item():.3f}")
