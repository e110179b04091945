"""Cross-domain sentiment classification (DANN): bag-of-words 'book' reviews are labelled, 'kitchen'
reviews are not. The layout follows the common DANN implementations: the reversed features are
computed first, then the sentiment classifier, then the domain classifier."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 300
HIDDEN = 64
BATCH = 64
EPOCHS = 5

torch.manual_seed(13)


class ReverseLayerF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        output = grad_output.neg() * ctx.alpha
        return output, None


class SentimentDANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.feature = nn.Sequential(nn.Linear(VOCAB, 128), nn.ReLU(True), nn.Dropout(0.2), nn.Linear(128, HIDDEN))
        self.class_classifier = nn.Sequential(nn.ReLU(True), nn.Linear(HIDDEN, 32), nn.ReLU(True), nn.Linear(32, 2))
        self.domain_classifier = nn.Sequential(nn.Linear(HIDDEN, 32), nn.ReLU(True), nn.Linear(32, 2))

    def forward(self, input_data, alpha):
        feature = self.feature(input_data)
        reverse_feature = ReverseLayerF.apply(feature, alpha)
        class_output = self.class_classifier(feature)
        domain_output = self.domain_classifier(reverse_feature)
        return class_output, domain_output


def reviews(n, domain_words, generator):
    sentiment = torch.randint(0, 2, (n,), generator=generator)
    counts = torch.poisson(torch.full((n, VOCAB), 0.05), generator=generator)
    counts[:, :20] += torch.poisson(0.8 * sentiment[:, None].float().expand(n, 20), generator=generator)
    counts[:, 20:40] += torch.poisson(0.8 * (1 - sentiment)[:, None].float().expand(n, 20), generator=generator)
    counts[:, domain_words] += torch.poisson(torch.full((n, len(domain_words)), 1.0), generator=generator)
    return torch.log1p(counts), sentiment


gen = torch.Generator().manual_seed(13)
src_x, src_y = reviews(1024, list(range(100, 140)), gen)
tgt_x, tgt_y = reviews(1024, list(range(200, 240)), gen)

net = SentimentDANN()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
n_batches = len(src_x) // BATCH
for epoch in range(EPOCHS):
    net.train()
    for i in range(n_batches):
        p = float(i + epoch * n_batches) / EPOCHS / n_batches
        alpha = 2.0 / (1.0 + math.exp(-10 * p)) - 1
        sl = slice(i * BATCH, (i + 1) * BATCH)
        s_class, s_domain = net(src_x[sl], alpha)
        _, t_domain = net(tgt_x[sl], alpha)
        err_s_label = F.cross_entropy(s_class, src_y[sl])
        err_s_domain = F.cross_entropy(s_domain, torch.zeros(BATCH, dtype=torch.long))
        err_t_domain = F.cross_entropy(t_domain, torch.ones(BATCH, dtype=torch.long))
        err = err_s_label + err_s_domain + err_t_domain
        optimizer.zero_grad()
        err.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        acc = (net(tgt_x, 0.0)[0].argmax(1) == tgt_y).float().mean().item()
    print(f"epoch {epoch}: label {err_s_label.item():.3f} domain {(err_s_domain + err_t_domain).item():.3f} target acc {acc:.3f}")
