"""Multiple-instance learning: each bag of feature vectors is positive when at least one of its
instances is. An instance scorer gives each instance a probability, and the bag's probability is
the noisy-OR 1 - prod(1 - p_i), taken per bag with a scatter that multiplies."""
import torch
from torch import nn

torch.manual_seed(0)

num_bags, dim = 64, 10
sizes = torch.randint(3, 9, (num_bags,))
bag_of = torch.repeat_interleave(torch.arange(num_bags), sizes)
instances = torch.randn(int(sizes.sum()), dim)
key_instance = instances[:, 0] + instances[:, 1] > 1.8
bag_labels = torch.zeros(num_bags).index_add(0, bag_of, key_instance.float()).clamp(max=1)

scorer = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(scorer.parameters(), lr=3e-3)


def bag_probability(instance_probs, bag_of, num_bags):
    miss = 1 - instance_probs
    all_miss = torch.scatter_reduce(torch.ones(num_bags), 0, bag_of, miss, reduce="prod")
    return (1 - all_miss).clamp(1e-6, 1 - 1e-6)


for epoch in range(60):
    permutation = torch.randperm(num_bags)
    for start in range(0, num_bags, 16):
        chosen = permutation[start:start + 16]
        member = torch.isin(bag_of, chosen)
        local = torch.searchsorted(chosen.sort().values, bag_of[member])
        probs = torch.sigmoid(scorer(instances[member])).squeeze(1)
        bag_probs = bag_probability(probs, local, len(chosen))
        loss = nn.functional.binary_cross_entropy(bag_probs, bag_labels[chosen.sort().values])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.3f}")
