# Adversarial domain adaptation: the domain critic is built after the feature extractor's optimizer,
# with an optimizer of its own. The feature step computes gradients in the critic too (through the
# reversed loss); the critic's own step applies its gradients. Correct: both train.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
features = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16))
classifier = nn.Linear(16, 3)
opt_f = torch.optim.Adam(list(features.parameters()) + list(classifier.parameters()), lr=1e-3)
critic = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3)

source_x, source_y = torch.randn(64, 10), torch.randint(0, 3, (64,))
target_x = torch.randn(64, 10) + 0.5
for step in range(8):
    fs, ft = features(source_x), features(target_x)
    # critic step: tell source from target on detached features
    d_loss = F.binary_cross_entropy_with_logits(critic(fs.detach()), torch.ones(64, 1)) + \
        F.binary_cross_entropy_with_logits(critic(ft.detach()), torch.zeros(64, 1))
    opt_c.zero_grad()
    d_loss.backward()
    opt_c.step()
    # feature step: classify the source, fool the critic on the target
    loss = F.cross_entropy(classifier(fs), source_y) + \
        0.1 * F.binary_cross_entropy_with_logits(critic(ft), torch.ones(64, 1))
    opt_f.zero_grad()
    loss.backward()
    opt_f.step()
